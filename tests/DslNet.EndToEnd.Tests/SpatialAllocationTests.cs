using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>The generated CNN and ResNet: a training step (forward, loss, backward, clip, AdamW, one-cycle) and a Predict
/// call allocate nothing once the workspace and the kernels' per-thread scratch have grown.</summary>
[Collection(AllocationCollection.Name)]
public sealed class SpatialAllocationTests
{
    private const int Rows = 32;
    private const long AllThreadsAllowance = 16 * 1024;

    [Fact]
    public void Cnn_training_steps_and_predictions_allocate_nothing() => AssertNoAllocation(new ReplayTinyCnn(seed: 3));

    [Fact]
    public void ResNet_training_steps_and_predictions_allocate_nothing() => AssertNoAllocation(new ReplayTinyResNet(seed: 3));

    private static void AssertNoAllocation(INetwork model)
    {
        var optimizer = new AdamW(model.Parameters, lr: 1e-3, weightDecay: 1e-2);
        var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: 2_000);
        var random = new Random(5);
        var inputs = Enumerable.Range(0, Rows * model.InputSize).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var labels = Enumerable.Range(0, Rows).Select(_ => (float)random.Next(model.OutputSize)).ToArray();
        var outputs = new float[Rows * model.OutputSize];

        void Step()
        {
            model.TrainStep(inputs, labels);
            GradClip.ByNorm(model.Gradients, 1.0);
            optimizer.Step();
            schedule.Step();
            model.Predict(inputs, outputs);
        }

        // Warm-up: JIT, workspace and scratch growth, worker threads, tiered recompilation.
        for (var i = 0; i < 300; i++) Step();

        var thisThreadBefore = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - thisThreadBefore);

        var quietest = long.MaxValue;
        for (var window = 0; window < 5 && quietest > AllThreadsAllowance; window++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < 100; i++) Step();
            quietest = Math.Min(quietest, GC.GetTotalAllocatedBytes(precise: true) - before);
        }
        Assert.True(quietest <= AllThreadsAllowance, $"{quietest} bytes allocated across threads in the quietest window of 100 steps");
    }
}
