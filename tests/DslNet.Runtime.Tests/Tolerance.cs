namespace DslNet.Runtime.Tests;

internal static class Tolerance
{
    /// <summary>Asserts |actual − expected| ≤ relative·|expected| element by element, naming the first failure.</summary>
    public static void AssertClose(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double relative, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
            AssertClose(expected[i], actual[i], relative, $"{what}[{i}]");
    }

    public static void AssertClose(double expected, double actual, double relative, string what)
    {
        var error = Math.Abs(actual - expected);
        Assert.True(error <= relative * Math.Abs(expected),
            $"{what}: expected {expected:R}, got {actual:R} (relative error {error / Math.Abs(expected):E2}, allowed {relative:E0}).");
    }

    /// <summary>Largest relative error over the elements, for reporting how close fp32 storage gets.</summary>
    public static double MaxRelativeError(IReadOnlyList<double> expected, IReadOnlyList<double> actual) =>
        expected.Select((e, i) => Math.Abs(actual[i] - e) / Math.Abs(e)).Max();
}
