namespace DslNet.Runtime.Tests;

/// <summary>Small flat buffers for optimizer and clipping tests.</summary>
internal static class Buffers
{
    /// <summary>A parameter buffer holding <paramref name="values"/> as one weight tensor.</summary>
    public static ParameterBuffer Parameters(params float[] values)
    {
        var buffer = new ParameterBuffer(values.Length, [new TensorSlot("p", ParameterKind.Weight, 0, [values.Length])]);
        values.CopyTo(buffer.Data, 0);
        return buffer;
    }

    /// <summary>A buffer whose views are the given tensors, back to back (like a model's gradients).</summary>
    public static TensorBuffer Concatenated(IReadOnlyList<float[]> tensors)
    {
        var layout = new List<TensorSlot>();
        var offset = 0;
        for (var i = 0; i < tensors.Count; i++)
        {
            layout.Add(new TensorSlot($"t{i}", ParameterKind.Weight, offset, [tensors[i].Length]));
            offset += tensors[i].Length;
        }

        var buffer = new TensorBuffer(offset, layout);
        for (var i = 0; i < tensors.Count; i++)
            tensors[i].CopyTo(buffer.Data, layout[i].Offset);
        return buffer;
    }
}
