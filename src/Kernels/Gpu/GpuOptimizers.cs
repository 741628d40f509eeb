using ILGPU;
using ILGPU.Algorithms;

namespace DslNet.Kernels.Gpu;

/// <summary>Adam/AdamW scalars for one step, rounded to fp32 exactly as the CPU optimizer rounds them (computed on the device
/// by <see cref="GpuStepState.PrepareAdamStep"/>).</summary>
public readonly record struct AdamCoefficients(
    float StepSize, float Decay, float L2, float B1, float OneMinusB1, float B2, float OneMinusB2, float Correction2Sqrt, float Epsilon,
    float GradientFactor);

/// <summary>
/// The fused optimizer pass over the flat buffers (one thread per element, grid-stride) and the global-norm reduction
/// for clipping. Element arithmetic is the CPU optimizer's, operation for operation (<c>AdamUpdate</c>).
/// </summary>
public static class GpuOptimizers
{
    /// <summary>
    /// One Adam/AdamW step: g ← g·factor (clipping or unscaling, written back), then
    /// p ← p·decay; g += l2·p; m ← β1m + (1−β1)g; v ← β2v + (1−β2)g²; p ← p − stepSize·m/(√v/√bc2 + ε).
    /// decayed[i] = 1 for elements weight decay applies to. Nothing is written when <paramref name="overflowFlag"/>[0] is
    /// set (the backward kernels found a gradient ±∞ or NaN): the skipped step leaves p, g, m and v bit-identical, decided
    /// on the device, so it needs no host round trip. The scalars come from <paramref name="coefficients"/>[0], written by
    /// <see cref="GpuStepState.PrepareAdamStep"/> just before.
    /// </summary>
    public static void AdamStep(Index1D i, ArrayView<float> p, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v,
        ArrayView<float> decayed, ArrayView<double> overflowFlag, ArrayView<AdamCoefficients> coefficients)
    {
        if (overflowFlag[0] != 0) return;
        var c = coefficients[0];
        bool decay = decayed[i] != 0f;
        float gradient = g[i];
        if (c.GradientFactor != 1f)
        {
            gradient *= c.GradientFactor;
            g[i] = gradient;
        }

        float parameter = p[i] * (decay ? c.Decay : 1f);
        gradient += (decay ? c.L2 : 0f) * parameter;
        float mi = c.B1 * m[i] + c.OneMinusB1 * gradient;
        float vi = c.B2 * v[i] + c.OneMinusB2 * (gradient * gradient);
        m[i] = mi;
        v[i] = vi;
        float denominator = XMath.Sqrt(vi) / c.Correction2Sqrt + c.Epsilon;
        p[i] = parameter - c.StepSize * (mi / denominator);
    }

    /// <summary>Σ g² (double) over <see cref="GroupPartials.Config"/>(n) groups, grid-stride: each group's sum into
    /// partials[group], for <see cref="GroupPartials.Merge"/> to add in a fixed order (the clipping norm's square).</summary>
    public static void SumOfSquares(ArrayView<float> g, int n, ArrayView<double> partials)
    {
        double sum = 0;
        for (int i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
        {
            float value = g[i];
            sum += (double)value * value;
        }

        GroupPartials.Write(sum, partials);
    }

    public static KernelConfig ReductionConfig(int n) => GroupPartials.Config(n);
}
