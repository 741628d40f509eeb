using DslNet.Devices;
using GpuKernels = DslNet.Kernels.Gpu;

namespace DslNet.Gpu.Tests;

/// <summary>
/// The large-batch column reductions (BatchNorm statistics, gamma/beta and bias gradients split over chunks of rows,
/// merged in chunk order) on ILGPU's CPU accelerator against the CPU path, at a batch of one chunk and at batches of
/// several chunks (the last one short); and the chunking arithmetic itself at sizes the emulator is too slow to run.
/// </summary>
public sealed class BatchSplitReductionTests
{
    public static IEnumerable<object[]> Cases =>
        from name in Models.Names.Select(n => (string)n[0])
        from rows in new[] { 5, 3 * GpuKernels.RowSplit.RowsPerSplit + 17 }
        select new object[] { name, rows };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_training_step_over_several_row_chunks_matches_the_cpu_path(string name, int rows)
    {
        Assert.Equal(rows > GpuKernels.RowSplit.RowsPerSplit ? 4 : 1, GpuKernels.RowSplit.Splits(rows));
        var cpu = Models.All[name](17, Device.Cpu);
        var gpu = Models.All[name](17, Device.IlgpuCpu);
        try
        {
            for (var step = 0; step < 2; step++)
            {
                var (inputs, targets) = Models.Batch(cpu, rows, seed: 40 + step);
                var cpuLoss = cpu.TrainStep(inputs, targets);
                var gpuLoss = gpu.TrainStep(inputs, targets);
                Assert.Equal(cpuLoss, gpuLoss, 1e-5 * Math.Max(1, Math.Abs(cpuLoss)));
                // Parameter gradients are sums over rows, added here in per-chunk partial sums: a gradient far below the
                // tensor's largest (e.g. an input LayerNorm's γ, a small sum of larger terms) carries those terms'
                // rounding, so values under 1 % of the largest are compared on that scale.
                Tolerance.Close(cpu.Gradients.Span, gpu.Gradients.Span, 1e-4, $"{name} gradients, {rows} rows, step {step}", floorFraction: 1e-2);
                Tolerance.Close(cpu.RunningStatistics.Span, gpu.RunningStatistics.Span, 1e-5, $"{name} running statistics, {rows} rows");
            }
        }
        finally
        {
            Models.Dispose(gpu);
        }
    }

    [Theory]
    [InlineData(Precision.Fp16)]
    [InlineData(Precision.Bf16)]
    public void Sixteen_bit_storage_over_several_row_chunks_matches_the_cpu_path_in_the_same_precision(Precision precision)
    {
        // Against the CPU path with the same storage rounding: over 137 rows bf16 storage alone is 2.1e-2 (normwise) from
        // fp32 in the gradients, so the fp32 comparison could not tell a wrong merge from rounding.
        const int rows = 2 * GpuKernels.RowSplit.RowsPerSplit + 9;
        var cpu = Models.WithPrecision["MiniStreamRec"](19, Device.Cpu, precision);
        var gpu = Models.WithPrecision["MiniStreamRec"](19, Device.IlgpuCpu, precision);
        try
        {
            var (inputs, targets) = Models.Batch(cpu, rows, seed: 60);
            cpu.TrainStep(inputs, targets);
            gpu.TrainStep(inputs, targets);
            var bound = ReducedPrecisionParityTests.Bound(precision) / 4;
            var error = Tolerance.NormwiseRelativeError(cpu.Gradients.Span, gpu.Gradients.Span);
            Assert.True(error <= bound, $"{precision} gradients over {rows} rows: normwise relative error {error:E2} > {bound:E2}.");
            error = Tolerance.NormwiseRelativeError(cpu.RunningStatistics.Span, gpu.RunningStatistics.Span);
            Assert.True(error <= bound, $"{precision} running statistics over {rows} rows: normwise relative error {error:E2} > {bound:E2}.");
        }
        finally
        {
            Models.Dispose(gpu);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(4096)]
    [InlineData(32_769)]
    [InlineData(65_536)]
    [InlineData(1_000_003)]
    public void Row_chunks_cover_the_batch_in_order_without_overlap(int rows)
    {
        var splits = GpuKernels.RowSplit.Splits(rows);
        Assert.InRange(splits, 1, GpuKernels.RowSplit.MaxSplits);
        var next = 0;
        for (var split = 0; split < splits; split++)
        {
            var (begin, end) = GpuKernels.RowSplit.Chunk(rows, split);
            Assert.Equal(Math.Min(next, rows), begin);
            Assert.InRange(end - begin, 0, GpuKernels.RowSplit.ChunkLength(rows));
            next = end;
        }

        Assert.Equal(rows, next);
        // A large batch is what the split is for: it must fill many groups, not a number bounded by the features.
        if (rows >= GpuKernels.RowSplit.MaxSplits * GpuKernels.RowSplit.RowsPerSplit) Assert.Equal(GpuKernels.RowSplit.MaxSplits, splits);
    }

    [Theory]
    [InlineData(256, 128, 65_536)]
    [InlineData(1, 64, 65_536)]
    [InlineData(4096, 4096, 65_536)]
    [InlineData(12, 16, 100)]
    public void Split_k_weight_gradients_fill_the_device_within_their_partial_buffer(int m, int n, int k)
    {
        var splits = GpuKernels.GpuGemm.Splits(m, n, k);
        var tiles = ((m + GpuKernels.GpuGemm.Tile - 1) / GpuKernels.GpuGemm.Tile) * ((n + GpuKernels.GpuGemm.Tile - 1) / GpuKernels.GpuGemm.Tile);
        Assert.InRange(splits, 1, GpuKernels.GpuGemm.MaxSplits);
        // One split writes C directly; more keep splits × m·n partial products.
        if (splits > 1) Assert.True((long)splits * m * n <= GpuKernels.GpuGemm.PartialCapacity(m * n), $"{splits} splits of {m}×{n} overflow the partials");
        if (k >= GpuKernels.GpuGemm.MaxSplits * GpuKernels.GpuGemm.SplitLength && tiles <= GpuKernels.GpuGemm.TargetGroups / GpuKernels.GpuGemm.MaxSplits)
            Assert.Equal(GpuKernels.GpuGemm.MaxSplits, splits);
        if (k < 2 * GpuKernels.GpuGemm.SplitLength) Assert.Equal(1, splits);
    }
}
