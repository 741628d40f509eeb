using System.Globalization;
using System.Text.Json;

namespace DslNet;

/// <summary>
/// Saves and restores a whole training state, a model and the components that train it, in one safetensors file,
/// so that training resumed from it continues bit-identically.
/// </summary>
/// <example>
/// <code>
/// var checkpoint = new Checkpoint(model).With("optimizer", optimizer).With("schedule", schedule);
/// checkpoint.Save("run/last.safetensors", data => data.Value("epoch", epoch));
/// // later, with freshly constructed objects wired the same way:
/// var info = checkpoint.Load("run/last.safetensors");
/// var nextEpoch = info.Data.Int64("epoch") + 1;
/// </code>
/// </example>
/// <remarks>
/// <para>
/// The file: the model's parameters and running statistics under their view names with their shapes
/// (<c>Hidden1.Weight</c> [256, 128], <c>Hidden1.RunningMean</c> [256]), so PyTorch's <c>safetensors.torch.load_file</c>
/// or any other tool reads the weights; each component's tensors under <c>&lt;component&gt;/&lt;name&gt;</c>; the
/// user's tensors under <c>user/&lt;name&gt;</c>. The scalars are strings in the safetensors <c>__metadata__</c>:
/// <c>dslnet/format</c>, <c>dslnet/format_version</c>, <c>dslnet/created_utc</c>, <c>dslnet/model_type</c>, the
/// model's random state (<c>dslnet/step_count</c> and <c>dslnet/seed</c>: dropout masks are keyed by both),
/// <c>dslnet/components</c> (a JSON object, component name → type), each component's values under
/// <c>&lt;component&gt;/&lt;name&gt;</c> and the user's under <c>user/&lt;name&gt;</c>. Since format version 2,
/// <c>dslnet/checksums</c> holds an XxHash64 of every tensor's bytes (a JSON object, name → hex digits).
/// </para>
/// <para>
/// Saving gathers every component's state first, then writes through <see cref="AtomicFile"/>: a temporary file in the
/// same directory, flushed to the disk, renamed over the old checkpoint. A failure at any point leaves the previous
/// checkpoint as it was.
/// </para>
/// <para>
/// Loading checks the whole file against the model and the components (format, model type, every tensor's name and
/// shape, every component's presence and type) before it changes anything, and if a component then rejects its
/// state, the model and the components loaded so far are put back as they were: a load either succeeds or leaves
/// everything untouched. Every tensor's checksum is verified first, and a corrupted tensor is refused by name (a
/// file written before checksums existed loads with a warning in <see cref="CheckpointInfo.Warnings"/>). Loaded
/// weights and running statistics must be finite unless <c>allowNonFinite</c> says otherwise. Gradients are not saved: save between optimizer steps, not in the middle of an
/// accumulation.
/// </para>
/// </remarks>
public sealed class Checkpoint
{
    /// <summary>The version of the layout this class writes; it reads this and older ones.</summary>
    /// <remarks>Version 2 added <c>dslnet/checksums</c>; version 1 files still load, with a warning.</remarks>
    public const int CurrentFormatVersion = 2;

    /// <summary>The usual extension of a checkpoint file.</summary>
    public const string Extension = ".safetensors";

    internal const string FormatName = "DslNet checkpoint";
    internal const string FormatKey = "dslnet/format";
    internal const string FormatVersionKey = "dslnet/format_version";
    internal const string CreatedKey = "dslnet/created_utc";
    internal const string ModelTypeKey = "dslnet/model_type";
    internal const string StepCountKey = "dslnet/step_count";
    internal const string SeedKey = "dslnet/seed";
    internal const string ComponentsKey = "dslnet/components";
    private const string ReservedPrefix = "dslnet";
    private const string UserPrefix = "user";

    private readonly List<(string Name, IStateful Component)> _components = [];

    public Checkpoint(INetwork model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
    }

    public INetwork Model { get; }

    /// <summary>The components, in the order they were added.</summary>
    public IReadOnlyList<(string Name, IStateful Component)> Components => _components;

    /// <summary>
    /// Adds a component (optimizer, schedule, loss scaler, early stopping…) under <paramref name="name"/>, which
    /// prefixes its tensors and values in the file. Returns this checkpoint, to chain calls.
    /// </summary>
    public Checkpoint With(string name, IStateful component)
    {
        ArgumentNullException.ThrowIfNull(component);
        CheckComponentName(name);
        foreach (var (existing, _) in _components)
            if (existing == name)
                throw new ArgumentException($"A component named '{name}' was already added.", nameof(name));
        _components.Add((name, component));
        return this;
    }

