using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// The checkpoint's promise: training 2N steps straight and training N steps, saving, restoring into freshly
/// constructed objects and training N more give bit-identical weights, running statistics, optimizer moments and
/// learning rate. ResumeNet has BatchNorm (running statistics) and Dropout (masks keyed by seed and step), and the
/// recipe is AdamW + one-cycle (rate and β1 cycled) + clipping, so every piece of state matters.
/// </summary>
public sealed class CheckpointResumeTests : IDisposable
{
    private const int Rows = 90;            // the last batch of each epoch is short (10 rows)
    private const int BatchSize = 16;
    private const int DataSeed = 7;
    private const int ResumeAt = 8;         // in the middle of the second epoch
    private const int TotalSteps = 2 * ResumeAt;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dslnet-resume-{Guid.NewGuid():N}");
    private readonly DataSet _data = SyntheticData();

    public CheckpointResumeTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Everything a run holds, wired the way a user wires it.</summary>
    private sealed class Run
    {
        public Run(int seed)
        {
            Model = new ResumeNet(seed);
            Optimizer = new AdamW(Model.Parameters, lr: 1e-2, weightDecay: 1e-2);
            Schedule = new OneCycleLR(Optimizer, maxLr: 5e-2, totalSteps: TotalSteps, pctStart: 0.3);
        }

        public ResumeNet Model { get; }
        public AdamW Optimizer { get; }
        public OneCycleLR Schedule { get; }

        public Checkpoint Checkpoint => new Checkpoint(Model).With("optimizer", Optimizer).With("schedule", Schedule);
    }

    [Fact]
    public void Resuming_from_a_checkpoint_continues_bit_identically()
    {
        var straight = new Run(seed: 42);
        Train(straight, 0, TotalSteps);

        var first = new Run(seed: 42);
        Train(first, 0, ResumeAt);
        var path = Path.Combine(_directory, "resume.safetensors");
        first.Checkpoint.Save(path, data => data.Value("next_step", (long)ResumeAt));

        // Fresh objects: another seed (other initial weights, other dropout masks), a new optimizer and schedule.
        var resumed = new Run(seed: 1234);
        Assert.NotEqual(Bits(straight.Model.Parameters.Data), Bits(resumed.Model.Parameters.Data));
        var info = resumed.Checkpoint.Load(path);
        var next = (int)info.Data.Int64("next_step");
        Assert.Equal(ResumeAt, next);
        Assert.Equal(ResumeAt, resumed.Model.StepCount);
        Train(resumed, next, TotalSteps);

        AssertSameState(straight, resumed);
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));
    }

    [Fact]
    public void Weights_alone_are_not_enough_to_resume()
    {
        // The test above has teeth: restoring the weights and the schedule's position but not the optimizer's
        // moments or the dropout seed gives another result.
        var straight = new Run(seed: 42);
        Train(straight, 0, TotalSteps);

        var first = new Run(seed: 42);
        Train(first, 0, ResumeAt);
        var path = Path.Combine(_directory, "weights.safetensors");
        first.Checkpoint.Save(path);

        var weightsOnly = new Run(seed: 1234);
        Checkpoint.LoadWeights(path, weightsOnly.Model);
        weightsOnly.Model.StepCount = ResumeAt;
        for (var i = 0; i < ResumeAt; i++) weightsOnly.Schedule.Step();
        Train(weightsOnly, ResumeAt, TotalSteps);

        Assert.NotEqual(Bits(straight.Model.Parameters.Data), Bits(weightsOnly.Model.Parameters.Data));
    }

    [Fact]
    public void The_weights_are_readable_with_pytorch_names_and_shapes()
    {
        var run = new Run(seed: 3);
        Train(run, 0, 2);
        var path = Path.Combine(_directory, "export.safetensors");
        run.Checkpoint.Save(path);

        using var reader = SafeTensorsReader.Open(path);
        Assert.Equal([16L, 6L], reader.GetEntry("Hidden.Weight").Shape);   // nn.Linear(6, 16).weight
        Assert.Equal([16L], reader.GetEntry("Hidden.RunningVariance").Shape);
        Assert.Equal([1L, 16L], reader.GetEntry("Output.Weight").Shape);
        Assert.Equal(run.Model.Hidden.Weight.ToArray(), reader.Read("Hidden.Weight"));
        // The optimizer names its own tensors; its first moment is one of them, stored whole.
        var firstMoment = Bits(run.Optimizer.FirstMoment);
        Assert.Contains(reader.Entries, e => e.Name.StartsWith("optimizer/", StringComparison.Ordinal) && Bits(reader.Read(e.Name)).SequenceEqual(firstMoment));
    }

    /// <summary>Trains global steps [from, to): step s is batch s mod B of epoch s / B, as an uninterrupted run sees it.</summary>
    private void Train(Run run, int from, int to)
    {
        var perEpoch = _data.BatchesPerEpoch(BatchSize);
        var step = from;
        while (step < to)
        {
            var epoch = step / perEpoch;
            foreach (var batch in _data.Batches(BatchSize, shuffle: true, seed: DataSeed, epoch: epoch).Skip(step % perEpoch))
            {
                if (step == to) break;
                run.Model.TrainStep(batch.Features, batch.Labels);
                GradClip.ByNorm(run.Model.Gradients, maxNorm: 1.0);
                run.Optimizer.Step();
                run.Schedule.Step();
                step++;
            }
        }
    }

    private static void AssertSameState(Run expected, Run actual)
    {
        Assert.Equal(Bits(expected.Model.Parameters.Data), Bits(actual.Model.Parameters.Data));
        Assert.Equal(Bits(expected.Model.RunningStatistics.Data), Bits(actual.Model.RunningStatistics.Data));
        Assert.Equal(expected.Model.StepCount, actual.Model.StepCount);
        Assert.Equal(Bits(expected.Optimizer.FirstMoment), Bits(actual.Optimizer.FirstMoment));
        Assert.Equal(Bits(expected.Optimizer.SecondMoment), Bits(actual.Optimizer.SecondMoment));
        Assert.Equal(expected.Optimizer.StepCount, actual.Optimizer.StepCount);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Optimizer.LearningRate), BitConverter.DoubleToInt64Bits(actual.Optimizer.LearningRate));
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Optimizer.Beta1), BitConverter.DoubleToInt64Bits(actual.Optimizer.Beta1));
        Assert.Equal(expected.Schedule.LastStep, actual.Schedule.LastStep);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Schedule.LearningRate), BitConverter.DoubleToInt64Bits(actual.Schedule.LearningRate));
    }

    private static int[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new int[values.Length];
        for (var i = 0; i < values.Length; i++) bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        return bits;
    }

    /// <summary>6 features, labels from a fixed linear teacher with noise: deterministic, learnable, not separable.</summary>
    private static DataSet SyntheticData()
    {
        var random = new Random(11);
        var features = new float[Rows * 6];
        var labels = new float[Rows];
        float[] teacher = [1.5f, -2f, 0.5f, 0f, 1f, -0.75f];
        for (var row = 0; row < Rows; row++)
        {
            var logit = 0.0;
            for (var j = 0; j < 6; j++)
            {
                var x = (float)(random.NextDouble() * 2 - 1);
                features[row * 6 + j] = x;
                logit += teacher[j] * x;
            }

            labels[row] = logit + 0.5 * (random.NextDouble() - 0.5) > 0 ? 1f : 0f;
        }

        return DataSet.FromArrays(features, labels, columns: 6);
    }
}
