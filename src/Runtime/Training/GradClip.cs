using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DslNet;

/// <summary>
/// Gradient clipping over a whole flat gradient buffer in one pass, like <c>torch.nn.utils.clip_grad_norm_</c>
/// and <c>clip_grad_value_</c> over <c>model.parameters()</c>. Clip the real (unscaled) gradients: with loss
/// scaling, call <see cref="GradScaler.Unscale(Optimizer)"/> first, then clip, then
/// <see cref="GradScaler.Step(Optimizer)"/>; with accumulation, clip the accumulated mean once per optimizer step.
/// </summary>
public static class GradClip
{
    /// <summary>
    /// Rescales the gradients so that their total <paramref name="normType"/>-norm is at most
    /// <paramref name="maxNorm"/>: when <c>maxNorm / (total + 1e-6) &lt; 1</c> every gradient is multiplied by
    /// that coefficient. Returns the total norm before clipping (useful to log).
    /// </summary>
    /// <param name="normType">A positive p, or <see cref="double.PositiveInfinity"/> for the largest magnitude.</param>
    /// <remarks>
    /// The total norm of the whole buffer equals PyTorch's norm of the per-tensor norms. Sums are accumulated in
    /// double (PyTorch accumulates in fp32), so the returned norm can differ from PyTorch's in the last fp32
    /// digits. A NaN or infinite norm multiplies every gradient by NaN or zero, as PyTorch does (it clamps the
    /// coefficient and multiplies unconditionally; skipping the multiply when the coefficient is ≥ 1 changes
    /// nothing else).
    /// </remarks>
    public static double ByNorm(TensorBuffer gradients, double maxNorm, double normType = 2.0)
    {
        var (totalNorm, coefficient) = NormCoefficient(gradients, maxNorm, normType);
        if (coefficient != 1f)
            Scale(gradients.Span, coefficient);
        return totalNorm;
    }

    /// <summary>
    /// <see cref="ByNorm"/> without the rescale: the total norm and the factor ByNorm would multiply the gradients by
    /// (1 when they are within <paramref name="maxNorm"/>), for <see cref="Optimizer.Step(float)"/> to apply as it
    /// reads them. <c>optimizer.Step(GradClip.NormCoefficient(g, maxNorm).Coefficient)</c> updates the parameters
    /// exactly as <c>GradClip.ByNorm(g, maxNorm); optimizer.Step();</c> does, in one pass less over the gradients,
    /// which it leaves unclipped.
    /// </summary>
    public static (double TotalNorm, float Coefficient) NormCoefficient(TensorBuffer gradients, double maxNorm, double normType = 2.0)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        if (!(maxNorm >= 0.0))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "maxNorm must be non-negative.");
        if (!(normType > 0.0))
            throw new ArgumentOutOfRangeException(nameof(normType), normType, "normType must be positive (or +∞).");

        var values = gradients.Span;
        var totalNorm = double.IsPositiveInfinity(normType) ? MaxAbs(values)
            : normType == 2.0 ? Math.Sqrt(SumOfSquares(values))
            : Math.Pow(SumOfPowers(values, normType), 1.0 / normType);

        var coefficient = maxNorm / (totalNorm + 1e-6);
        return (totalNorm, coefficient >= 1.0 ? 1f : (float)coefficient);
    }

    /// <summary>Clamps every gradient to [−clipValue, clipValue], like <c>torch.nn.utils.clip_grad_value_</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ByValue(TensorBuffer gradients, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        if (!(clipValue >= 0.0))
            throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, "clipValue must be non-negative.");

        var values = gradients.Span;
        var high = (float)clipValue;
        var low = -high;
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vHigh = new Vector<float>(high);
            var vLow = new Vector<float>(low);
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
                Vector.Min(Vector.Max(new Vector<float>(values[i..]), vLow), vHigh).CopyTo(values[i..]);
        }

        for (; i < values.Length; i++)
            values[i] = Math.Clamp(values[i], low, high);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumOfSquares(ReadOnlySpan<float> values)
    {
        var i = 0;
        var sum = 0.0;
        if (Vector.IsHardwareAccelerated)
        {
            // Widen each fp32 lane to double before squaring, so the accumulation loses nothing to fp32.
            var low = Vector<double>.Zero;
            var high = Vector<double>.Zero;
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(new Vector<float>(values[i..]), out var a, out var b);
                low += a * a;
                high += b * b;
            }

            sum = Vector.Sum(low + high);
        }

        for (; i < values.Length; i++)
            sum += (double)values[i] * values[i];
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumOfPowers(ReadOnlySpan<float> values, double p)
    {
        var sum = 0.0;
        foreach (var value in values)
            sum += Math.Pow(Math.Abs(value), p);
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double MaxAbs(ReadOnlySpan<float> values)
    {
        var max = 0.0f;
        foreach (var value in values)
        {
            var magnitude = Math.Abs(value);
            if (magnitude > max || float.IsNaN(magnitude))
                max = magnitude;
            if (float.IsNaN(max)) break;
        }

        return max;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Scale(Span<float> values, float factor)
    {
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref var r = ref MemoryMarshal.GetReference(values);
            var vFactor = Vector512.Create(factor);
            for (; i <= values.Length - Vector512<float>.Count; i += Vector512<float>.Count)
                (Vector512.LoadUnsafe(ref r, (nuint)i) * vFactor).StoreUnsafe(ref r, (nuint)i);
        }
        else if (Vector.IsHardwareAccelerated)
        {
            var vFactor = new Vector<float>(factor);
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
                (new Vector<float>(values[i..]) * vFactor).CopyTo(values[i..]);
        }

        for (; i < values.Length; i++)
            values[i] *= factor;
    }
}
