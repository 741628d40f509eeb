namespace DslNet;

/// <summary>
/// One flat fp32 buffer, allocated once and pinned, with named views onto it. A model's parameters, gradients
/// and running statistics are each one of these, so an optimizer, a clip or a checkpoint is one pass.
/// </summary>
public class TensorBuffer
{
    private readonly Dictionary<string, TensorView> _byName;

    public TensorBuffer(int length, IReadOnlyList<TensorSlot> layout)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Data = GC.AllocateArray<float>(length, pinned: true);
        var views = new TensorView[layout.Count];
        _byName = new Dictionary<string, TensorView>(layout.Count, StringComparer.Ordinal);
        for (var i = 0; i < layout.Count; i++)
        {
            var slot = layout[i];
            if (slot.Offset < 0 || slot.Offset + slot.Length > length)
                throw new ArgumentException($"View {slot.Name} [{slot.Offset}, {slot.Offset + slot.Length}) lies outside a buffer of {length}.");
            views[i] = new TensorView(this, slot);
            _byName.Add(slot.Name, views[i]);
        }
        Views = views;
    }

    /// <summary>The flat storage; views index into it.</summary>
    public float[] Data { get; }

    public int Length => Data.Length;

    public Span<float> Span => Data;

    public IReadOnlyList<TensorView> Views { get; }

    public TensorView this[string name] =>
        _byName.TryGetValue(name, out var view)
            ? view
            : throw new KeyNotFoundException($"No tensor named '{name}'. Known: {string.Join(", ", _byName.Keys)}.");

    public bool TryGetView(string name, out TensorView view) => _byName.TryGetValue(name, out view!);

    public void Clear() => Data.AsSpan().Clear();

    /// <summary>Copies every value into <paramref name="destination"/>, which must have the same length.</summary>
    public void CopyTo(TensorBuffer destination)
    {
        if (destination.Length != Length)
            throw new ArgumentException($"Buffer lengths differ: {Length} and {destination.Length}.", nameof(destination));
        Data.AsSpan().CopyTo(destination.Data);
    }
}

/// <summary>The trainable parameters, paired with their gradient buffer (same layout, same offsets).</summary>
public sealed class ParameterBuffer : TensorBuffer
{
    public ParameterBuffer(int length, IReadOnlyList<TensorSlot> layout)
        : base(length, layout)
    {
        Gradients = new TensorBuffer(length, layout);
    }

    public TensorBuffer Gradients { get; }
}
