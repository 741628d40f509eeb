using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu;

/// <summary>Vectorized row loops shared by the GEMM epilogues and the normalization layers.</summary>
internal static unsafe class Elementwise
{
    /// <summary>output[i] = act(pre[i]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Activate<TAct>(float* pre, float* output, int count, TAct act)
        where TAct : struct, IActivation
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= count; i += 16)
            {
                act.Apply(Vector512.Load(pre + i)).Store(output + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= count; i += 8)
            {
                act.Apply(Vector256.Load(pre + i)).Store(output + i);
            }
        }

        for (; i < count; i++)
        {
            output[i] = act.Apply(pre[i]);
        }
    }

    /// <summary>gradient[i] *= act'(pre[i]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyDerivative<TAct>(float* gradient, float* pre, int count, TAct act)
        where TAct : struct, IActivation
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= count; i += 16)
            {
                (Vector512.Load(gradient + i) * act.Derivative(Vector512.Load(pre + i))).Store(gradient + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= count; i += 8)
            {
                (Vector256.Load(gradient + i) * act.Derivative(Vector256.Load(pre + i))).Store(gradient + i);
            }
        }

        for (; i < count; i++)
        {
            gradient[i] *= act.Derivative(pre[i]);
        }
    }

    /// <summary>values[i] = act(((values[i] + bias[i]) * scale[i]) + shift[i]); null bias/scale/shift are skipped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BiasAffineActivate<TAct>(float* values, float* bias, float* scale, float* shift, int count, TAct act)
        where TAct : struct, IActivation
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= count; i += 16)
            {
                var v = Vector512.Load(values + i);
                if (bias != null)
                {
                    v += Vector512.Load(bias + i);
                }

                if (scale != null)
                {
                    v = Vector512.FusedMultiplyAdd(v, Vector512.Load(scale + i), Vector512.Load(shift + i));
                }

                act.Apply(v).Store(values + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= count; i += 8)
            {
                var v = Vector256.Load(values + i);
                if (bias != null)
                {
                    v += Vector256.Load(bias + i);
                }

                if (scale != null)
                {
                    v = Vector256.FusedMultiplyAdd(v, Vector256.Load(scale + i), Vector256.Load(shift + i));
                }

                act.Apply(v).Store(values + i);
            }
        }

        for (; i < count; i++)
        {
            float v = values[i];
            if (bias != null)
            {
                v += bias[i];
            }

            if (scale != null)
            {
                v = MathF.FusedMultiplyAdd(v, scale[i], shift[i]);
            }

            values[i] = act.Apply(v);
        }
    }

    /// <summary>values[i] += bias[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(float* values, float* bias, int count)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= count; i += 16)
            {
                (Vector512.Load(values + i) + Vector512.Load(bias + i)).Store(values + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= count; i += 8)
            {
                (Vector256.Load(values + i) + Vector256.Load(bias + i)).Store(values + i);
            }
        }

        for (; i < count; i++)
        {
            values[i] += bias[i];
        }
    }

    /// <summary>result[i] = a[i] + b[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sum(float* a, float* b, float* result, int count)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= count; i += 16)
            {
                (Vector512.Load(a + i) + Vector512.Load(b + i)).Store(result + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= count; i += 8)
            {
                (Vector256.Load(a + i) + Vector256.Load(b + i)).Store(result + i);
            }
        }

        for (; i < count; i++)
        {
            result[i] = a[i] + b[i];
        }
    }

    /// <summary>output[i] = act(a[i] + b[i]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SumActivate<TAct>(float* a, float* b, float* output, int count, TAct act)
        where TAct : struct, IActivation
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= count; i += 16)
            {
                act.Apply(Vector512.Load(a + i) + Vector512.Load(b + i)).Store(output + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= count; i += 8)
            {
                act.Apply(Vector256.Load(a + i) + Vector256.Load(b + i)).Store(output + i);
            }
        }

        for (; i < count; i++)
        {
            output[i] = act.Apply(a[i] + b[i]);
        }
    }

    /// <summary>output[i] = act(gamma[i]*normalized[i] + beta[i]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AffineActivate<TAct>(float* normalized, float* gamma, float* beta, float* output, int count, TAct act)
        where TAct : struct, IActivation
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= count; i += 16)
            {
                var y = Vector512.FusedMultiplyAdd(Vector512.Load(gamma + i), Vector512.Load(normalized + i), Vector512.Load(beta + i));
                act.Apply(y).Store(output + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= count; i += 8)
            {
                var y = Vector256.FusedMultiplyAdd(Vector256.Load(gamma + i), Vector256.Load(normalized + i), Vector256.Load(beta + i));
                act.Apply(y).Store(output + i);
            }
        }

        for (; i < count; i++)
        {
            output[i] = act.Apply(MathF.FusedMultiplyAdd(gamma[i], normalized[i], beta[i]));
        }
    }

    /// <summary>gradient[i] *= act'(gamma[i]*normalized[i] + beta[i]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyAffineDerivative<TAct>(float* gradient, float* normalized, float* gamma, float* beta, int count, TAct act)
        where TAct : struct, IActivation
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= count; i += 16)
            {
                var y = Vector512.FusedMultiplyAdd(Vector512.Load(gamma + i), Vector512.Load(normalized + i), Vector512.Load(beta + i));
                (Vector512.Load(gradient + i) * act.Derivative(y)).Store(gradient + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= count; i += 8)
            {
                var y = Vector256.FusedMultiplyAdd(Vector256.Load(gamma + i), Vector256.Load(normalized + i), Vector256.Load(beta + i));
                (Vector256.Load(gradient + i) * act.Derivative(y)).Store(gradient + i);
            }
        }

        for (; i < count; i++)
        {
            gradient[i] *= act.Derivative(MathF.FusedMultiplyAdd(gamma[i], normalized[i], beta[i]));
        }
    }
}
