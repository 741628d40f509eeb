namespace DslNet.Runtime.Tests;

/// <summary>A folder in the temp directory, deleted with its contents on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"dslnet-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>
/// A hand-written network with a generated model's buffers (a weight, a bias, BatchNorm's running statistics) and
/// its random state (seed and step); it cannot train.
/// </summary>
internal class FakeNetwork : INetwork
{
    public FakeNetwork(int seed, int units = 3, int inputs = 2)
    {
        Seed = (ulong)seed;
        Parameters = new ParameterBuffer(units * inputs + units,
        [
            new TensorSlot("Hidden.Weight", ParameterKind.Weight, 0, [units, inputs]),
            new TensorSlot("Hidden.Bias", ParameterKind.Bias, units * inputs, [units]),
        ]);
        RunningStatistics = new TensorBuffer(2 * units,
        [
            new TensorSlot("Hidden.RunningMean", ParameterKind.RunningMean, 0, [units]),
            new TensorSlot("Hidden.RunningVariance", ParameterKind.RunningVariance, units, [units]),
        ]);
        var random = new Random(seed);
        for (var i = 0; i < Parameters.Length; i++) Parameters.Data[i] = (float)random.NextDouble();
        for (var i = 0; i < RunningStatistics.Length; i++) RunningStatistics.Data[i] = (float)random.NextDouble();
    }

    public ulong Seed { get; set; }

    public int InputSize => 2;
    public int OutputSize => 3;
    public Loss Loss => Loss.MeanSquaredError;
    public ParameterBuffer Parameters { get; }
    public TensorBuffer Gradients => Parameters.Gradients;
    public TensorBuffer RunningStatistics { get; }
    public long StepCount { get; set; }

    public NetworkMonitor Monitor => throw new NotSupportedException();

    public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets) => throw new NotSupportedException();
    public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, float lossScale) => throw new NotSupportedException();
    public void Predict(ReadOnlySpan<float> inputs, Span<float> outputs) => throw new NotSupportedException();
    public float EvaluateLoss(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets) => throw new NotSupportedException();
    public string Summary() => nameof(FakeNetwork);
}

/// <summary>Another model class, for the type check.</summary>
internal sealed class OtherFakeNetwork(int seed) : FakeNetwork(seed);

/// <summary>A component with a tensor and scalars; it can be told to fail while saving or loading.</summary>
internal sealed class FakeComponent : IStateful
{
    public float[] Moments { get; set; } = [];
    public long Steps { get; set; }
    public double Rate { get; set; }
    public bool FailOnSave { get; set; }
    /// <summary>Rejects the next state it is given (a checkpoint's), then accepts again (its own snapshot).</summary>
    public bool FailNextLoad { get; set; }

    public bool FailEveryLoad { get; set; }

    public void SaveState(StateWriter state)
    {
        state.Tensor("moments", Moments);
        if (FailOnSave) throw new IOException("simulated failure while saving");
        state.Value("steps", Steps);
        state.Value("rate", Rate);
    }

    public void LoadState(StateReader state)
    {
        var moments = new float[Moments.Length];
        state.Tensor("moments", moments);
        Moments = moments;
        if (FailNextLoad || FailEveryLoad)
        {
            FailNextLoad = false;
            throw new InvalidDataException($"{state.Source}: simulated rejection");
        }

        Steps = state.Int64("steps");
        Rate = state.Double("rate");
    }
}

/// <summary>A different component type, for the component type check.</summary>
internal sealed class OtherFakeComponent : IStateful
{
    public void SaveState(StateWriter state)
    {
    }

    public void LoadState(StateReader state)
    {
    }
}
