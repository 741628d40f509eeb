using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu;

/// <summary>
/// Losses with PyTorch's mean reduction. Each returns the loss and, unless the gradient span is empty, writes
/// dL/dinput (already divided by the element or row count). Per-element math is in double: these run over a batch
/// of logits, not a hidden layer, so the cost is negligible and the results match PyTorch at the extremes.
/// </summary>
public static class Losses
{
    /// <summary>mean(max(x, 0) - x*t + log1p(exp(-|x|))); gradient (sigmoid(x) - t)/N. Finite for any finite logit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float BinaryCrossEntropyWithLogits(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, Span<float> logitGradient)
    {
        int n = logits.Length;
        CheckPair(n, targets.Length, logitGradient.Length, nameof(targets), nameof(logitGradient));
        if (n == 0)
        {
            return float.NaN;
        }

        double sum = 0;
        bool withGradient = !logitGradient.IsEmpty;
        for (int i = 0; i < n; i++)
        {
            double x = logits[i];
            double t = targets[i];
            double e = Math.Exp(-Math.Abs(x));
            sum += Math.Max(x, 0) - x * t + Log1p(e);
            if (withGradient)
            {
                double sigmoid = x >= 0 ? 1 / (1 + e) : e / (1 + e);
                logitGradient[i] = (float)((sigmoid - t) / n);
            }
        }

        return (float)(sum / n);
    }

    /// <summary>
    /// Softmax cross-entropy over [rows, classes] logits with class-index targets (as floats), mean over rows. With
    /// <paramref name="labelSmoothing"/> ε the target is PyTorch's <c>label_smoothing</c> mixture, (1 − ε) on the class
    /// and ε/classes on every class: a row's loss is (1 − ε)(lse − x_t) + ε/classes · Σ_j (lse − x_j), its gradient
    /// softmax − (1 − ε)·onehot − ε/classes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float CrossEntropy(
        ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, Span<float> logitGradient, int rows, int classes, float labelSmoothing = 0f)
    {
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must be in [0, 1] (PyTorch's label_smoothing).");
        }

        Gemm.CheckShape(logits.Length, (long)rows * classes, nameof(logits));
        Gemm.CheckShape(targets.Length, rows, nameof(targets));
        if (!logitGradient.IsEmpty)
        {
            Gemm.CheckShape(logitGradient.Length, (long)rows * classes, nameof(logitGradient));
        }

        for (int i = 0; i < rows; i++)
        {
            float t = targets[i];
            if (!(t >= 0 && t < classes) || t != MathF.Floor(t))
            {
                throw new ArgumentException($"Cross-entropy target at row {i} is {t}; it must be a class index in [0, {classes}).", nameof(targets));
            }
        }

        if (rows == 0)
        {
            return float.NaN;
        }

        double targetWeight = 1.0 - labelSmoothing;
        double uniformWeight = (double)labelSmoothing / classes;
        double sum = 0;
        for (int i = 0; i < rows; i++)
        {
            var row = logits.Slice(i * classes, classes);
            int target = (int)targets[i];
            double max = double.NegativeInfinity;
            double logitSum = 0;
            foreach (float v in row)
            {
                max = Math.Max(max, v);
                logitSum += v;
            }

            double total = 0;
            foreach (float v in row)
            {
                total += Math.Exp(v - max);
            }

            double logSumExp = max + Math.Log(total);
            sum += labelSmoothing == 0f
                ? logSumExp - row[target]
                : targetWeight * (logSumExp - row[target]) + uniformWeight * (classes * logSumExp - logitSum);
            if (!logitGradient.IsEmpty)
            {
                var gradient = logitGradient.Slice(i * classes, classes);
                for (int j = 0; j < classes; j++)
                {
                    double softmax = Math.Exp(row[j] - logSumExp);
                    gradient[j] = (float)((softmax - (j == target ? targetWeight : 0) - uniformWeight) / rows);
                }
            }
        }

        return (float)(sum / rows);
    }

    /// <summary>mean((p - t)²); gradient 2(p - t)/N.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float MeanSquaredError(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient)
    {
        int n = predictions.Length;
        CheckPair(n, targets.Length, gradient.Length, nameof(targets), nameof(gradient));
        if (n == 0)
        {
            return float.NaN;
        }

        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            double d = (double)predictions[i] - targets[i];
            sum += d * d;
            if (!gradient.IsEmpty)
            {
                gradient[i] = (float)(2 * d / n);
            }
        }

        return (float)(sum / n);
    }

    // log(1 + e) for e in [0, 1]; the series keeps relative accuracy where 1 + e rounds to 1.
    private static double Log1p(double e) => e < 1e-4 ? e * (1 - e * (0.5 - e / 3)) : Math.Log(1 + e);

    private static void CheckPair(int n, int targets, int gradient, string targetsName, string gradientName)
    {
        if (targets != n)
        {
            throw new ArgumentException($"Expected {n} targets, got {targets}.", targetsName);
        }

        if (gradient != 0 && gradient != n)
        {
            throw new ArgumentException($"Expected an empty gradient or {n} elements, got {gradient}.", gradientName);
        }
    }

    /// <summary>
    /// Multiplies a loss gradient by the loss scale, so the backward pass carries scaled gradients (dynamic loss
    /// scaling: small fp16 gradients stay representable; the scaler divides them out before the optimizer step).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScaleGradient(Span<float> gradient, float scale)
    {
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref var start = ref MemoryMarshal.GetReference(gradient);
            for (; i <= gradient.Length - Vector512<float>.Count; i += Vector512<float>.Count)
                (Vector512.LoadUnsafe(ref start, (nuint)i) * scale).StoreUnsafe(ref start, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            ref var start = ref MemoryMarshal.GetReference(gradient);
            for (; i <= gradient.Length - Vector256<float>.Count; i += Vector256<float>.Count)
                (Vector256.LoadUnsafe(ref start, (nuint)i) * scale).StoreUnsafe(ref start, (nuint)i);
        }
        for (; i < gradient.Length; i++) gradient[i] *= scale;
    }
}
