namespace DslNet.Runtime.Tests;

/// <summary>Clipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (clipping.json).</summary>
public sealed class GradClipTests
{
    private const double Relative = 1e-6;

    [Fact]
    public void ByNorm_matches_pytorch_and_returns_the_norm_before_clipping()
    {
        var reference = ReferenceData.Load("clipping.json");
        var gradients = Buffers.Concatenated(reference.GetProperty("grads").EnumerateArray().Select(g => g.Floats()).ToArray());

        var norm = GradClip.ByNorm(gradients, reference.GetProperty("max_norm").GetDouble());

        Tolerance.AssertClose(reference.GetProperty("total_norm").GetDouble(), norm, Relative, "total norm");
        var expected = reference.GetProperty("after_clip_norm").EnumerateArray().SelectMany(g => g.Doubles()).ToArray();
        Tolerance.AssertClose(expected, gradients.Data.Select(v => (double)v).ToArray(), Relative, "clipped gradients");
    }

    [Fact]
    public void ByValue_matches_pytorch()
    {
        var reference = ReferenceData.Load("clipping.json");
        var gradients = Buffers.Concatenated(reference.GetProperty("grads").EnumerateArray().Select(g => g.Floats()).ToArray());

        GradClip.ByValue(gradients, reference.GetProperty("clip_value").GetDouble());

        var expected = reference.GetProperty("after_clip_value").EnumerateArray().SelectMany(g => g.Doubles()).ToArray();
        Tolerance.AssertClose(expected, gradients.Data.Select(v => (double)v).ToArray(), Relative, "clamped gradients");
    }

    [Fact]
    public void ByNorm_leaves_gradients_below_the_limit_untouched()
    {
        var gradients = Buffers.Concatenated([[0.3f, -0.4f]]);
        var norm = GradClip.ByNorm(gradients, maxNorm: 1.0);
        Assert.Equal(0.5, norm, 7);
        Assert.Equal([0.3f, -0.4f], gradients.Data);
    }

    [Fact]
    public void ByNorm_with_the_infinity_norm_uses_the_largest_magnitude()
    {
        var gradients = Buffers.Concatenated([[1f, -4f], [2f]]);
        var norm = GradClip.ByNorm(gradients, maxNorm: 2.0, normType: double.PositiveInfinity);
        Assert.Equal(4.0, norm);
        var coefficient = (float)(2.0 / (4.0 + 1e-6));
        Assert.Equal([1f * coefficient, -4f * coefficient, 2f * coefficient], gradients.Data);
    }

    [Fact]
    public void ByNorm_with_the_one_norm_sums_magnitudes()
    {
        var gradients = Buffers.Concatenated([[1f, -2f, 3f]]);
        Assert.Equal(6.0, GradClip.ByNorm(gradients, maxNorm: 100, normType: 1.0), 12);
    }

    [Fact]
    public void ByNorm_is_exact_over_many_elements_on_both_the_vector_and_scalar_paths()
    {
        // 1003 values: every SIMD width leaves a scalar tail. Sum of squares accumulated in double.
        var values = Enumerable.Range(0, 1003).Select(i => (float)Math.Sin(i)).ToArray();
        var expected = Math.Sqrt(values.Sum(v => (double)v * v));
        var gradients = Buffers.Concatenated([values]);
        Assert.Equal(expected, GradClip.ByNorm(gradients, maxNorm: 1.0), 12);
        var clipped = Math.Sqrt(gradients.Data.Sum(v => (double)v * v));
        Assert.Equal(1.0, clipped, 5);
    }
}
