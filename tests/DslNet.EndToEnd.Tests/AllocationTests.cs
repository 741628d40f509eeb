using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>A training step (forward, loss, backward, clip, AdamW, one-cycle) and a Predict call allocate nothing.</summary>
[Collection(AllocationCollection.Name)]
public sealed class AllocationTests
{
    private const int Rows = 512;

    [Fact]
    public void Training_steps_and_predictions_allocate_nothing()
    {
        var model = new AllocationMlp(seed: 3);
        var optimizer = new AdamW(model.Parameters, lr: 1e-3, weightDecay: 1e-2);
        var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: 200);
        var random = new Random(5);
        var inputs = Enumerable.Range(0, Rows * AllocationMlp.InputSize).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var labels = Enumerable.Range(0, Rows).Select(_ => (float)random.Next(2)).ToArray();
        var outputs = new float[Rows];

        void Step()
        {
            model.TrainStep(inputs, labels);
            GradClip.ByNorm(model.Gradients, 1.0);
            optimizer.Step();
            schedule.Step();
            model.Predict(inputs, outputs);
        }

        for (var i = 0; i < 10; i++) Step(); // warm-up: JIT, workspace growth, worker threads

        var thisThreadBefore = GC.GetAllocatedBytesForCurrentThread();
        var allThreadsBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < 100; i++) Step();
        var thisThread = GC.GetAllocatedBytesForCurrentThread() - thisThreadBefore;
        var allThreads = GC.GetTotalAllocatedBytes(precise: true) - allThreadsBefore;

        Assert.Equal(0, thisThread);
        // The test host's own threads may allocate a little meanwhile; kernels' worker threads must not.
        Assert.True(allThreads < 16 * 1024, $"{allThreads} bytes allocated across threads during 100 steps");
    }
}

/// <summary>Counting every thread's allocations only means something while no other test runs.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "Allocation measurements";
}
