using ILGPU;

namespace DslNet.Kernels.Gpu;

/// <summary>
/// Launch shape of the large-batch column reductions (<see cref="GpuColumnReductions"/>): the rows are split into
/// <see cref="Splits"/> contiguous chunks, and each group of <see cref="ColumnGroup.Columns"/> features ×
/// <see cref="ColumnGroup.RowLanes"/> row lanes reduces one chunk of its features. The grid is (feature tiles, splits),
/// so the parallelism grows with the batch instead of being bounded by the number of features; a merge kernel then
/// combines the splits per feature in split order (deterministic for a given batch size).
/// </summary>
/// <remarks>Partial results live in <see cref="NetworkViews.ColumnPartials"/>: slot s of split p for feature j at
/// <c>(p·2 + s)·columns + j</c>; the merged values at split <see cref="MaxSplits"/> (<see cref="MergedOffset"/>).</remarks>
public static class RowSplit
{
    /// <summary>Rows one group reduces (four per lane): short enough that a batch of 512 already fills eight splits.</summary>
    public const int RowsPerSplit = 64;

    /// <summary>Most splits: at 65,536 rows a split holds 128 rows, and a 256-wide layer launches 16 × 512 groups.</summary>
    public const int MaxSplits = 512;

    /// <summary>Values per split and feature (mean and M2, or the two gradient sums).</summary>
    public const int Slots = 2;

    /// <summary>Doubles of <see cref="NetworkViews.ColumnPartials"/> per feature of the widest layer: every split and the merged slot.</summary>
    public const int PartialsPerColumn = (MaxSplits + 1) * Slots;

    /// <summary>How many chunks a batch of <paramref name="rows"/> is reduced in.</summary>
    public static int Splits(int rows) => Math.Min(Math.Max((rows + RowsPerSplit - 1) / RowsPerSplit, 1), MaxSplits); // no Math.Clamp in kernels

    /// <summary>Rows per chunk (the last chunk may be shorter, or empty when <see cref="MaxSplits"/> caps the count).</summary>
    public static int ChunkLength(int rows) => (rows + Splits(rows) - 1) / Splits(rows);

    /// <summary>The rows of chunk <paramref name="split"/>: [begin, end).</summary>
    public static (int Begin, int End) Chunk(int rows, int split)
    {
        int chunk = ChunkLength(rows);
        int begin = Math.Min(rows, split * chunk);
        return (begin, Math.Min(rows, begin + chunk));
    }

    /// <summary>Index of the merged slot <paramref name="slot"/> of feature <paramref name="column"/>.</summary>
    public static int MergedOffset(int columns, int slot, int column) => (MaxSplits * Slots + slot) * columns + column;

    /// <summary>Index of split <paramref name="split"/>'s slot <paramref name="slot"/> for <paramref name="column"/>.</summary>
    public static int PartialOffset(int columns, int split, int slot, int column) => (split * Slots + slot) * columns + column;

    /// <summary>The grid of the partial kernels: feature tiles × splits.</summary>
    public static KernelConfig Config(int rows, int columns) =>
        new(new Index2D((columns + ColumnGroup.Columns - 1) / ColumnGroup.Columns, Splits(rows)), new Index2D(ColumnGroup.Columns, ColumnGroup.RowLanes));

    /// <summary>The grid of the merge kernels: one thread per feature.</summary>
    public static KernelConfig MergeConfig(int columns) => RowGroup.Config((columns + RowGroup.Size - 1) / RowGroup.Size);
}
