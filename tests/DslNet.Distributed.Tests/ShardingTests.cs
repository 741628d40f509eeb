namespace DslNet.Distributed.Tests;

/// <summary>DistributedSampler semantics of <see cref="DataShard"/> and the sharded <see cref="DataSet.Batches(int, bool, int, int, bool, DataShard)"/>, in one process.</summary>
public sealed class ShardingTests
{
    private static DataSet RowIndices(int rows) =>
        DataSet.FromArrays(Enumerable.Range(0, rows).Select(r => (float)r).ToArray(), new float[rows], 1);

    private static List<int> Rows(DataSet data, int batchSize, int epoch, DataShard shard, bool dropLast = false) =>
        data.Batches(batchSize, shuffle: true, seed: 9, epoch: epoch, dropLast: dropLast, shard)
            .SelectMany(b => b.Features.ToArray()).Select(v => (int)v).ToList();

    [Theory]
    [InlineData(48, 3, 4)]
    [InlineData(50, 2, 5)]
    [InlineData(7, 7, 1)]
    public void Shards_cover_every_row_once_when_the_rows_divide_evenly(int rows, int ranks, int batchSize)
    {
        var data = RowIndices(rows);
        for (var epoch = 0; epoch < 2; epoch++)
        {
            var all = Enumerable.Range(0, ranks).SelectMany(r => Rows(data, batchSize, epoch, new DataShard(r, ranks))).ToList();
            Assert.Equal(Enumerable.Range(0, rows), all.Order());
        }
    }

    [Fact]
    public void Batch_b_over_all_ranks_is_batch_b_of_one_process_with_the_combined_batch()
    {
        var data = RowIndices(96);
        const int ranks = 3, batchSize = 4;
        var single = data.Batches(ranks * batchSize, shuffle: true, seed: 9, epoch: 1)
            .Select(b => b.Features.ToArray().Select(v => (int)v).Order().ToArray()).ToList();
        var perRank = Enumerable.Range(0, ranks).Select(r => Rows(data, batchSize, 1, new DataShard(r, ranks)).Chunk(batchSize).ToList()).ToList();

        Assert.Equal(single.Count, perRank[0].Count);
        for (var b = 0; b < single.Count; b++)
            Assert.Equal(single[b], perRank.SelectMany(rank => rank[b]).Order().ToArray());
    }

    [Fact]
    public void Uneven_rows_are_padded_by_repeating_the_start_of_the_permutation()
    {
        var data = RowIndices(10);
        const int ranks = 4;   // 10 rows → 3 per rank, 2 rows twice
        var shards = Enumerable.Range(0, ranks).Select(r => Rows(data, 2, 0, new DataShard(r, ranks))).ToList();

        Assert.All(shards, s => Assert.Equal(3, s.Count));
        var all = shards.SelectMany(s => s).ToList();
        Assert.Equal(Enumerable.Range(0, 10), all.Distinct().Order());
        Assert.Equal(2, all.Count - all.Distinct().Count());
        Assert.Equal(2, data.BatchesPerEpoch(2, dropLast: false, new DataShard(0, ranks)));
        Assert.Equal(1, data.BatchesPerEpoch(2, dropLast: true, new DataShard(0, ranks)));
    }

    [Fact]
    public void Drop_uneven_leaves_rows_out_instead_of_repeating_them()
    {
        var data = RowIndices(10);
        const int ranks = 4;   // 10 rows → 2 per rank, 2 rows left out
        var all = Enumerable.Range(0, ranks).SelectMany(r => Rows(data, 2, 0, new DataShard(r, ranks, dropUneven: true))).ToList();

        Assert.Equal(8, all.Count);
        Assert.Equal(8, all.Distinct().Count());
    }

    [Fact]
    public void The_permutation_differs_between_epochs_and_repeats_for_the_same_epoch()
    {
        var data = RowIndices(64);
        var shard = new DataShard(1, 2);

        Assert.NotEqual(Rows(data, 8, 0, shard), Rows(data, 8, 1, shard));
        Assert.Equal(Rows(data, 8, 1, shard), Rows(data, 8, 1, shard));
        Assert.Equal(Rows(data, 8, 1, shard), data.ShardRows(shuffle: true, seed: 9, epoch: 1, shard));
    }

    [Fact]
    public void A_shard_outside_the_world_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataShard(2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataShard(0, 0));
        Assert.Throws<ArgumentException>(() => RowIndices(4).Batches(2, true, 0, 0, false, default(DataShard)));
    }

    [Theory]
    [InlineData(10, 3)]
    [InlineData(2, 5)]
    [InlineData(0, 2)]
    public void Contiguous_shards_of_the_validation_rows_tile_them_in_rank_order(int total, int size)
    {
        var next = 0;
        for (var rank = 0; rank < size; rank++)
        {
            var (offset, count) = DistributedContext.Shard(total, rank, size);
            Assert.Equal(next, offset);
            Assert.InRange(count, total / size, total / size + 1);
            next += count;
        }
        Assert.Equal(total, next);
    }
}
