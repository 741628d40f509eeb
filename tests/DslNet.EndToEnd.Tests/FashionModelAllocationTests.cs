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

    [Fact]
    public void Cnn_training_steps_and_predictions_allocate_nothing() => AssertNoAllocation(new FashionCnn(seed: 3));

    [Fact]
    public void ResNet_training_steps_and_predictions_allocate_nothing() => AssertNoAllocation(new FashionResNet(seed: 3));

    private static void AssertNoAllocation(INetwork model)
    {
        var random = new Random(5);
        var inputs = Enumerable.Range(0, Rows * model.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, Rows).Select(_ => (float)random.Next(10)).ToArray();
        AllocationMeasurement.AssertStepsAllocateNothing(model, inputs, labels, warmupSteps: 40, windowSteps: 10);
    }
}
