using DslNet.Kernels.Cpu;
using Xunit;

namespace DslNet.Kernels.Tests;

public class RowGatherTests
{
    [Theory]
    [InlineData(1, 5, 3)]
    [InlineData(1, 600, 128)] // above the parallel threshold, one thread
    [InlineData(2, 600, 128)] // above the parallel threshold, both cores
    [InlineData(2, 7, 0)]
    public void Gather_copies_the_selected_rows_in_order(int threads, int count, int columns)
    {
        var previous = CpuThreads.Count;
        CpuThreads.Count = threads;
        try
        {
            const int sourceRows = 1000;
            var source = new float[sourceRows * columns];
            for (var i = 0; i < source.Length; i++) source[i] = i * 0.5f;
            var random = new Random(7);
            var rows = Enumerable.Range(0, count).Select(_ => random.Next(sourceRows)).ToArray();
            var destination = new float[count * columns + 1];
            destination[^1] = -1f;

            RowGather.Gather(source, columns, rows, destination);

            for (var i = 0; i < count; i++)
                Assert.Equal(source.AsSpan(rows[i] * columns, columns).ToArray(), destination.AsSpan(i * columns, columns).ToArray());
            Assert.Equal(-1f, destination[^1]);
        }
        finally
        {
            CpuThreads.Count = previous;
        }
    }

    [Fact]
    public void Gather_rejects_a_row_outside_the_source_and_a_short_destination()
    {
        var source = new float[4 * 3];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => RowGather.Gather(source, 3, new[] { 1, 4 }, new float[6]));
        Assert.Contains("outside the 4 source rows", error.Message);
        Assert.Throws<ArgumentException>(() => RowGather.Gather(source, 3, new[] { 1, 2 }, new float[5]));
    }
}
