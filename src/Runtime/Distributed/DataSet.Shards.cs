namespace DslNet;

public sealed partial class DataSet
{
    // This rank's rows of the current epoch (the shard's slice of the permutation), reused across epochs.
    private int[]? _shardOrder;

    /// <summary>Batches per epoch of one rank's shard (see <see cref="DataShard"/>); equal on every rank.</summary>
    public int BatchesPerEpoch(int batchSize, bool dropLast, DataShard shard)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var rows = shard.RowsPerRank(Rows);
        return dropLast ? rows / batchSize : (rows + batchSize - 1) / batchSize;
    }

    /// <summary>
    /// One epoch of this rank's mini-batches of <paramref name="batchSize"/> rows (per rank, as with PyTorch's
    /// <c>DistributedSampler</c> under a <c>DataLoader</c>): the permutation of all rows is the one
    /// <see cref="Batches(int, bool, int, int, bool)"/> uses for (<paramref name="seed"/>, <paramref name="epoch"/>),
    /// and <paramref name="shard"/> takes this rank's rows from it. Over all ranks, batch b is batch b of one process
    /// with <c>WorldSize × batchSize</c> rows (when no padding falls into it). Buffers are reused as in the
    /// single-process form.
    /// </summary>
    public IEnumerable<Batch> Batches(int batchSize, bool shuffle, int seed, int epoch, bool dropLast, DataShard shard)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        if (shard.WorldSize == 0) throw new ArgumentException("The shard is uninitialized (world size 0); build it with new DataShard(rank, worldSize).", nameof(shard));
        return EnumerateShardBatches(batchSize, shuffle, seed, epoch, dropLast, shard);
    }

    /// <summary>The rows this rank trains on in an epoch, in batch order (what <see cref="Batches(int, bool, int, int, bool, DataShard)"/> gathers).</summary>
    public int[] ShardRows(bool shuffle, int seed, int epoch, DataShard shard)
    {
        var rows = new int[shard.RowsPerRank(Rows)];
        FillShard(new int[Rows], shuffle, seed, epoch, shard, rows);
        return rows;
    }

    private static void FillShard(int[] order, bool shuffle, int seed, int epoch, DataShard shard, Span<int> destination)
    {
        for (var i = 0; i < order.Length; i++) order[i] = i;
        if (shuffle) Shuffle.Permute(order, seed, epoch);
        shard.Select(order, destination);
    }

    private IEnumerable<Batch> EnumerateShardBatches(int batchSize, bool shuffle, int seed, int epoch, bool dropLast, DataShard shard)
    {
        var order = _order ??= new int[Rows];
        var rows = shard.RowsPerRank(Rows);
        var shardOrder = _shardOrder is { } existing && existing.Length == rows ? existing : _shardOrder = new int[rows];
        FillShard(order, shuffle, seed, epoch, shard, shardOrder);

        if (_batchCapacity != batchSize)
        {
            var capacity = Math.Min(batchSize, Math.Max(Rows, 1)); // as the single-process form sizes them: both share the buffers
            _batchFeatures = new float[capacity * Columns];
            _batchLabels = new float[capacity];
            _batchCapacity = batchSize;
        }

        var features = _batchFeatures!;
        var labels = _batchLabels!;
        var batches = BatchesPerEpoch(batchSize, dropLast, shard);
        for (var b = 0; b < batches; b++)
        {
            var start = b * batchSize;
            var count = Math.Min(batchSize, rows - start);
            GatherBatch(shardOrder.AsSpan(start, count), features, labels, seed, epoch);
            yield return new Batch(features, labels, Columns, count);
        }
    }
}
