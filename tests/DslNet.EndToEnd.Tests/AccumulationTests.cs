using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// Gradient accumulation on a generated network without BatchNorm: N micro-batches of B give the gradients of one
/// batch of N·B, and the optimizer and schedule step once per N micro-batches.
/// </summary>
/// <remarks>The allocation check counts this thread's allocations only, so it needs no serialized collection.</remarks>
public sealed class AccumulationTests
{
    private const int MicroBatches = 4;
    private const int MicroBatchRows = 9;
    private const int Rows = MicroBatches * MicroBatchRows;

    [Fact]
    public void Micro_batches_average_to_the_gradients_of_the_whole_batch()
    {
        var (inputs, labels) = Data(seed: 1, Rows);
        var whole = new AccumulationNet(seed: 7);
        var accumulated = new AccumulationNet(seed: 7);
        whole.TrainStep(inputs, labels);

        var accumulator = new GradientAccumulator(accumulated.Parameters, MicroBatches);
        for (var k = 0; k < MicroBatches; k++)
        {
            accumulated.TrainStep(MicroBatch(inputs, k, AccumulationNet.InputSize), MicroBatch(labels, k, 1));
            Assert.Equal(k == MicroBatches - 1, accumulator.Add());
        }

        AssertClose(whole.Gradients.Data, accumulated.Gradients.Data, "gradients");
        Assert.Equal(0, accumulator.Pending);
    }

    [Fact]
    public void Optimizer_and_schedule_step_once_per_accumulation_and_follow_the_large_batch_trajectory()
    {
        const int optimizerSteps = 5;
        var (inputs, labels) = Data(seed: 2, Rows * optimizerSteps);
        var whole = new AccumulationNet(seed: 11);
        var wholeOptimizer = new Sgd(whole.Parameters, lr: 0.1, momentum: 0.9, weightDecay: 1e-3);
        var wholeSchedule = new LinearWarmup(wholeOptimizer, 2, new CosineAnnealingLR(wholeOptimizer, tMax: 3, unit: ScheduleUnit.Batch));

        var accumulated = new AccumulationNet(seed: 11);
        var optimizer = new Sgd(accumulated.Parameters, lr: 0.1, momentum: 0.9, weightDecay: 1e-3);
        var schedule = new LinearWarmup(optimizer, 2, new CosineAnnealingLR(optimizer, tMax: 3, unit: ScheduleUnit.Batch));
        var accumulator = new GradientAccumulator(accumulated.Parameters, MicroBatches);

        for (var step = 0; step < optimizerSteps; step++)
        {
            var first = step * Rows;
            whole.TrainStep(Slice(inputs, first, Rows, AccumulationNet.InputSize), Slice(labels, first, Rows, 1));
            GradClip.ByNorm(whole.Gradients, 1.0);
            wholeOptimizer.Step();
            wholeSchedule.Step();

            for (var k = 0; k < MicroBatches; k++)
            {
                var row = first + k * MicroBatchRows;
                accumulated.TrainStep(Slice(inputs, row, MicroBatchRows, AccumulationNet.InputSize), Slice(labels, row, MicroBatchRows, 1));
                if (!accumulator.Add()) continue;
                GradClip.ByNorm(accumulated.Gradients, 1.0);
                optimizer.Step();
                schedule.Step();
            }

            Assert.Equal(step + 1, optimizer.StepCount);
            Assert.Equal(step + 1, schedule.LastStep);
            Assert.Equal(wholeOptimizer.LearningRate, optimizer.LearningRate);
        }

        Assert.Equal(optimizerSteps * MicroBatches, accumulated.StepCount);   // one model step per micro-batch
        AssertClose(whole.Parameters.Data, accumulated.Parameters.Data, "parameters after 5 optimizer steps");
    }

    [Fact]
    public void Scaled_accumulated_step_with_warmup_allocates_nothing()
    {
        var (inputs, labels) = Data(seed: 3, Rows);
        var model = new AccumulationNet(seed: 5);
        var optimizer = new AdamW(model.Parameters, lr: 1e-3);
        var schedule = new LinearWarmup(optimizer, 2, new CosineAnnealingLR(optimizer, tMax: 100, unit: ScheduleUnit.Batch));
        var scaler = new GradScaler(growthInterval: 7);
        var accumulator = new GradientAccumulator(model.Parameters, MicroBatches);
        var stopping = new EarlyStopping(patience: 1000);

        void Step()
        {
            for (var k = 0; k < MicroBatches; k++)
            {
                model.TrainStep(MicroBatch(inputs, k, AccumulationNet.InputSize), MicroBatch(labels, k, 1), scaler.Scale);
                if (!accumulator.Add()) continue;
                scaler.Unscale(optimizer);
                GradClip.ByNorm(model.Gradients, 1.0);
                scaler.Step(optimizer);
                scaler.Update();
                schedule.Step();
            }

            stopping.Report(model.EvaluateLoss(inputs, labels), model);
        }

        for (var i = 0; i < 10; i++) Step();   // warm-up: JIT, workspaces, the early-stopping copy
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 50; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(scaler.Scale > 65536f);   // it grew: the steps were clean
    }

    /// <summary>Micro-batch <paramref name="index"/> of a batch laid out row after row.</summary>
    private static ReadOnlySpan<float> MicroBatch(float[] values, int index, int perRow) =>
        Slice(values, index * MicroBatchRows, MicroBatchRows, perRow);

    private static ReadOnlySpan<float> Slice(float[] values, int firstRow, int rows, int perRow) =>
        values.AsSpan(firstRow * perRow, rows * perRow);

    private static (float[] Inputs, float[] Labels) Data(int seed, int rows)
    {
        var random = new Random(seed);
        var inputs = Enumerable.Range(0, rows * AccumulationNet.InputSize).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var labels = Enumerable.Range(0, rows).Select(_ => (float)random.Next(2)).ToArray();
        return (inputs, labels);
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * Math.Max(1.0, Math.Abs(expected[i])),
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }
}
