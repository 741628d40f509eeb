namespace DslNet;

/// <summary>
/// One rank's share of a data set per epoch, with the semantics of PyTorch's <c>DistributedSampler</c>: every
/// rank draws the same permutation of all rows from (seed, epoch), pads it (by repeating its start) to a multiple
/// of <see cref="WorldSize"/> or, with <see cref="DropUneven"/>, cuts it down to one, and takes every
/// <see cref="WorldSize"/>-th row starting at its <see cref="Rank"/>. All ranks get the same number of rows, so
/// they make the same number of steps and no collective waits for a rank that has run out.
/// </summary>
/// <remarks>
/// Striding (rather than contiguous blocks) makes a rank's batch b, over all ranks, exactly the rows of batch b of a
/// single process whose batch is <see cref="WorldSize"/> times larger: <c>n</c> ranks × batch B train on the same
/// rows per step as 1 rank × batch nB. With padding, <c>WorldSize − Rows % WorldSize</c> rows (when not 0) appear
/// twice per epoch; with <see cref="DropUneven"/>, up to <c>WorldSize − 1</c> rows are left out of the epoch (the
/// permutation changes every epoch, so not always the same ones).
/// </remarks>
public readonly record struct DataShard
{
    public DataShard(int rank, int worldSize, bool dropUneven = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(worldSize);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, worldSize);
        Rank = rank;
        WorldSize = worldSize;
        DropUneven = dropUneven;
    }

    /// <summary>This process's shard of <paramref name="world"/>.</summary>
    public static DataShard Of(DistributedContext world, bool dropUneven = false)
    {
        ArgumentNullException.ThrowIfNull(world);
        return new DataShard(world.Rank, world.Size, dropUneven);
    }

    public int Rank { get; }
    public int WorldSize { get; }

    /// <summary>DistributedSampler's <c>drop_last</c>: cut the permutation down to a multiple of the world size instead of padding it.</summary>
    public bool DropUneven { get; }

    /// <summary>Rows of a <paramref name="rows"/>-row set each rank gets per epoch.</summary>
    public int RowsPerRank(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        return DropUneven ? rows / WorldSize : (rows + WorldSize - 1) / WorldSize;
    }

    /// <summary>This rank's rows, in order, from the epoch's permutation <paramref name="order"/> of all rows.</summary>
    public void Select(ReadOnlySpan<int> order, Span<int> shard)
    {
        var count = RowsPerRank(order.Length);
        if (shard.Length != count)
            throw new ArgumentException($"Rank {Rank} of {WorldSize} gets {count} of {order.Length} rows; the destination holds {shard.Length}.", nameof(shard));
        for (var i = 0; i < count; i++)
            shard[i] = order[(Rank + i * WorldSize) % order.Length];
    }
}
