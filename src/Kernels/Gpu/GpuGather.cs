using ILGPU;

namespace DslNet.Kernels.Gpu;

/// <summary>A mini-batch gathered on the device from a device-resident data set, so a training step copies nothing from
/// the host: the same rows, in the same order, as the host's gather (<c>DataSet.Batches</c>).</summary>
public static class GpuGather
{
    /// <summary>
    /// One thread per batch element (<paramref name="columns"/> per row): inputs[r, c] = features[order[start + r], c],
    /// and targets[r] = labels[order[start + r]] (one label per row, as a data set holds them).
    /// </summary>
    public static void GatherRows(Index1D i, ArrayView<float> features, ArrayView<float> labels, ArrayView<int> order, int start,
        int columns, ArrayView<float> inputs, ArrayView<float> targets)
    {
        int row = i / columns;
        int column = i - row * columns;
        int source = order[start + row];
        inputs[i] = features[(long)source * columns + column];
        if (column == 0) targets[row] = labels[source];
    }
}
