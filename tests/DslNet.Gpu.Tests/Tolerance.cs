namespace DslNet.Gpu.Tests;

public static class Tolerance
{
    /// <summary>|actual − expected| ≤ rtol·max(|expected|, floor) element-wise, floor = <paramref name="floorFraction"/> of
    /// the tensor's largest magnitude (so values that are zero up to rounding are compared on the tensor's scale).</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol, string what, double floorFraction = 1e-3)
    {
        Assert.Equal(expected.Length, actual.Length);
        double max = 0;
        foreach (var e in expected) max = Math.Max(max, Math.Abs(e));
        var floor = Math.Max(floorFraction * max, 1e-7);
        for (var i = 0; i < expected.Length; i++)
        {
            var error = Math.Abs((double)actual[i] - expected[i]);
            var allowed = rtol * Math.Max(Math.Abs(expected[i]), floor);
            if (!(error <= allowed))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (error {error:E2} > {allowed:E2}).");
        }
    }

    /// <summary>‖actual − expected‖₂ / ‖expected‖₂ over the whole tensor.</summary>
    public static double NormwiseRelativeError(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double difference = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var d = (double)actual[i] - expected[i];
            difference += d * d;
            norm += (double)expected[i] * expected[i];
        }

        return norm == 0 ? Math.Sqrt(difference) : Math.Sqrt(difference / norm);
    }
}
