namespace DslNet;

/// <summary>
/// One fp32 tensor to write into a safetensors file: a name, a row-major shape and its values. The values are
/// not copied, so a tensor can point straight into a model's flat buffer.
/// </summary>
public readonly struct SafeTensor
{
    public SafeTensor(string name, IReadOnlyList<int> shape, ReadOnlyMemory<float> data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (var dimension in shape)
        {
            if (dimension < 0)
                throw new ArgumentException($"Tensor '{name}' has a negative dimension in its shape [{string.Join(", ", shape)}].", nameof(shape));
            count = checked(count * dimension);
        }

        if (count != data.Length)
            throw new ArgumentException($"Tensor '{name}' has shape [{string.Join(", ", shape)}] ({count} values) but {data.Length} values.", nameof(data));
        Name = name;
        Shape = shape;
        Data = data;
    }

    /// <summary>A one-dimensional tensor of all of <paramref name="data"/>.</summary>
    public SafeTensor(string name, ReadOnlyMemory<float> data)
        : this(name, [data.Length], data)
    {
    }

    public string Name { get; }

    public IReadOnlyList<int> Shape { get; }

    public ReadOnlyMemory<float> Data { get; }

    /// <summary>The tensor for a named view of a flat buffer (a weight, a running mean), without copying it.</summary>
    public static SafeTensor FromView(TensorView view, TensorBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(buffer);
        return new SafeTensor(view.Name, view.Shape, new ReadOnlyMemory<float>(buffer.Data, view.Offset, view.Length));
    }
}

/// <summary>
/// A tensor as a safetensors header describes it: its name, element type (<c>"F32"</c>, <c>"BF16"</c>, …),
/// shape, and byte range in the data section (relative to the start of that section).
/// </summary>
public sealed record SafeTensorEntry(string Name, string DType, IReadOnlyList<long> Shape, long Begin, long End)
{
    /// <summary>Number of elements: the product of the shape (1 for a scalar of shape <c>[]</c>).</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (var dimension in Shape) count *= dimension;
            return count;
        }
    }

    public long ByteLength => End - Begin;

    /// <summary>Whether <see cref="Shape"/> equals <paramref name="shape"/> dimension by dimension.</summary>
    public bool HasShape(IReadOnlyList<int> shape)
    {
        if (shape.Count != Shape.Count) return false;
        for (var i = 0; i < shape.Count; i++)
            if (Shape[i] != shape[i])
                return false;
        return true;
    }

    public string ShapeText => FormatShape(Shape);

    internal static string FormatShape<T>(IReadOnlyList<T> shape) => $"[{string.Join(", ", shape)}]";
}
