using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>A training step (forward, loss, backward, clip, AdamW, one-cycle) and a Predict call allocate nothing, in fp32 and
/// with fp16 storage (whose rounding passes run in place).</summary>
[Collection(AllocationCollection.Name)]
public sealed class AllocationTests
{
    private const int Rows = 512;
    private const long AllThreadsAllowance = 16 * 1024;

    [Theory]
    [InlineData(Precision.Fp32)]
    [InlineData(Precision.Fp16)]
    public void Training_steps_and_predictions_allocate_nothing(Precision precision)
    {
        var model = new AllocationMlp(seed: 3, Device.Cpu, precision);
        var optimizer = new AdamW(model.Parameters, lr: 1e-3, weightDecay: 1e-2);
        var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: 2_000);
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

        // Warm-up: JIT, workspace growth, worker threads, and tiered recompilation (which allocates in the background).
        for (var i = 0; i < 300; i++) Step();

        var thisThreadBefore = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - thisThreadBefore);

        // Every thread: the test host's own threads allocate a little now and then, so take the quietest of a few
        // 100-step windows; a kernel worker that allocated would show in every one of them.
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

/// <summary>Counting every thread's allocations only means something while no other test runs.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "Allocation measurements";
}
