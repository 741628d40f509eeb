using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu;

/// <summary>
/// GroupNorm on [rows, features] input: each row's features split into <c>groups</c> contiguous groups, each
/// normalized on its own (PyTorch's GroupNorm on [N, C]); gamma/beta per feature. LayerNorm is the one-group case.
/// Row and group statistics are summed in double, two-pass.
/// </summary>
public static unsafe class GroupNorm
{
    /// <summary>values: in z, out x̂; invStd[rows*groups]; output = dropout(activation(gamma*x̂ + beta)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<TAct>(Span<float> values, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> invStd,
        Span<float> output, int rows, int features, int groups, float eps, TAct activation, Dropout dropout)
        where TAct : struct, IActivation
    {
        long count = (long)rows * features;
        CheckGroups(features, groups);
        Gemm.CheckShape(values.Length, count, nameof(values));
        Gemm.CheckShape(output.Length, count, nameof(output));
        BatchNorm.CheckFeatures(gamma.Length, beta.Length, features);
        Gemm.CheckShape(invStd.Length, (long)rows * groups, nameof(invStd));
        int width = features / groups;
        fixed (float* z = values)
        fixed (float* g = gamma)
        fixed (float* b = beta)
        fixed (float* s = invStd)
        fixed (float* y = output)
        {
            for (int i = 0; i < rows; i++)
            {
                float* row = z + (long)i * features;
                for (int group = 0; group < groups; group++)
                {
                    float* x = row + group * width;
                    double mean = Reductions.Sum(x, width) / width;
                    double variance = Reductions.SquaredDeviation(x, mean, width) / width;
                    float inv = (float)(1.0 / Math.Sqrt(variance + eps));
                    s[(long)i * groups + group] = inv;
                    Normalize(x, (float)mean, inv, width);
                }

                Elementwise.AffineActivate(row, g, b, y + (long)i * features, features, activation);
                dropout.Apply(y + (long)i * features, i * features, features);
            }
        }
    }

    /// <summary>gradient: in dL/doutput, out dL/dz; gammaGradient and betaGradient overwritten.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<TAct>(Span<float> gradient, ReadOnlySpan<float> normalized, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, ReadOnlySpan<float> invStd, Span<float> gammaGradient, Span<float> betaGradient,
        int rows, int features, int groups, TAct activation, Dropout dropout)
        where TAct : struct, IActivation
    {
        long count = (long)rows * features;
        CheckGroups(features, groups);
        Gemm.CheckShape(gradient.Length, count, nameof(gradient));
        Gemm.CheckShape(normalized.Length, count, nameof(normalized));
        BatchNorm.CheckFeatures(gamma.Length, beta.Length, features);
        Gemm.CheckShape(invStd.Length, (long)rows * groups, nameof(invStd));
        Gemm.CheckShape(gammaGradient.Length, features, nameof(gammaGradient));
        Gemm.CheckShape(betaGradient.Length, features, nameof(betaGradient));
        int width = features / groups;
        using var scratch = new DoubleScratch(2 * features + (features + 1) / 2, stackalloc double[DoubleScratch.StackLimit]);
        double* dGamma = scratch.Pointer;
        double* dBeta = dGamma + features;
        float* dxhat = (float*)(dBeta + features);
        new Span<double>(dGamma, 2 * features).Clear();
        fixed (float* dy = gradient)
        fixed (float* xhat = normalized)
        fixed (float* g = gamma)
        fixed (float* b = beta)
        fixed (float* s = invStd)
        fixed (float* dg = gammaGradient)
        fixed (float* db = betaGradient)
        {
            for (int i = 0; i < rows; i++)
            {
                float* row = dy + (long)i * features;
                float* x = xhat + (long)i * features;
                dropout.Apply(row, i * features, features);
                Elementwise.MultiplyAffineDerivative(row, x, g, b, features, activation);
                Reductions.AccumulateRow(dBeta, row, features);
                Reductions.AccumulateProduct(dGamma, row, x, features);
                Multiply(row, g, dxhat, features);
                for (int group = 0; group < groups; group++)
                {
                    int offset = group * width;
                    // dz = invStd*(dx̂ - mean(dx̂) - x̂*mean(dx̂*x̂)), the means taken over the group.
                    float meanD = (float)(Reductions.Sum(dxhat + offset, width) / width);
                    float meanDx = (float)(Reductions.Dot(dxhat + offset, x + offset, width) / width);
                    InputGradient(row + offset, dxhat + offset, x + offset, meanD, meanDx, s[(long)i * groups + group], width);
                }
            }

            for (int j = 0; j < features; j++)
            {
                dg[j] = (float)dGamma[j];
                db[j] = (float)dBeta[j];
            }
        }
    }

    private static void CheckGroups(int features, int groups)
    {
        if (groups <= 0 || features % groups != 0)
        {
            throw new ArgumentException($"groups ({groups}) must be positive and divide features ({features}).", nameof(groups));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Normalize(float* x, float mean, float inv, int count)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var m = Vector512.Create(mean);
            var s = Vector512.Create(inv);
            for (; j + 16 <= count; j += 16)
            {
                ((Vector512.Load(x + j) - m) * s).Store(x + j);
            }
        }

        for (; j < count; j++)
        {
            x[j] = (x[j] - mean) * inv;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Multiply(float* a, float* b, float* result, int count)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 16 <= count; j += 16)
            {
                (Vector512.Load(a + j) * Vector512.Load(b + j)).Store(result + j);
            }
        }

        for (; j < count; j++)
        {
            result[j] = a[j] * b[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputGradient(float* dz, float* dxhat, float* xhat, float meanD, float meanDx, float inv, int count)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var md = Vector512.Create(meanD);
            var mdx = Vector512.Create(meanDx);
            for (; j + 16 <= count; j += 16)
            {
                ((Vector512.Load(dxhat + j) - md - Vector512.Load(xhat + j) * mdx) * inv).Store(dz + j);
            }
        }

        for (; j < count; j++)
        {
            dz[j] = (dxhat[j] - meanD - xhat[j] * meanDx) * inv;
        }
    }
}
