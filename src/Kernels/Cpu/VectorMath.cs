using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu;

/// <summary>
/// Transcendentals the BCL does not vectorize (tanh, the normal CDF), built on <c>Vector*.Exp</c>.
/// Scalar twins use the same formulas so vector bodies and scalar tails agree to a few ulps.
/// </summary>
internal static class VectorMath
{
    // Cephes tanhf: below 0.625 the (1-e)/(1+e) form loses relative precision to cancellation, the odd polynomial does not.
    private const float TanhSmall = 0.625f;
    private const float T4 = -5.70498872745e-3f;
    private const float T3 = 2.06390887954e-2f;
    private const float T2 = -5.37397155531e-2f;
    private const float T1 = 1.33314422036e-1f;
    private const float T0 = -3.33332819422e-1f;

    private const float InvSqrt2 = 0.70710678118654752f;
    private const float InvSqrt2Pi = 0.39894228040143268f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tanh(float x) => MathF.Tanh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        var a = Vector512.Abs(x);
        var z = x * x;
        var p = Vector512.FusedMultiplyAdd(Vector512.FusedMultiplyAdd(Vector512.FusedMultiplyAdd(Vector512.FusedMultiplyAdd(
            Vector512.Create(T4), z, Vector512.Create(T3)), z, Vector512.Create(T2)), z, Vector512.Create(T1)), z, Vector512.Create(T0));
        var small = Vector512.FusedMultiplyAdd(p * z, x, x);
        var e = Vector512.Exp(a * -2f);
        var large = (Vector512<float>.One - e) / (Vector512<float>.One + e);
        large = Vector512.CopySign(large, x);
        return Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create(TanhSmall)), small, large);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var a = Vector256.Abs(x);
        var z = x * x;
        var p = Vector256.FusedMultiplyAdd(Vector256.FusedMultiplyAdd(Vector256.FusedMultiplyAdd(Vector256.FusedMultiplyAdd(
            Vector256.Create(T4), z, Vector256.Create(T3)), z, Vector256.Create(T2)), z, Vector256.Create(T1)), z, Vector256.Create(T0));
        var small = Vector256.FusedMultiplyAdd(p * z, x, x);
        var e = Vector256.Exp(a * -2f);
        var large = (Vector256<float>.One - e) / (Vector256<float>.One + e);
        large = Vector256.CopySign(large, x);
        return Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(TanhSmall)), small, large);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));

    /// <summary>Standard normal CDF through erfc (Numerical Recipes' erfcc: relative error below 1.2e-7 everywhere),
    /// so the left tail keeps its relative accuracy where 1 + erf would cancel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float NormalCdf(float x)
    {
        double z = Math.Abs(x) * (double)InvSqrt2;
        double t = 1.0 / (1.0 + 0.5 * z);
        double half = 0.5 * t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return (float)(x < 0 ? half : 1.0 - half);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> NormalCdf(Vector512<float> x)
    {
        var z = Vector512.Abs(x) * InvSqrt2;
        var t = Vector512<float>.One / Vector512.FusedMultiplyAdd(z, Vector512.Create(0.5f), Vector512<float>.One);
        var p = Vector512.FusedMultiplyAdd(t, Vector512.Create(0.17087277f), Vector512.Create(-0.82215223f));
        p = Vector512.FusedMultiplyAdd(t, p, Vector512.Create(1.48851587f));
        p = Vector512.FusedMultiplyAdd(t, p, Vector512.Create(-1.13520398f));
        p = Vector512.FusedMultiplyAdd(t, p, Vector512.Create(0.27886807f));
        p = Vector512.FusedMultiplyAdd(t, p, Vector512.Create(-0.18628806f));
        p = Vector512.FusedMultiplyAdd(t, p, Vector512.Create(0.09678418f));
        p = Vector512.FusedMultiplyAdd(t, p, Vector512.Create(0.37409196f));
        p = Vector512.FusedMultiplyAdd(t, p, Vector512.Create(1.00002368f));
        p = Vector512.FusedMultiplyAdd(t, p, Vector512.Create(-1.26551223f));
        var half = t * Vector512.Exp(p - z * z) * 0.5f;
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), half, Vector512<float>.One - half);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> NormalCdf(Vector256<float> x)
    {
        var z = Vector256.Abs(x) * InvSqrt2;
        var t = Vector256<float>.One / Vector256.FusedMultiplyAdd(z, Vector256.Create(0.5f), Vector256<float>.One);
        var p = Vector256.FusedMultiplyAdd(t, Vector256.Create(0.17087277f), Vector256.Create(-0.82215223f));
        p = Vector256.FusedMultiplyAdd(t, p, Vector256.Create(1.48851587f));
        p = Vector256.FusedMultiplyAdd(t, p, Vector256.Create(-1.13520398f));
        p = Vector256.FusedMultiplyAdd(t, p, Vector256.Create(0.27886807f));
        p = Vector256.FusedMultiplyAdd(t, p, Vector256.Create(-0.18628806f));
        p = Vector256.FusedMultiplyAdd(t, p, Vector256.Create(0.09678418f));
        p = Vector256.FusedMultiplyAdd(t, p, Vector256.Create(0.37409196f));
        p = Vector256.FusedMultiplyAdd(t, p, Vector256.Create(1.00002368f));
        p = Vector256.FusedMultiplyAdd(t, p, Vector256.Create(-1.26551223f));
        var half = t * Vector256.Exp(p - z * z) * 0.5f;
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), half, Vector256<float>.One - half);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float NormalPdf(float x) => InvSqrt2Pi * MathF.Exp(-0.5f * x * x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> NormalPdf(Vector512<float> x) => Vector512.Exp(x * x * -0.5f) * InvSqrt2Pi;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> NormalPdf(Vector256<float> x) => Vector256.Exp(x * x * -0.5f) * InvSqrt2Pi;
}
