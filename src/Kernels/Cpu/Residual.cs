namespace DslNet.Kernels.Cpu;

/// <summary>
/// The residual add <c>y = F(x) + skip</c> and its backward: the skip source receives the output gradient unchanged,
/// as a first contribution (copy) or added to what its other consumer already wrote (accumulate).
/// </summary>
public static unsafe class Residual
{
    /// <summary>output += skip.</summary>
    public static void Add(Span<float> output, ReadOnlySpan<float> skip)
    {
        Gemm.CheckShape(skip.Length, output.Length, nameof(skip));
        fixed (float* y = output)
        fixed (float* s = skip)
        {
            Elementwise.Add(y, s, output.Length);
        }
    }

    /// <summary>skipGradient = gradient, or += with <paramref name="accumulate"/>.</summary>
    public static void AccumulateGradient(ReadOnlySpan<float> gradient, Span<float> skipGradient, bool accumulate)
    {
        Gemm.CheckShape(skipGradient.Length, gradient.Length, nameof(skipGradient));
        if (!accumulate)
        {
            gradient.CopyTo(skipGradient);
            return;
        }

        fixed (float* target = skipGradient)
        fixed (float* g = gradient)
        {
            Elementwise.Add(target, g, gradient.Length);
        }
    }
}
