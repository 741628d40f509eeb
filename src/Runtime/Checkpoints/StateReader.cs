using System.Globalization;

namespace DslNet;

/// <summary>Hands a component back what its <see cref="IStateful.SaveState"/> wrote, with clear errors when it does not fit.</summary>
public sealed class StateReader
{
    private readonly IReadOnlyDictionary<string, float[]> _tensors;
    private readonly IReadOnlyDictionary<string, string> _values;
    private readonly string _source;

    /// <param name="source">Where the state comes from (a file path, or a component name), for error messages.</param>
    public StateReader(IReadOnlyDictionary<string, float[]> tensors, IReadOnlyDictionary<string, string> values, string source)
    {
        _tensors = tensors;
        _values = values;
        _source = source;
    }

    public StateReader(StateWriter written, string source)
        : this(written.Tensors, written.Values, source)
    {
    }

    public bool Has(string name) => _tensors.ContainsKey(name) || _values.ContainsKey(name);

    /// <summary>Names of the saved tensors.</summary>
    public IEnumerable<string> TensorNames => _tensors.Keys;

    /// <summary>Names of the saved scalars.</summary>
    public IEnumerable<string> ValueNames => _values.Keys;

    /// <summary>Where the state comes from, as error messages name it.</summary>
    public string Source => _source;

    /// <summary>Copies a saved tensor into <paramref name="destination"/>, which must have its exact length.</summary>
    public void Tensor(string name, Span<float> destination)
    {
        if (!_tensors.TryGetValue(name, out var values))
            throw new InvalidDataException($"{_source}: the state has no tensor '{name}'.");
        if (values.Length != destination.Length)
            throw new InvalidDataException($"{_source}: tensor '{name}' holds {values.Length} values; this component needs {destination.Length}.");
        values.CopyTo(destination);
    }

    public double Double(string name) => double.Parse(Text(name), NumberStyles.Float, CultureInfo.InvariantCulture);

    public long Int64(string name) => long.Parse(Text(name), NumberStyles.Integer, CultureInfo.InvariantCulture);

    public bool Boolean(string name) => Text(name) == "true";

    public string Text(string name) =>
        _values.TryGetValue(name, out var text) ? text : throw new InvalidDataException($"{_source}: the state has no value '{name}'.");
}
