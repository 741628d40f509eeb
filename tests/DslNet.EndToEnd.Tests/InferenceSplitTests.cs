using DslNet.EndToEnd.Tests.Models;
using DslNet.Kernels.Cpu;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// Predict and EvaluateLoss split a batch by rows over the kernel threads, each share using its own rows of the
/// workspace: the results must be those of one thread, and of the same rows predicted in small unsplit batches.
/// </summary>
[Collection(AllocationCollection.Name)] // changes the process-wide kernel thread count
public sealed class InferenceSplitTests
{
    // Not a multiple of the shares' 8-row granule, so the last share is ragged.
    private const int Rows = 1_003;
    private const int SmallBatch = 59; // below the split threshold: one share

    [Fact]
    public void Split_inference_matches_one_thread_and_small_batches_bit_for_bit()
    {
        // BatchNorm (eval affine), LayerNorm (reads its stored pre-activation from the workspace), Tanh, a plain head.
        var model = new AllocationMlp(seed: 11);
        var random = new Random(12);
        var inputs = Enumerable.Range(0, Rows * AllocationMlp.InputSize).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var labels = Enumerable.Range(0, Rows).Select(_ => (float)random.Next(2)).ToArray();
        var optimizer = new AdamW(model.Parameters, lr: 1e-2);
        for (var step = 0; step < 5; step++)
        {
            model.TrainStep(inputs.AsSpan(0, 256 * AllocationMlp.InputSize), labels.AsSpan(0, 256));
            optimizer.Step();
        }

        var previous = CpuThreads.Count;
        try
        {
            CpuThreads.Count = 1;
            var single = new float[Rows];
            model.Predict(inputs, single);
            var singleLoss = model.EvaluateLoss(inputs, labels);

            CpuThreads.Count = 2;
            var split = new float[Rows];
            model.Predict(inputs, split);
            var splitLoss = model.EvaluateLoss(inputs, labels);

            var small = new float[Rows];
            for (var start = 0; start < Rows; start += SmallBatch)
            {
                var count = Math.Min(SmallBatch, Rows - start);
                model.Predict(inputs.AsSpan(start * AllocationMlp.InputSize, count * AllocationMlp.InputSize), small.AsSpan(start, count));
            }

            Assert.Equal(single, split);
            Assert.Equal(single, small);
            Assert.Equal(singleLoss, splitLoss);
            Assert.Contains(split, value => value != split[0]);
        }
        finally
        {
            CpuThreads.Count = previous;
        }
    }
}
