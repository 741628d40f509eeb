namespace DslNet;

/// <summary>A named, shaped window onto a <see cref="TensorBuffer"/> (e.g. <c>Hidden1.Weight</c>, shape [256, 128]).</summary>
public sealed class TensorView
{
    private readonly TensorBuffer _buffer;

    internal TensorView(TensorBuffer buffer, TensorSlot slot)
    {
        _buffer = buffer;
        Name = slot.Name;
        Kind = slot.Kind;
        Offset = slot.Offset;
        Shape = slot.Shape;
        Length = slot.Length;
    }

    public string Name { get; }
    public ParameterKind Kind { get; }

    /// <summary>Start of the view in the flat buffer.</summary>
    public int Offset { get; }

    public int Length { get; }

    /// <summary>Row-major shape; a Dense weight is [units, inputs] like PyTorch's <c>Linear.weight</c>.</summary>
    public IReadOnlyList<int> Shape { get; }

    public Span<float> Span => _buffer.Data.AsSpan(Offset, Length);

    public float this[int index]
    {
        get => Span[index];
        set => Span[index] = value;
    }

    public float[] ToArray() => Span.ToArray();

    /// <summary>Overwrites the view; the source must have exactly <see cref="Length"/> values.</summary>
    public void CopyFrom(ReadOnlySpan<float> values)
    {
        if (values.Length != Length)
            throw new ArgumentException($"{Name} holds {Length} values; got {values.Length}.", nameof(values));
        values.CopyTo(Span);
    }

    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}

/// <summary>Where a view sits in its buffer: the layout the generator computes.</summary>
public readonly record struct TensorSlot(string Name, ParameterKind Kind, int Offset, int[] Shape)
{
    public int Length
    {
        get
        {
            var length = 1;
            foreach (var dimension in Shape) length *= dimension;
            return length;
        }
    }
}
