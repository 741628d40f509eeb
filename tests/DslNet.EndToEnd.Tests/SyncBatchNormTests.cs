using DslNet.EndToEnd.Tests.Models;
using DslNet.Kernels.Cpu;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// SyncBatchNorm in a world of one: its split kernels (statistics, reduction, normalization) with the identity as the
/// reduction are bit-identical to plain BatchNorm, through training steps. Over several ranks: DslNet.Distributed.Tests.
/// </summary>
public sealed class SyncBatchNormTests
{
    private const int Rows = 48;

    /// <summary>The identity reduction, counting its calls (so the test knows the synced path ran).</summary>
    private sealed class CountingIdentity : IStatisticsReducer
    {
        public int Calls { get; private set; }

        public void AllReduceSum(Span<double> values) => Calls++;
    }

    [Fact]
    public void Alone_SyncBatchNorm_trains_bit_identically_to_BatchNorm()
    {
        var random = new Random(8);
        var inputs = Enumerable.Range(0, Rows * SyncBatchNormNet.InputSize).Select(_ => (float)(random.NextDouble() * 4 - 1)).ToArray();
        var labels = Enumerable.Range(0, Rows).Select(_ => (float)random.Next(2)).ToArray();
        var reducer = new CountingIdentity();
        var synced = new SyncBatchNormNet(seed: 5) { StatisticsReducer = reducer };
        var plain = new PlainBatchNormNet(seed: 5);
        var syncedOptimizer = new AdamW(synced.Parameters, lr: 1e-2, weightDecay: 1e-2);
        var plainOptimizer = new AdamW(plain.Parameters, lr: 1e-2, weightDecay: 1e-2);

        for (var step = 0; step < 4; step++)
        {
            Assert.Equal(plain.TrainStep(inputs, labels), synced.TrainStep(inputs, labels));
            Assert.Equal(plain.Gradients.Span.ToArray(), synced.Gradients.Span.ToArray());
            syncedOptimizer.Step();
            plainOptimizer.Step();
        }

        Assert.Equal(plain.Parameters.Span.ToArray(), synced.Parameters.Span.ToArray());
        Assert.Equal(plain.RunningStatistics.Span.ToArray(), synced.RunningStatistics.Span.ToArray());
        Assert.Equal(4 * 2 * (2 + 1), reducer.Calls);   // per step, two synced blocks: two reductions forward, one backward
        Assert.Contains("SyncBatchNorm", synced.Summary());
    }

    [Fact]
    public void Without_a_reducer_SyncBatchNorm_is_plain_BatchNorm_and_the_world_of_one_reduces_nothing()
    {
        var random = new Random(9);
        var inputs = Enumerable.Range(0, Rows * SyncBatchNormNet.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, Rows).Select(_ => (float)random.Next(2)).ToArray();
        var unset = new SyncBatchNormNet(seed: 6);
        var single = new SyncBatchNormNet(seed: 6) { StatisticsReducer = DistributedContext.Single };
        var plain = new PlainBatchNormNet(seed: 6);

        var losses = new[] { plain.TrainStep(inputs, labels), unset.TrainStep(inputs, labels), single.TrainStep(inputs, labels) };

        Assert.All(losses, loss => Assert.Equal(losses[0], loss));
        Assert.Equal(plain.Gradients.Span.ToArray(), unset.Gradients.Span.ToArray());
        Assert.Equal(plain.Gradients.Span.ToArray(), single.Gradients.Span.ToArray());
        Assert.Equal(plain.RunningStatistics.Span.ToArray(), single.RunningStatistics.Span.ToArray());
    }
}
