using ILGPU;

namespace DslNet.Kernels.Gpu;

/// <summary>
/// Group reductions in double through shared memory (tree order: deterministic for a given launch shape). Every
/// thread of the group must call them, with the same shape.
/// </summary>
public static class GpuReduce
{
    /// <summary>Group of <see cref="ColumnGroup.Columns"/> × <see cref="ColumnGroup.RowLanes"/> threads: sums
    /// <paramref name="value"/> over the row lanes (Group.IdxY) of each column (Group.IdxX); every lane gets its column's sum.</summary>
    public static double SumOverRowLanes(double value)
    {
        var shared = SharedMemory.Allocate<double>(ColumnGroup.Size);
        int x = Group.IdxX, y = Group.IdxY;
        shared[y * ColumnGroup.Columns + x] = value;
        Group.Barrier();
        for (int stride = ColumnGroup.RowLanes / 2; stride > 0; stride >>= 1)
        {
            if (y < stride) shared[y * ColumnGroup.Columns + x] += shared[(y + stride) * ColumnGroup.Columns + x];
            Group.Barrier();
        }

        double sum = shared[x];
        Group.Barrier();
        return sum;
    }

    /// <summary>One-dimensional group of <see cref="RowGroup.Size"/> threads: every thread gets the group's sum.</summary>
    public static double SumOverGroup(double value)
    {
        var shared = SharedMemory.Allocate<double>(RowGroup.Size);
        int x = Group.IdxX;
        shared[x] = value;
        Group.Barrier();
        for (int stride = RowGroup.Size / 2; stride > 0; stride >>= 1)
        {
            if (x < stride) shared[x] += shared[x + stride];
            Group.Barrier();
        }

        double sum = shared[0];
        Group.Barrier();
        return sum;
    }
}

/// <summary>Launch shape of column kernels (BatchNorm statistics, bias and norm-parameter gradients): each group owns
/// <see cref="Columns"/> features and walks all rows with <see cref="RowLanes"/> lanes, reads coalesced along a row.</summary>
public static class ColumnGroup
{
    public const int Columns = 16;
    public const int RowLanes = 16;
    public const int Size = Columns * RowLanes;

    public static KernelConfig Config(int columns) => new(new Index2D((columns + Columns - 1) / Columns, 1), new Index2D(Columns, RowLanes));
}

/// <summary>Launch shape of row kernels (LayerNorm/GroupNorm, losses, optimizer reductions): 1-D groups of <see cref="Size"/>.</summary>
public static class RowGroup
{
    public const int Size = 32;

    public static KernelConfig Config(int groups) => new(groups, Size);
}
