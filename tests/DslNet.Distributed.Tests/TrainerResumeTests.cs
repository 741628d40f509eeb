namespace DslNet.Distributed.Tests;

[Network(Inputs = 8, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class ResumeNet
{
    [Dense(16, Bias = false), BatchNorm, Relu, Dropout(0.2)] public partial DenseBlock Hidden { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}

/// <summary>
/// <see cref="TrainerOptions.ResumeFrom"/>'s bounds in one process, and a world of one changing nothing. A split run
/// resuming bit-identically is tested in tests/DslNet.EndToEnd.Tests/TrainerResumeTests.cs.
/// </summary>
public sealed class TrainerResumeTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"dslnet-resume-{Guid.NewGuid():N}.safetensors");

    public void Dispose() => File.Delete(_path);

    private static DataSet Data(int rows, int seed)
    {
        var random = new Random(seed);
        var features = Enumerable.Range(0, rows * 8).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var labels = Enumerable.Range(0, rows).Select(r => features[r * 8] - features[r * 8 + 3] > 0 ? 1f : 0f).ToArray();
        return DataSet.FromArrays(features, labels, 8);
    }

    private TrainerOptions Options(string? checkpoint = null, string? resume = null, DistributedContext? world = null) => new()
    {
        Epochs = 4,
        BatchSize = 20,
        LearningRate = 1e-2,
        Progress = ProgressMode.Silent,
        CheckpointPath = checkpoint,
        ResumeFrom = resume,
        Distributed = world,
        EarlyStopping = new EarlyStopping(patience: 10),
    };

    [Fact]
    public void Resuming_from_a_checkpoint_of_the_last_epoch_is_a_clear_error()
    {
        var train = Data(60, 1);
        new Trainer(new ResumeNet(seed: 3), Options(checkpoint: _path)).Fit(train, Data(20, 2));
        var error = Assert.Throws<InvalidDataException>(() => new Trainer(new ResumeNet(seed: 3), Options(resume: _path)).Fit(train, Data(20, 2)));
        Assert.Contains("saved after epoch 4", error.Message);
    }

    [Fact]
    public void A_world_of_one_trains_exactly_like_no_distribution()
    {
        var (train, validation) = (Data(100, 4), Data(30, 5));
        var alone = new ResumeNet(seed: 8);
        var single = new ResumeNet(seed: 8);
        var a = new Trainer(alone, Options()).Fit(train, validation);
        var b = new Trainer(single, Options(world: DistributedContext.Single)).Fit(train, validation);

        Assert.Equal(alone.Parameters.Data, single.Parameters.Data);
        Assert.Equal(a.Epochs.Select(e => e.ValidationAuc), b.Epochs.Select(e => e.ValidationAuc));
    }
}
