using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DslNet.Runtime.Tests;

public sealed class DataSetBatchTests
{
    private const int Columns = 3;

    /// <summary>Row r has label r and features r·10 + c, so a batch shows which rows it gathered.</summary>
    private static DataSet Numbered(int rows) =>
        DataSet.FromArrays(
            Enumerable.Range(0, rows * Columns).Select(i => (float)(i / Columns * 10 + i % Columns)).ToArray(),
            Enumerable.Range(0, rows).Select(r => (float)r).ToArray(),
            Columns);

    [Theory]
    [InlineData(10, 3, false, 4)]
    [InlineData(10, 3, true, 3)]
    [InlineData(9, 3, false, 3)]
    [InlineData(2, 5, false, 1)]
    [InlineData(2, 5, true, 0)]
    public void BatchesPerEpoch_is_the_dataloader_length(int rows, int batchSize, bool dropLast, int expected)
    {
        var data = Numbered(rows);
        Assert.Equal(expected, data.BatchesPerEpoch(batchSize, dropLast));
        Assert.Equal(expected, data.Batches(batchSize, shuffle: true, dropLast: dropLast).Count());
    }

    [Fact]
    public void Every_row_appears_once_per_epoch_with_its_own_features()
    {
        var data = Numbered(103);
        for (var epoch = 0; epoch < 3; epoch++)
        {
            var seen = new List<int>();
            foreach (var batch in data.Batches(16, shuffle: true, seed: 5, epoch: epoch))
                for (var i = 0; i < batch.Count; i++)
                {
                    var row = (int)batch.Labels[i];
                    Assert.Equal(data.Row(row).ToArray(), batch.Features.Slice(i * Columns, Columns).ToArray());
                    seen.Add(row);
                }

            Assert.Equal(Enumerable.Range(0, 103), seen.Order());
        }
    }

    [Fact]
    public void The_last_batch_is_short_unless_dropped()
    {
        var data = Numbered(10);
        Assert.Equal([4, 4, 2], data.Batches(4, shuffle: false).Select(b => b.Count).ToArray());
        Assert.Equal([4, 4], data.Batches(4, shuffle: false, dropLast: true).Select(b => b.Count).ToArray());
        var last = data.Batches(4, shuffle: false).Last();
        Assert.Equal(2 * Columns, last.Features.Length);
        Assert.Equal([8f, 9f], last.Labels.ToArray());
    }

    [Fact]
    public void Without_shuffling_rows_come_in_order()
    {
        var order = Order(Numbered(20), 6, shuffle: false, seed: 0, epoch: 0);
        Assert.Equal(Enumerable.Range(0, 20), order);
    }

    [Fact]
    public void Shuffling_depends_only_on_seed_and_epoch()
    {
        var data = Numbered(50);
        var first = Order(data, 8, shuffle: true, seed: 1, epoch: 2);
        Order(data, 8, shuffle: true, seed: 9, epoch: 0);   // another epoch in between changes nothing
        Assert.Equal(first, Order(data, 8, shuffle: true, seed: 1, epoch: 2));
        Assert.Equal(first, Order(Numbered(50), 8, shuffle: true, seed: 1, epoch: 2));
        Assert.NotEqual(first, Order(data, 8, shuffle: true, seed: 1, epoch: 3));
        Assert.NotEqual(first, Order(data, 8, shuffle: true, seed: 2, epoch: 2));
        Assert.NotEqual(Enumerable.Range(0, 50), first);
    }

    [Fact]
    public void Batches_reuse_the_same_two_buffers()
    {
        var data = Numbered(40);
        Batch? first = null;
        foreach (var batch in data.Batches(8, shuffle: true))
        {
            first ??= batch;
            Assert.True(Unsafe.AreSame(
                ref MemoryMarshal.GetReference(first.Value.Features), ref MemoryMarshal.GetReference(batch.Features)));
            Assert.True(Unsafe.AreSame(
                ref MemoryMarshal.GetReference(first.Value.Labels), ref MemoryMarshal.GetReference(batch.Labels)));
            // Hence the documented rule: an earlier batch's spans now show the current batch.
            Assert.Equal(batch.Labels.ToArray(), first.Value.Labels.ToArray());
        }
    }

    [Fact]
    public void An_epoch_allocates_nothing_per_batch()
    {
        var data = Numbered(4096);
        Drain(data, epoch: 0);   // allocates the buffers once and JIT-compiles the loop
        var before = GC.GetAllocatedBytesForCurrentThread();
        Drain(data, epoch: 1);   // 512 batches
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1024, $"An epoch of 512 batches allocated {allocated} bytes.");
    }

    private static float Drain(DataSet data, int epoch)
    {
        var sum = 0f;
        foreach (var batch in data.Batches(8, shuffle: true, seed: 3, epoch: epoch))
            sum += batch.Labels[0];
        return sum;
    }

    private static List<int> Order(DataSet data, int batchSize, bool shuffle, int seed, int epoch)
    {
        var order = new List<int>();
        foreach (var batch in data.Batches(batchSize, shuffle, seed, epoch))
            foreach (var label in batch.Labels)
                order.Add((int)label);
        return order;
    }
}
