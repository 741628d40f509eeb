using System.Globalization;

namespace DslNet;

/// <summary>Collects a component's named tensors and scalars; a checkpoint writes them out.</summary>
public sealed class StateWriter
{
    private readonly Dictionary<string, float[]> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, float[]> Tensors => _tensors;

    /// <summary>Scalars, as invariant round-trip strings.</summary>
    public IReadOnlyDictionary<string, string> Values => _values;

    public void Tensor(string name, ReadOnlySpan<float> values) => Add(_tensors, name, values.ToArray());

    public void Value(string name, double value) => Add(_values, name, value.ToString("R", CultureInfo.InvariantCulture));

    public void Value(string name, long value) => Add(_values, name, value.ToString(CultureInfo.InvariantCulture));

    public void Value(string name, bool value) => Add(_values, name, value ? "true" : "false");

    public void Value(string name, string value) => Add(_values, name, value);

    private static void Add<T>(Dictionary<string, T> into, string name, T value)
    {
        if (!into.TryAdd(name, value))
            throw new ArgumentException($"State entry '{name}' was written twice.", nameof(name));
    }
}
