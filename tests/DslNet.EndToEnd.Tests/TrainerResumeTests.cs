using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// <see cref="TrainerOptions.ResumeFrom"/>: a run stopped after an epoch and resumed from its checkpoint ends
/// bit-identical to one never stopped; a bad checkpoint path fails before any training, naming the path.
/// </summary>
public sealed class TrainerResumeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dslnet-trainer-resume-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static TrainerOptions Options(int epochs, string? checkpoint = null, string? resume = null, ITrainerCallback? callback = null) => new()
    {
        Callbacks = callback is null ? [] : [callback],
        Epochs = epochs,
        BatchSize = 64,
        LearningRate = 1e-2,
        Progress = ProgressMode.Silent,
        EarlyStopping = new EarlyStopping(patience: 10),
        CheckpointPath = checkpoint,
        ResumeFrom = resume,
    };

    [Fact]
    public void A_resumed_run_ends_bit_identical_to_an_uninterrupted_one()
    {
        // BatchNorm (running statistics) and dropout (masks keyed by seed and step) make every piece of state matter.
        var (train, validation) = TrainerData.Binary(640, seed: 21).Split(0.25, seed: 2);
        var straight = new TrainerBatchNormNet(seed: 5);
        var straightHistory = new Trainer(straight, Options(epochs: 4)).Fit(train, validation);

        var path = Path.Combine(_directory, "run.safetensors");
        var first = new TrainerBatchNormNet(seed: 5);
        new Trainer(first, Options(epochs: 4, checkpoint: path, callback: StopAfterEpoch(2))).Fit(train, validation);
        Assert.Equal(2, Checkpoint.ReadInfo(path).Data.Int64("epoch"));

        var resumed = new TrainerBatchNormNet(seed: 77);   // another seed: the checkpoint must restore it
        var resumedHistory = new Trainer(resumed, Options(epochs: 4, checkpoint: path, resume: path)).Fit(train, validation);

        Assert.Equal(straight.Parameters.Data, resumed.Parameters.Data);
        Assert.Equal(straight.RunningStatistics.Data, resumed.RunningStatistics.Data);
        Assert.Equal(straight.StepCount, resumed.StepCount);
        Assert.Equal([3, 4], resumedHistory.Epochs.Select(e => e.Epoch));
        Assert.Equal(straightHistory.Epochs[^1].ValidationLoss, resumedHistory.Epochs[^1].ValidationLoss);
    }

    [Fact]
    public void A_corrupted_or_mismatched_checkpoint_is_refused_before_training()
    {
        var (train, validation) = TrainerData.Binary(320, seed: 22).Split(0.2, seed: 2);
        var path = Path.Combine(_directory, "run.safetensors");
        new Trainer(new TrainerBatchNormNet(seed: 5), Options(epochs: 1, checkpoint: path)).Fit(train, validation);

        var other = new TrainerBinaryNet(seed: 1);
        var before = other.Parameters.Data.ToArray();
        Assert.Throws<InvalidDataException>(() => new Trainer(other, Options(epochs: 2, resume: path)).Fit(train, validation));
        Assert.Equal(before, other.Parameters.Data);
        Assert.Equal(0, other.StepCount);

        var bytes = File.ReadAllBytes(path);
        bytes[^10] ^= 0x5A;                                 // inside the last tensor's data
        File.WriteAllBytes(path, bytes);
        var model = new TrainerBatchNormNet(seed: 5);
        var error = Assert.Throws<InvalidDataException>(() => new Trainer(model, Options(epochs: 2, resume: path)).Fit(train, validation));
        Assert.Contains("corrupted", error.Message);
        Assert.Equal(0, model.StepCount);
    }

    [Fact]
    public void A_checkpoint_path_in_a_missing_directory_fails_before_the_first_epoch()
    {
        var path = Path.Combine(_directory, "missing", "run.safetensors");
        var model = new TrainerBinaryNet(seed: 1);
        var (train, validation) = TrainerData.Binary(320, seed: 23).Split(0.2, seed: 2);
        var error = Assert.Throws<DirectoryNotFoundException>(() => new Trainer(model, Options(epochs: 1, checkpoint: path)).Fit(train, validation));
        Assert.Contains($"'{path}'", error.Message);
        Assert.Equal(0, model.StepCount);
    }

    private static TrainerCallback StopAfterEpoch(int epoch) => new()
    {
        EpochEnd = (context, record) => { if (record.Epoch == epoch) context.RequestStop($"stopped after epoch {epoch} by the test"); },
    };
}
