using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu;

/// <summary>
/// An elementwise activation as a struct functor: passed as a generic argument so the JIT specializes and inlines it
/// into the GEMM epilogue or normalization loop. <c>Derivative</c> takes the pre-activation value u and returns f'(u),
/// so backward passes need only the saved pre-activations.
/// </summary>
public interface IActivation
{
    float Apply(float u);

    Vector512<float> Apply(Vector512<float> u);

    Vector256<float> Apply(Vector256<float> u);

    float Derivative(float u);

    Vector512<float> Derivative(Vector512<float> u);

    Vector256<float> Derivative(Vector256<float> u);
}

public readonly struct Identity : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Apply(float u) => u;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Apply(Vector512<float> u) => u;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Apply(Vector256<float> u) => u;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Derivative(float u) => 1f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Derivative(Vector512<float> u) => Vector512<float>.One;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Derivative(Vector256<float> u) => Vector256<float>.One;
}

/// <summary>max(u, 0); the derivative at 0 is 0, as in PyTorch.</summary>
public readonly struct Relu : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Apply(float u) => u > 0f ? u : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Apply(Vector512<float> u) => Vector512.Max(u, Vector512<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Apply(Vector256<float> u) => Vector256.Max(u, Vector256<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Derivative(float u) => u > 0f ? 1f : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Derivative(Vector512<float> u) => Vector512.GreaterThan(u, Vector512<float>.Zero) & Vector512<float>.One;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Derivative(Vector256<float> u) => Vector256.GreaterThan(u, Vector256<float>.Zero) & Vector256<float>.One;
}

/// <summary>u for u &gt; 0, slope*u otherwise (PyTorch's leaky_relu, including the slope used at u = 0 in backward).</summary>
public readonly struct LeakyRelu(float slope) : IActivation
{
    public float Slope { get; } = slope;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Apply(float u) => u > 0f ? u : Slope * u;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Apply(Vector512<float> u) => Vector512.ConditionalSelect(Vector512.GreaterThan(u, Vector512<float>.Zero), u, u * Slope);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Apply(Vector256<float> u) => Vector256.ConditionalSelect(Vector256.GreaterThan(u, Vector256<float>.Zero), u, u * Slope);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Derivative(float u) => u > 0f ? 1f : Slope;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Derivative(Vector512<float> u) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(u, Vector512<float>.Zero), Vector512<float>.One, Vector512.Create(Slope));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Derivative(Vector256<float> u) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(u, Vector256<float>.Zero), Vector256<float>.One, Vector256.Create(Slope));
}

