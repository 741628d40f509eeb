using DslNet.Kernels.Cpu;

namespace DslNet.Distributed.Worker;

/// <summary>
/// (4) SyncBatchNorm over the ranks against BatchNorm over the combined batch, computed on every rank: first the kernels
/// element by element (forward output, x̂, inverse std, running statistics; input, γ and β gradients), then whole
/// training steps of a model (loss, averaged gradients, parameters and running statistics after AdamW steps).
/// </summary>
internal static class SyncBatchNormScenario
{
    private const int Features = 40;    // more than one 32-feature column range, and a vector tail

    public static int Run(DistributedContext world, int batchPerRank, int steps)
    {
        var kernel = CompareKernels(world, batchPerRank);
        Say(world, $"SYNCBN_KERNEL forward={kernel.Forward:E3} running={kernel.Running:E3} backward={kernel.Backward:E3}");
        var model = CompareTraining(world, batchPerRank, steps);
        Say(world, $"SYNCBN_MODEL loss={model.Loss:E3} gradients={model.Gradients:E3} parameters={model.Parameters:E3} running={model.Running:E3}");
        return 0;
    }

    private static void Say(DistributedContext world, string line)
    {
        Console.WriteLine($"[{world.Rank}] {line}");
        Console.Out.Flush();
    }

    private static float[] Random(int count, int seed, double scale = 1, double shift = 0)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale + shift)).ToArray();
    }

    private static (double Forward, double Running, double Backward) CompareKernels(DistributedContext world, int batchPerRank)
    {
        var rows = batchPerRank * world.Size;
        var mine = new Range(world.Rank * batchPerRank * Features, (world.Rank + 1) * batchPerRank * Features);
        var z = Random(rows * Features, 1, scale: 3, shift: 0.5);
        var dy = Random(rows * Features, 2);
        var gamma = Random(Features, 3, scale: 0.5, shift: 1);
        var beta = Random(Features, 4);
        var activation = new LeakyRelu(0.1f);

        // The reference: the combined batch in one process.
        var (all, allRunning, allInv, allOutput) = (z.ToArray(), Running(), new float[Features], new float[rows * Features]);
        BatchNorm.ForwardTraining(all, gamma, beta, allRunning.Mean, allRunning.Variance, allInv, allOutput, rows, Features,
            momentum: 0.1f, eps: 1e-5f, activation, Dropout.None);
        var allGradient = dy.ToArray();
        var (allDGamma, allDBeta) = (new float[Features], new float[Features]);
        BatchNorm.Backward(allGradient, all, gamma, beta, allInv, allDGamma, allDBeta, rows, Features, activation, Dropout.None);

        // This rank's rows, synced.
        var (local, localRunning, localInv, localOutput) = (z[mine], Running(), new float[Features], new float[batchPerRank * Features]);
        BatchNorm.ForwardTrainingSynced(local, gamma, beta, localRunning.Mean, localRunning.Variance, localInv, localOutput, batchPerRank,
            Features, momentum: 0.1f, eps: 1e-5f, activation, Dropout.None, world);
        var localGradient = dy[mine];
        var (dGamma, dBeta) = (new float[Features], new float[Features]);
        BatchNorm.BackwardSynced(localGradient, local, gamma, beta, localInv, dGamma, dBeta, batchPerRank, Features, activation, Dropout.None, world);
        // γ and β gradients are each rank's own sums: their sum over ranks is the combined batch's.
        world.AllReduceSum(dGamma);
        world.AllReduceSum(dBeta);

        var forward = Math.Max(MaxDiff(localOutput, allOutput[mine]), Math.Max(MaxDiff(local, all[mine]), MaxDiff(localInv, allInv)));
        var running = Math.Max(MaxDiff(localRunning.Mean, allRunning.Mean), MaxDiff(localRunning.Variance, allRunning.Variance));
        var backward = Math.Max(MaxDiff(localGradient, allGradient[mine]), Math.Max(MaxDiff(dGamma, allDGamma), MaxDiff(dBeta, allDBeta)));
        return (forward, running, backward);
    }

    private static (float[] Mean, float[] Variance) Running() => (new float[Features], Enumerable.Repeat(1f, Features).ToArray());

    private static (double Loss, double Gradients, double Parameters, double Running) CompareTraining(DistributedContext world, int batchPerRank, int steps)
    {
        var rows = batchPerRank * world.Size;
        var data = WorkerData.Binary(rows * steps, seed: 9);
        var synced = new SyncNormNet(seed: 17) { StatisticsReducer = world };
        var reference = new LocalNormNet(seed: 17);
        var synchronizer = new GradientSynchronizer(world, synced.Gradients, bucketCapacity: 64);
        synced.GradientsReady = synchronizer;
        var syncedOptimizer = new AdamW(synced.Parameters, lr: 1e-2, weightDecay: 1e-2);
        var referenceOptimizer = new AdamW(reference.Parameters, lr: 1e-2, weightDecay: 1e-2);
        double loss = 0, gradients = 0;
        Span<double> meanLoss = stackalloc double[1];
        for (var step = 0; step < steps; step++)
        {
            var features = data.Features.Slice(step * rows * 8, rows * 8);
            var labels = data.Labels.Slice(step * rows, rows);
            var mine = features.Slice(world.Rank * batchPerRank * 8, batchPerRank * 8);
            meanLoss[0] = synced.TrainStep(mine, labels.Slice(world.Rank * batchPerRank, batchPerRank));
            synchronizer.Synchronize();
            world.AllReduceSum(meanLoss);
            var referenceLoss = reference.TrainStep(features, labels);
            loss = Math.Max(loss, Math.Abs(meanLoss[0] / world.Size - referenceLoss));
            gradients = Math.Max(gradients, MaxDiff(synced.Gradients.Span, reference.Gradients.Span));
            syncedOptimizer.Step();
            referenceOptimizer.Step();
        }
        return (loss, gradients, MaxDiff(synced.Parameters.Span, reference.Parameters.Span),
            MaxDiff(synced.RunningStatistics.Span, reference.RunningStatistics.Span));
    }

    private static double MaxDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"lengths {a.Length} and {b.Length} differ");
        var max = 0.0;
        for (var i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
