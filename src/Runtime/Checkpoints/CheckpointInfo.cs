namespace DslNet;

/// <summary>What a checkpoint file says about itself: returned by <see cref="Checkpoint.Load(string)"/> and
/// <see cref="Checkpoint.ReadInfo"/>.</summary>
public sealed class CheckpointInfo
{
    internal CheckpointInfo(
        string path,
        int formatVersion,
        string modelType,
        long stepCount,
        DateTimeOffset created,
        IReadOnlyDictionary<string, string> components,
        StateReader data,
        IReadOnlyList<SafeTensorEntry> tensors)
    {
        Path = path;
        FormatVersion = formatVersion;
        ModelType = modelType;
        StepCount = stepCount;
        Created = created;
        Components = components;
        Data = data;
        Tensors = tensors;
    }

    public string Path { get; }

    public int FormatVersion { get; }

    /// <summary>Full name of the model class that was saved.</summary>
    public string ModelType { get; }

    /// <summary>The model's <see cref="INetwork.StepCount"/> when it was saved.</summary>
    public long StepCount { get; }

    /// <summary>When the checkpoint was written (UTC).</summary>
    public DateTimeOffset Created { get; }

    /// <summary>The saved components: name → full name of the component's type.</summary>
    public IReadOnlyDictionary<string, string> Components { get; }

    /// <summary>The user's data written through <see cref="Checkpoint.Save(string, Action{StateWriter})"/> (epoch, best metric…).</summary>
    public StateReader Data { get; }

    /// <summary>Every tensor in the file, as its safetensors header lists them.</summary>
    public IReadOnlyList<SafeTensorEntry> Tensors { get; }

    /// <summary>What loading found worth saying without refusing the file (e.g. a file written before checksums existed).</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    private readonly List<string> _warnings = [];

    internal void AddWarning(string warning) => _warnings.Add(warning);
}
