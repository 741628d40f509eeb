using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu;

/// <summary>
/// BatchNorm1d over the rows of a [rows, features] batch, always affine, fused with the block's activation and
/// dropout. Statistics are accumulated in double and in two passes so results match PyTorch's float32 to ~1e-6.
/// </summary>
public static unsafe class BatchNorm
{
    /// <summary>values: in z, out x̂ (saved for backward). output = dropout(activation(gamma*x̂ + beta)).
    /// Normalizes with the biased batch variance; updates running statistics with the unbiased one.</summary>
    [SkipLocalsInit]
    public static void ForwardTraining<TAct>(Span<float> values, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> runningMean, Span<float> runningVar, Span<float> invStd, Span<float> output,
        int rows, int features, float momentum, float eps, TAct activation, Dropout dropout)
        where TAct : struct, IActivation
    {
        if (rows < 2)
        {
            throw new ArgumentException("BatchNorm needs more than one row per batch in training.", nameof(rows));
        }

        long count = (long)rows * features;
        Gemm.CheckShape(values.Length, count, nameof(values));
        Gemm.CheckShape(output.Length, count, nameof(output));
        CheckFeatures(gamma.Length, beta.Length, features);
        Gemm.CheckShape(runningMean.Length, features, nameof(runningMean));
        Gemm.CheckShape(runningVar.Length, features, nameof(runningVar));
        Gemm.CheckShape(invStd.Length, features, nameof(invStd));
        using var scratch = new DoubleScratch(3 * features, stackalloc double[DoubleScratch.StackLimit]);
        double* mean = scratch.Pointer;
        double* squares = mean + features;
        float* meanF = (float*)(squares + features);
        float* inv = meanF + features;
        new Span<double>(mean, 2 * features).Clear();
        fixed (float* z = values)
        fixed (float* g = gamma)
        fixed (float* b = beta)
        fixed (float* rm = runningMean)
        fixed (float* rv = runningVar)
        fixed (float* s = invStd)
        fixed (float* y = output)
        {
            for (int i = 0; i < rows; i++)
            {
                Reductions.AccumulateRow(mean, z + (long)i * features, features);
            }

            for (int j = 0; j < features; j++)
            {
                mean[j] /= rows;
            }

            for (int i = 0; i < rows; i++)
            {
                Reductions.AccumulateSquaredDeviation(squares, z + (long)i * features, mean, features);
            }

            for (int j = 0; j < features; j++)
            {
                double biased = squares[j] / rows;
                inv[j] = s[j] = (float)(1.0 / Math.Sqrt(biased + eps));
                meanF[j] = (float)mean[j];
                rm[j] = (float)((1.0 - momentum) * rm[j] + momentum * mean[j]);
                rv[j] = (float)((1.0 - momentum) * rv[j] + momentum * (squares[j] / (rows - 1)));
            }

            for (int i = 0; i < rows; i++)
            {
                float* row = z + (long)i * features;
                Normalize(row, meanF, inv, features);
                Elementwise.AffineActivate(row, g, b, y + (long)i * features, features, activation);
                dropout.Apply(y + (long)i * features, i * features, features);
            }
        }
    }

    /// <summary>Eval-mode BatchNorm as a per-feature affine map: scale = gamma/sqrt(runningVar + eps),
    /// shift = beta - runningMean*scale.</summary>
    public static void InferenceAffine(ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean,
        ReadOnlySpan<float> runningVar, float eps, Span<float> scale, Span<float> shift, int features)
    {
        CheckFeatures(gamma.Length, beta.Length, features);
        Gemm.CheckShape(runningMean.Length, features, nameof(runningMean));
        Gemm.CheckShape(runningVar.Length, features, nameof(runningVar));
        Gemm.CheckShape(scale.Length, features, nameof(scale));
        Gemm.CheckShape(shift.Length, features, nameof(shift));
        for (int j = 0; j < features; j++)
        {
            double s = gamma[j] / Math.Sqrt((double)runningVar[j] + eps);
            scale[j] = (float)s;
            shift[j] = (float)(beta[j] - runningMean[j] * s);
        }
    }

    /// <summary>gradient: in dL/doutput, out dL/dz. Applies the dropout mask and f'(gamma*x̂ + beta) first.
    /// gammaGradient and betaGradient are overwritten.</summary>
    [SkipLocalsInit]
    public static void Backward<TAct>(Span<float> gradient, ReadOnlySpan<float> normalized, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, ReadOnlySpan<float> invStd, Span<float> gammaGradient, Span<float> betaGradient,
        int rows, int features, TAct activation, Dropout dropout)
        where TAct : struct, IActivation
    {
        long count = (long)rows * features;
        Gemm.CheckShape(gradient.Length, count, nameof(gradient));
        Gemm.CheckShape(normalized.Length, count, nameof(normalized));
        CheckFeatures(gamma.Length, beta.Length, features);
        Gemm.CheckShape(invStd.Length, features, nameof(invStd));
        Gemm.CheckShape(gammaGradient.Length, features, nameof(gammaGradient));
        Gemm.CheckShape(betaGradient.Length, features, nameof(betaGradient));
        using var scratch = new DoubleScratch(4 * features, stackalloc double[DoubleScratch.StackLimit]);
        double* dGamma = scratch.Pointer;
        double* dBeta = dGamma + features;
        float* scale = (float*)(dBeta + features);
        float* meanDBeta = scale + features;
        float* meanDGamma = meanDBeta + features;
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
            }

            for (int j = 0; j < features; j++)
            {
                dg[j] = (float)dGamma[j];
                db[j] = (float)dBeta[j];
                scale[j] = g[j] * s[j];
                meanDBeta[j] = (float)(dBeta[j] / rows);
                meanDGamma[j] = (float)(dGamma[j] / rows);
            }

            // dz = gamma*invStd*(dy - mean(dy) - x̂*mean(dy*x̂)), the means taken over the batch.
            for (int i = 0; i < rows; i++)
            {
                InputGradient(dy + (long)i * features, xhat + (long)i * features, scale, meanDBeta, meanDGamma, features);
            }
        }
    }

    internal static void CheckFeatures(int gammaLength, int betaLength, int features)
    {
        Gemm.CheckShape(gammaLength, features, "gamma");
        Gemm.CheckShape(betaLength, features, "beta");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Normalize(float* row, float* mean, float* inv, int count)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 16 <= count; j += 16)
            {
                ((Vector512.Load(row + j) - Vector512.Load(mean + j)) * Vector512.Load(inv + j)).Store(row + j);
            }
        }

        for (; j < count; j++)
        {
            row[j] = (row[j] - mean[j]) * inv[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputGradient(float* dy, float* xhat, float* scale, float* meanDBeta, float* meanDGamma, int count)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 16 <= count; j += 16)
            {
                var centered = Vector512.Load(dy + j) - Vector512.Load(meanDBeta + j) - Vector512.Load(xhat + j) * Vector512.Load(meanDGamma + j);
                (centered * Vector512.Load(scale + j)).Store(dy + j);
            }
        }

        for (; j < count; j++)
        {
            dy[j] = (dy[j] - meanDBeta[j] - xhat[j] * meanDGamma[j]) * scale[j];
        }
    }
}
