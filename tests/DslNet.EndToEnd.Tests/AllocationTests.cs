using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>A training step (forward, loss, backward, clip, AdamW, one-cycle) and a Predict call allocate nothing, in fp32 and
/// with fp16 storage (whose rounding passes run in place).</summary>
[Collection(AllocationCollection.Name)]
public sealed class AllocationTests
{
    private const int Rows = 512;

    [Theory]
    [InlineData(Precision.Fp32)]
    [InlineData(Precision.Fp16)]
    public void Training_steps_and_predictions_allocate_nothing(Precision precision)
    {
        var model = new AllocationMlp(seed: 3, Device.Cpu, precision);
        var random = new Random(5);
        var inputs = Enumerable.Range(0, Rows * AllocationMlp.InputSize).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var labels = Enumerable.Range(0, Rows).Select(_ => (float)random.Next(2)).ToArray();
        AllocationMeasurement.AssertStepsAllocateNothing(model, inputs, labels, warmupSteps: 300, windowSteps: 100);
    }
}

/// <summary>Counting every thread's allocations only means something while no other test runs.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "Allocation measurements";
}
