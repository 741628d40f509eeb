using DslNet.Samples.FashionMnist;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// The sample's full-size CNN and ResNet (samples/FashionMnist: 28 × 28 inputs, 0.42 M and 0.31 M parameters): a
/// training step (forward, loss, backward, clip, AdamW, one-cycle) and a Predict call allocate nothing, on the calling
/// thread and across the process.
/// </summary>
[Collection(AllocationCollection.Name)]
public sealed class FashionModelAllocationTests
{
    private const int Rows = 32;
    private const long AllThreadsAllowance = 16 * 1024;

    [Fact]
    public void Cnn_training_steps_and_predictions_allocate_nothing() => AssertNoAllocation(new FashionCnn(seed: 3));

    [Fact]
    public void ResNet_training_steps_and_predictions_allocate_nothing() => AssertNoAllocation(new FashionResNet(seed: 3));

    private static void AssertNoAllocation(INetwork model)
    {
        var optimizer = new AdamW(model.Parameters, lr: 1e-3, weightDecay: 1e-2);
        var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: 1_000);
        var random = new Random(5);
        var inputs = Enumerable.Range(0, Rows * model.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, Rows).Select(_ => (float)random.Next(10)).ToArray();
        var outputs = new float[Rows * model.OutputSize];

        void Step()
        {
            model.TrainStep(inputs, labels);
            GradClip.ByNorm(model.Gradients, 1.0);
            optimizer.Step();
            schedule.Step();
            model.Predict(inputs, outputs);
        }

        // Warm-up: JIT, workspace growth, worker threads, and tiered recompilation (which allocates in the background).
        for (var i = 0; i < 40; i++) Step();

        var thisThreadBefore = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - thisThreadBefore);

        // Every thread: the test host's own threads allocate a little now and then, so take the quietest of a few
        // windows; a kernel worker that allocated would show in every one of them.
        var quietest = long.MaxValue;
        for (var window = 0; window < 5 && quietest > AllThreadsAllowance; window++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < 10; i++) Step();
            quietest = Math.Min(quietest, GC.GetTotalAllocatedBytes(precise: true) - before);
        }

        Assert.True(quietest <= AllThreadsAllowance, $"{quietest} bytes allocated across threads in the quietest window of 10 steps");
    }
}
