namespace DslNet;

/// <summary>Checks the spans a generated network receives, with messages that name the network and the sizes.</summary>
public static class NetworkArguments
{
    /// <summary>Rows of a batch: inputs must be whole rows, and targets must hold <paramref name="targetsPerRow"/> per row.</summary>
    public static int Rows(string network, int inputSize, ReadOnlySpan<float> inputs, int targetsPerRow, ReadOnlySpan<float> targets)
    {
        var rows = Rows(network, inputSize, inputs);
        if (targets.Length != rows * targetsPerRow)
            throw new ArgumentException(
                $"{network}: {rows} input rows need {rows * targetsPerRow} targets ({targetsPerRow} per row), got {targets.Length}.",
                nameof(targets));
        return rows;
    }

    public static int Rows(string network, int inputSize, ReadOnlySpan<float> inputs)
    {
        if (inputs.Length == 0)
            throw new ArgumentException($"{network}: the batch is empty.", nameof(inputs));
        if (inputs.Length % inputSize != 0)
            throw new ArgumentException(
                $"{network}: {inputs.Length} input values are not whole rows of {inputSize} features.", nameof(inputs));
        return inputs.Length / inputSize;
    }

    public static void Outputs(string network, int rows, int outputSize, Span<float> outputs)
    {
        if (outputs.Length != rows * outputSize)
            throw new ArgumentException(
                $"{network}: {rows} rows produce {rows * outputSize} outputs ({outputSize} per row); the output span holds {outputs.Length}.",
                nameof(outputs));
    }

    /// <summary>Grows a pinned workspace to hold <paramref name="rows"/> rows; allocates only when it must grow. A batch whose
    /// workspace would not fit one .NET array is refused with the largest batch that does.</summary>
    public static float[] EnsureRows(float[] workspace, int floatsPerRow, int rows, ref int rowCapacity)
    {
        if (rows <= rowCapacity) return workspace;
        var floats = (long)rows * floatsPerRow;
        if (floats > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows,
                $"A batch of {rows:N0} rows needs {floats:N0} workspace floats ({floatsPerRow:N0} per row), more than one array holds "
                + $"({Array.MaxLength:N0}): train with batches of at most {Array.MaxLength / floatsPerRow:N0} rows.");
        }

        rowCapacity = rows;
        return GC.AllocateArray<float>((int)floats, pinned: true);
    }
}
