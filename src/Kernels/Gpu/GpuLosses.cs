using ILGPU;

namespace DslNet.Kernels.Gpu;

/// <summary>
/// Losses on the device with <see cref="Cpu.Losses"/>' numerics (per-element terms in double, mean reduction), fused
/// with the gradient of the last block (times the loss scale). Grid-stride over <see cref="RowGroup"/> groups; each
/// group writes its partial sum into its slot of <c>total</c> (<see cref="PartialsOffset"/>), and
/// <see cref="GroupPartials.Merge"/> adds the slots into <c>total[</c><see cref="LossSumCell"/><c>]</c> in a fixed order
/// (no atomics: the same bits every run). Logits are read from the network's storage
/// (fp16/bf16 logits widen exactly), the loss is summed in double, and the scaled gradient is rounded once, on store
/// (so an fp16 overflow of gradient × scale raises the overflow flag right here).
/// </summary>
public static class GpuLosses
{
    /// <summary>The loss sum's cell in a network's sums (<see cref="NetworkViews.Sums"/>), written by the merge.</summary>
    public const int LossSumCell = 0;

    /// <summary>The gradient overflow flag's cell (<see cref="NetworkViews.OverflowFlag"/>).</summary>
    public const int OverflowCell = 1;

    /// <summary>Where the loss kernel's per-group partial sums start: one slot per group, up to
    /// <see cref="GroupPartials.MaxGroups"/>.</summary>
    public const int PartialsOffset = 2;

    /// <summary>Doubles of a network's sums: the loss sum, the overflow flag and the partial-sum slots.</summary>
    public const int SumsLength = PartialsOffset + GroupPartials.MaxGroups;

    public static KernelConfig Config(int count) => GroupPartials.Config(count);

    /// <summary>The partial-sum slots of a network's sums (zeroed with the loss sum before each loss kernel).</summary>
    public static ArrayView<double> Partials(ArrayView<double> sums) => sums.SubView(PartialsOffset, GroupPartials.MaxGroups);

    /// <summary>mean(max(x, 0) − x·t + log1p(exp(−|x|))); gradient (sigmoid(x) − t)/N · lossScale (empty gradient: none).</summary>
    public static void BinaryCrossEntropyWithLogits<TLogits, TGradient>(TLogits logits, ArrayView<float> targets, TGradient gradient,
        bool withGradient, int n, float lossScale, ArrayView<double> total)
        where TLogits : struct, IDeviceTensor
        where TGradient : struct, IDeviceTensor
    {
        double sum = 0;
        for (int i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
        {
            double x = logits.Load(i), t = targets[i];
            double e = System.Math.Exp(-System.Math.Abs(x));
            sum += System.Math.Max(x, 0) - x * t + Log1p(e);
            if (withGradient)
            {
                double sigmoid = x >= 0 ? 1 / (1 + e) : e / (1 + e);
                gradient.Store(i, (float)((sigmoid - t) / n) * lossScale);
            }
        }

        Accumulate(sum, total);
    }

    /// <summary>mean((p − t)²); gradient 2(p − t)/N · lossScale.</summary>
    public static void MeanSquaredError<TPredictions, TGradient>(TPredictions predictions, ArrayView<float> targets, TGradient gradient,
        bool withGradient, int n, float lossScale, ArrayView<double> total)
        where TPredictions : struct, IDeviceTensor
        where TGradient : struct, IDeviceTensor
    {
        double sum = 0;
        for (int i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
        {
            double d = (double)predictions.Load(i) - targets[i];
            sum += d * d;
            if (withGradient) gradient.Store(i, (float)(2 * d / n) * lossScale);
        }

        Accumulate(sum, total);
    }

    /// <summary>
    /// Softmax cross-entropy over [rows, classes] with class-index targets, one thread per row; label smoothing ε as
    /// <see cref="Cpu.Losses.CrossEntropy"/> (PyTorch's <c>label_smoothing</c>).
    /// </summary>
    public static void CrossEntropy<TLogits, TGradient>(TLogits logits, ArrayView<float> targets, TGradient gradient,
        bool withGradient, int rows, int classes, float lossScale, ArrayView<double> total, float labelSmoothing = 0f)
        where TLogits : struct, IDeviceTensor
        where TGradient : struct, IDeviceTensor
    {
        double targetWeight = 1.0 - labelSmoothing, uniformWeight = (double)labelSmoothing / classes;
        double sum = 0;
        for (int i = Grid.GlobalIndex.X; i < rows; i += Grid.DimX * Group.DimX)
        {
            int start = i * classes, target = (int)targets[i];
            double max = double.NegativeInfinity, logitSum = 0;
            for (int j = 0; j < classes; j++)
            {
                double logit = logits.Load(start + j);
                max = System.Math.Max(max, logit);
                logitSum += logit;
            }

            double exponentials = 0;
            for (int j = 0; j < classes; j++) exponentials += System.Math.Exp(logits.Load(start + j) - max);
            double logSumExp = max + System.Math.Log(exponentials);
            double targetLoss = logSumExp - logits.Load(start + target);
            sum += labelSmoothing == 0f ? targetLoss : targetWeight * targetLoss + uniformWeight * (classes * logSumExp - logitSum);
            if (withGradient)
            {
                for (int j = 0; j < classes; j++)
                {
                    double softmax = System.Math.Exp(logits.Load(start + j) - logSumExp);
                    double smoothedTarget = (j == target ? targetWeight : 0.0) + uniformWeight;
                    gradient.Store(start + j, (float)((softmax - smoothedTarget) / rows) * lossScale);
                }
            }
        }

        Accumulate(sum, total);
    }

    private static void Accumulate(double sum, ArrayView<double> total) => GroupPartials.Write(sum, Partials(total));

    private static double Log1p(double e) => e < 1e-4 ? e * (1 - e * (0.5 - e / 3)) : System.Math.Log(1 + e);
}