    /// <summary>Saves the model and every component to <paramref name="path"/>, replacing it atomically.</summary>
    /// <param name="data">Writes the user's own values and tensors (epoch, best metric…); <see cref="CheckpointInfo.Data"/> returns them.</param>
    public void Save(string path, Action<StateWriter>? data = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);

        // Everything is gathered before the file is opened: a component that fails leaves no trace on the disk.
        var states = new List<(string Name, IStateful Component, StateWriter State)>(_components.Count);
        foreach (var (name, component) in _components)
        {
            var state = new StateWriter();
            component.SaveState(state);
            states.Add((name, component, state));
        }

        var user = new StateWriter();
        data?.Invoke(user);

        var tensors = new List<SafeTensor>();
        foreach (var view in Model.Parameters.Views) tensors.Add(SafeTensor.FromView(view, Model.Parameters));
        foreach (var view in Model.RunningStatistics.Views) tensors.Add(SafeTensor.FromView(view, Model.RunningStatistics));
        foreach (var view in tensors)
            if (view.Name.Contains('/'))
                throw new InvalidOperationException($"Model tensor '{view.Name}' contains '/', which a checkpoint reserves for component prefixes.");

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [FormatKey] = FormatName,
            [FormatVersionKey] = CurrentFormatVersion.ToString(CultureInfo.InvariantCulture),
            [CreatedKey] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            [ModelTypeKey] = TypeName(Model),
            [StepCountKey] = Model.StepCount.ToString(CultureInfo.InvariantCulture),
        };
        metadata[SeedKey] = Model.Seed.ToString(CultureInfo.InvariantCulture);
        var componentTypes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, component, _) in states) componentTypes.Add(name, TypeName(component));
        metadata[ComponentsKey] = JsonSerializer.Serialize(componentTypes);

        foreach (var (name, _, state) in states) AddState(name, state, tensors, metadata);
        AddState(UserPrefix, user, tensors, metadata);
        metadata[TensorChecksums.MetadataKey] = TensorChecksums.Describe(tensors);

        SafeTensorsWriter.Write(path, tensors, metadata);
    }

    /// <summary>
    /// Restores the model and every component from <paramref name="path"/>. Components the file holds but this
    /// checkpoint does not name are ignored (so a model alone can be loaded from a full training checkpoint).
    /// </summary>
    /// <param name="allowNonFinite">Accept NaN or ±∞ in the loaded weights and running statistics (refused by default).</param>
    /// <exception cref="InvalidDataException">The file is not a valid checkpoint, is corrupted, or does not fit the model or a component; nothing was changed.</exception>
    public CheckpointInfo Load(string path, bool allowNonFinite = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var reader = SafeTensorsReader.Open(path);
        var info = ReadInfo(reader);
        VerifyChecksums(reader, info);
        if (info.ModelType != TypeName(Model))
            throw new InvalidDataException($"{path}: the checkpoint holds a {info.ModelType}; it cannot be loaded into a {TypeName(Model)}.");
        CheckModelTensors(reader, Model);
        var seed = reader.Metadata.TryGetValue(SeedKey, out var seedText) ? ParseUInt64(path, SeedKey, seedText) : (ulong?)null;

        var incoming = new List<(string Name, IStateful Component, StateReader State)>(_components.Count);
        foreach (var (name, component) in _components)
        {
            if (!info.Components.TryGetValue(name, out var savedType))
                throw new InvalidDataException(
                    $"{path}: the checkpoint has no component '{name}' (it has: {(info.Components.Count == 0 ? "none" : string.Join(", ", info.Components.Keys))}).");
            if (savedType != TypeName(component))
                throw new InvalidDataException($"{path}: component '{name}' was saved from a {savedType}; it cannot be loaded into a {TypeName(component)}.");
            incoming.Add((name, component, ReadState(reader, name, $"{path} [{name}]")));
        }

        // Snapshot what loading overwrites, so a component that rejects its state leaves everything as it was.
        var parameters = Model.Parameters.Data.AsSpan().ToArray();
        var statistics = Model.RunningStatistics.Data.AsSpan().ToArray();
        var stepCount = Model.StepCount;
        var previousSeed = Model.Seed;
        var snapshots = new List<(IStateful Component, StateReader State)>(incoming.Count);
        foreach (var (name, component, _) in incoming)
        {
            var snapshot = new StateWriter();
            component.SaveState(snapshot);
            snapshots.Add((component, new StateReader(snapshot, $"snapshot of '{name}'")));
        }

        var started = 0;
        try
        {
            ReadModelTensors(reader, Model, allowNonFinite);
            Model.StepCount = info.StepCount;
            if (seed is { } value) Model.Seed = value;
            for (var i = 0; i < incoming.Count; i++)
            {
                started = i + 1;
                incoming[i].Component.LoadState(incoming[i].State);
            }
        }
        catch (Exception failure)
        {
            parameters.CopyTo(Model.Parameters.Data, 0);
            statistics.CopyTo(Model.RunningStatistics.Data, 0);
            Model.StepCount = stepCount;
            Model.Seed = previousSeed;
            // The component that threw may be half-loaded too: restore it and every one before it.
            var unrestored = new List<(string Name, Exception Error)>();
            for (var i = started - 1; i >= 0; i--)
            {
                try
                {
                    snapshots[i].Component.LoadState(snapshots[i].State);
                }
                catch (Exception error)
                {
                    unrestored.Add((incoming[i].Name, error));
                }
            }

            if (unrestored.Count == 0) throw;
            throw new InvalidOperationException(
                $"{path}: loading the checkpoint failed ({failure.Message}), and restoring the previous state of " +
                $"{string.Join(", ", unrestored.Select(u => $"'{u.Name}'"))} failed too: that state is now undefined. The model was restored.",
                new AggregateException(unrestored.Select(u => u.Error).Prepend(failure)));
        }

        return info;
    }

    /// <summary>Saves <paramref name="model"/> and <paramref name="components"/> (name, component) to <paramref name="path"/>.</summary>
    public static void Save(string path, INetwork model, params (string Name, IStateful Component)[] components) =>
        Of(model, components).Save(path);

    /// <summary>Restores <paramref name="model"/> and <paramref name="components"/> from <paramref name="path"/>; see <see cref="Load(string)"/>.</summary>
    public static CheckpointInfo Load(string path, INetwork model, params (string Name, IStateful Component)[] components) =>
        Of(model, components).Load(path);

    /// <summary>
    /// Checks, before any work is done, that a checkpoint can be written to <paramref name="path"/>: its directory
    /// exists and a file can be created there. Throws with the user's path in the message.
    /// </summary>
    public static void CheckWritable(string path) => AtomicFile.CheckWritable(path);

    /// <summary>Reads a checkpoint's description and user data without loading anything (e.g. to size a schedule before resuming).</summary>
    public static CheckpointInfo ReadInfo(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var reader = SafeTensorsReader.Open(path);
        return ReadInfo(reader);
    }

    /// <summary>
    /// Loads only parameters and running statistics from any safetensors file whose tensor names and shapes match
    /// the model (one exported by another tool, or a DslNet checkpoint, whose other contents are ignored). The
    /// model's type, step count and seed are not checked or changed; F16, BF16 and F64 tensors are converted.
    /// A DslNet checkpoint's checksums are verified; NaN or ±∞ weights are refused unless <paramref name="allowNonFinite"/>.
    /// On failure the model is left as it was.
    /// </summary>
    public static void LoadWeights(string path, INetwork model, bool allowNonFinite = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        using var reader = SafeTensorsReader.Open(path);
        CheckModelTensors(reader, model);
        TensorChecksums.Verify(reader);
        var parameters = model.Parameters.Data.AsSpan().ToArray();
        var statistics = model.RunningStatistics.Data.AsSpan().ToArray();
        try
        {
            ReadModelTensors(reader, model, allowNonFinite);
        }
        catch
        {
            parameters.CopyTo(model.Parameters.Data, 0);
            statistics.CopyTo(model.RunningStatistics.Data, 0);
            throw;
        }
    }

    private static void VerifyChecksums(SafeTensorsReader reader, CheckpointInfo info)
    {
        if (!TensorChecksums.Verify(reader))
            info.AddWarning($"{reader.Source}: the checkpoint has no checksums (format version {info.FormatVersion}, written before " +
                            "they existed), so corrupted tensor data cannot be detected. Save it again to add them.");
    }

    /// <summary>Reads the model's parameters and running statistics, refusing NaN or ±∞ unless allowed.</summary>
    private static void ReadModelTensors(SafeTensorsReader reader, INetwork model, bool allowNonFinite)
    {
        foreach (var view in model.Parameters.Views.Concat(model.RunningStatistics.Views))
        {
            var values = view.Span;
            reader.Read(view.Name, values);
            if (allowNonFinite) continue;
            var index = FirstNonFinite(values);
            if (index >= 0)
                throw new InvalidDataException(
                    $"{reader.Source}: tensor '{view.Name}' holds {values[index]} at element {index}; loaded weights must be finite " +
                    "(pass allowNonFinite: true to load it anyway).");
        }
    }

    private static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        for (var i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    private static Checkpoint Of(INetwork model, (string Name, IStateful Component)[] components)
    {
        var checkpoint = new Checkpoint(model);
        foreach (var (name, component) in components) checkpoint.With(name, component);
        return checkpoint;
    }

    private static void AddState(string prefix, StateWriter state, List<SafeTensor> tensors, Dictionary<string, string> metadata)
    {
        foreach (var (name, values) in state.Tensors) tensors.Add(new SafeTensor($"{prefix}/{name}", values));
        foreach (var (name, value) in state.Values) metadata.Add($"{prefix}/{name}", value);
    }

    private static StateReader ReadState(SafeTensorsReader reader, string prefix, string source)
    {
        var start = prefix + "/";
        var tensors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var entry in reader.Entries)
            if (entry.Name.StartsWith(start, StringComparison.Ordinal))
                tensors.Add(entry.Name[start.Length..], reader.Read(entry.Name));
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in reader.Metadata)
            if (key.StartsWith(start, StringComparison.Ordinal))
                values.Add(key[start.Length..], value);
        return new StateReader(tensors, values, source);
    }

    private static CheckpointInfo ReadInfo(SafeTensorsReader reader)
    {
        var path = reader.Source;
        var metadata = reader.Metadata;
        if (!metadata.TryGetValue(FormatKey, out var format) || format != FormatName)
            throw new InvalidDataException(
                $"{path}: not a DslNet checkpoint (its metadata has no '{FormatKey}': \"{FormatName}\"). " +
                "Checkpoint.LoadWeights reads the weights of any safetensors file whose tensor names and shapes match the model.");

        var version = (int)ParseInt64(path, FormatVersionKey, Required(path, metadata, FormatVersionKey));
        if (version < 1 || version > CurrentFormatVersion)
            throw new InvalidDataException($"{path}: the checkpoint has format version {version}; this version of DslNet reads versions 1 to {CurrentFormatVersion}.");

        var modelType = Required(path, metadata, ModelTypeKey);
        var stepCount = ParseInt64(path, StepCountKey, Required(path, metadata, StepCountKey));
        var createdText = Required(path, metadata, CreatedKey);
        if (!DateTimeOffset.TryParse(createdText, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var created))
            throw new InvalidDataException($"{path}: metadata '{CreatedKey}' is \"{createdText}\", not a date and time.");

        Dictionary<string, string>? components;
        var componentsText = Required(path, metadata, ComponentsKey);
        try
        {
            components = JsonSerializer.Deserialize<Dictionary<string, string>>(componentsText);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: metadata '{ComponentsKey}' is not a JSON object of component names to types ({e.Message}).");
        }

        if (components is null)
            throw new InvalidDataException($"{path}: metadata '{ComponentsKey}' is null; expected a JSON object of component names to types.");

        return new CheckpointInfo(path, version, modelType, stepCount, created, components,
            ReadState(reader, UserPrefix, $"{path} [user data]"), reader.Entries);
    }

    /// <summary>Checks that the file has every model tensor with its shape, and no model-level tensor the model lacks.</summary>
    private static void CheckModelTensors(SafeTensorsReader reader, INetwork model)
    {
        var problems = new List<string>();
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var view in model.Parameters.Views.Concat(model.RunningStatistics.Views))
        {
            expected.Add(view.Name);
            if (!reader.TryGetEntry(view.Name, out var entry))
                problems.Add($"tensor '{view.Name}' {SafeTensorEntry.FormatShape(view.Shape)} is missing");
            else if (!entry.HasShape(view.Shape))
                problems.Add($"tensor '{view.Name}' has shape {entry.ShapeText} in the file but {SafeTensorEntry.FormatShape(view.Shape)} in the model");
            else if (!SafeTensorsReader.CanReadAsFloat(entry.DType))
                problems.Add($"tensor '{view.Name}' has dtype {entry.DType}, which cannot be read as fp32");
        }

        foreach (var entry in reader.Entries)
            if (!entry.Name.Contains('/') && !expected.Contains(entry.Name))
                problems.Add($"the file has tensor '{entry.Name}' {entry.ShapeText}, which the model does not");

        if (problems.Count > 0)
            throw new InvalidDataException($"{reader.Source}: the checkpoint does not fit {TypeName(model)}: {string.Join("; ", problems)}.");
    }

    private static void CheckComponentName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Contains('/'))
            throw new ArgumentException($"Component name '{name}' contains '/', which separates a component's name from its entries.", nameof(name));
        if (name is ReservedPrefix or UserPrefix)
            throw new ArgumentException($"Component name '{name}' is reserved ('{ReservedPrefix}' for the checkpoint's own metadata, '{UserPrefix}' for the user's data).", nameof(name));
    }

    private static string TypeName(object value) => value.GetType().FullName ?? value.GetType().Name;

    private static string Required(string path, IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"{path}: the checkpoint's metadata has no '{key}'.");

    private static long ParseInt64(string path, string key, string text) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidDataException($"{path}: metadata '{key}' is \"{text}\", not an integer.");

    private static ulong ParseUInt64(string path, string key, string text) =>
        ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidDataException($"{path}: metadata '{key}' is \"{text}\", not an unsigned integer.");
}