public readonly struct Tanh : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Apply(float u) => VectorMath.Tanh(u);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Apply(Vector512<float> u) => VectorMath.Tanh(u);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Apply(Vector256<float> u) => VectorMath.Tanh(u);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Derivative(float u)
    {
        float t = VectorMath.Tanh(u);
        return 1f - t * t;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Derivative(Vector512<float> u)
    {
        var t = VectorMath.Tanh(u);
        return Vector512.FusedMultiplyAdd(-t, t, Vector512<float>.One);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Derivative(Vector256<float> u)
    {
        var t = VectorMath.Tanh(u);
        return Vector256.FusedMultiplyAdd(-t, t, Vector256<float>.One);
    }
}

public readonly struct Sigmoid : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Apply(float u) => VectorMath.Sigmoid(u);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Apply(Vector512<float> u) => VectorMath.Sigmoid(u);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Apply(Vector256<float> u) => VectorMath.Sigmoid(u);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Derivative(float u)
    {
        float s = VectorMath.Sigmoid(u);
        return s * (1f - s);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Derivative(Vector512<float> u)
    {
        var s = VectorMath.Sigmoid(u);
        return s * (Vector512<float>.One - s);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Derivative(Vector256<float> u)
    {
        var s = VectorMath.Sigmoid(u);
        return s * (Vector256<float>.One - s);
    }
}

/// <summary>PyTorch's gelu(approximate='tanh'): 0.5u(1 + tanh(sqrt(2/pi)(u + 0.044715u^3))).</summary>
/// <remarks>Evaluated as u*sigmoid(2z), the same function, because 1 + tanh(z) cancels to nothing in the left tail.</remarks>
public readonly struct GeluTanh : IActivation
{
    private const float TwoBeta = 2f * 0.7978845608028654f;
    private const float Kappa = 0.044715f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Apply(float u) => u * VectorMath.Sigmoid(TwoBeta * (u + Kappa * u * u * u));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Apply(Vector512<float> u) => u * VectorMath.Sigmoid(TwoBeta * Vector512.FusedMultiplyAdd(u * u * Kappa, u, u));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Apply(Vector256<float> u) => u * VectorMath.Sigmoid(TwoBeta * Vector256.FusedMultiplyAdd(u * u * Kappa, u, u));

    // d/du [u*s(2z)] = s + u*2s(1-s)*z'(u), with z' = beta*(1 + 3*kappa*u²).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Derivative(float u)
    {
        float u2 = u * u;
        float s = VectorMath.Sigmoid(TwoBeta * (u + Kappa * u2 * u));
        return s + u * s * (1f - s) * TwoBeta * (1f + 3f * Kappa * u2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Derivative(Vector512<float> u)
    {
        var u2 = u * u;
        var s = VectorMath.Sigmoid(TwoBeta * Vector512.FusedMultiplyAdd(u2 * Kappa, u, u));
        var slope = Vector512.FusedMultiplyAdd(u2, Vector512.Create(3f * Kappa * TwoBeta), Vector512.Create(TwoBeta));
        return Vector512.FusedMultiplyAdd(u * s * (Vector512<float>.One - s), slope, s);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Derivative(Vector256<float> u)
    {
        var u2 = u * u;
        var s = VectorMath.Sigmoid(TwoBeta * Vector256.FusedMultiplyAdd(u2 * Kappa, u, u));
        var slope = Vector256.FusedMultiplyAdd(u2, Vector256.Create(3f * Kappa * TwoBeta), Vector256.Create(TwoBeta));
        return Vector256.FusedMultiplyAdd(u * s * (Vector256<float>.One - s), slope, s);
    }
}

/// <summary>PyTorch's gelu(approximate='none'): u * Phi(u), with Phi the standard normal CDF.</summary>
public readonly struct GeluExact : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Apply(float u) => u * VectorMath.NormalCdf(u);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Apply(Vector512<float> u) => u * VectorMath.NormalCdf(u);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Apply(Vector256<float> u) => u * VectorMath.NormalCdf(u);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Derivative(float u) => VectorMath.NormalCdf(u) + u * VectorMath.NormalPdf(u);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Derivative(Vector512<float> u) => Vector512.FusedMultiplyAdd(u, VectorMath.NormalPdf(u), VectorMath.NormalCdf(u));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Derivative(Vector256<float> u) => Vector256.FusedMultiplyAdd(u, VectorMath.NormalPdf(u), VectorMath.NormalCdf(u));
}

/// <summary>PyTorch's silu (swish): u·σ(u); the derivative is σ(u)·(1 + u·(1 − σ(u))).</summary>
public readonly struct Silu : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Apply(float u) => u * VectorMath.Sigmoid(u);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Apply(Vector512<float> u) => u * VectorMath.Sigmoid(u);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Apply(Vector256<float> u) => u * VectorMath.Sigmoid(u);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Derivative(float u)
    {
        float s = VectorMath.Sigmoid(u);
        return s * (1f + u * (1f - s));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Derivative(Vector512<float> u)
    {
        var s = VectorMath.Sigmoid(u);
        return s * Vector512.FusedMultiplyAdd(u, Vector512<float>.One - s, Vector512<float>.One);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Derivative(Vector256<float> u)
    {
        var s = VectorMath.Sigmoid(u);
        return s * Vector256.FusedMultiplyAdd(u, Vector256<float>.One - s, Vector256<float>.One);
    }
}
