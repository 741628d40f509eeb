namespace DslNet;

/// <summary>
/// One mini-batch: <see cref="Count"/> rows of features (row-major) and their labels.
/// </summary>
/// <remarks>
/// The spans point into buffers that <see cref="DataSet.Batches"/> reuses: they are valid only until the
/// enumeration moves to the next batch (or another enumeration over the same data set with the same batch size
/// starts). Copy them to keep them.
/// </remarks>
public readonly struct Batch
{
    private readonly float[] _features;
    private readonly float[] _labels;
    private readonly int _columns;

    internal Batch(float[] features, float[] labels, int columns, int count)
    {
        _features = features;
        _labels = labels;
        _columns = columns;
        Count = count;
    }

    /// <summary>Number of rows in this batch (the last one may be short).</summary>
    public int Count { get; }

    /// <summary><see cref="Count"/> × columns values, row-major.</summary>
    public ReadOnlySpan<float> Features => _features.AsSpan(0, Count * _columns);

    public ReadOnlySpan<float> Labels => _labels.AsSpan(0, Count);
}
