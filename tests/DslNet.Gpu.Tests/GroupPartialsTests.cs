using DslNet.Kernels.Gpu;
using ILGPU;
using ILGPU.Runtime;

namespace DslNet.Gpu.Tests;

/// <summary>
/// The device step's scalar sums (the clipping norm's Σg², the losses): per-group partial sums merged in a fixed order
/// (<see cref="GroupPartials"/>), with no floating-point atomics. ILGPU's CPU accelerator emulates a double atomic add with
/// a compare-exchange loop that compares by value, so an atomic total that became NaN never let the loop end: the
/// former reduction hung on the first fp16 step whose gradients overflowed to NaN.
/// </summary>
public sealed class GroupPartialsTests
{
    [Fact]
    public void A_sum_of_squares_over_gradients_holding_nan_ends_and_is_nan()
    {
        var values = Enumerable.Range(0, 3000).Select(i => (float)Math.Sin(i)).ToArray();
        values[777] = float.NaN;
        values[2100] = float.PositiveInfinity;
        Assert.True(double.IsNaN(SumOfSquares(Device.IlgpuCpu, values)));
    }

    [Fact]
    public void A_sum_of_squares_is_the_same_bits_every_run_and_the_hosts_sum() => SumOfSquaresIsReproducible(Device.IlgpuCpu);

    /// <summary>More values than the grid has threads (<see cref="GroupPartials.MaxGroups"/> groups of
    /// <see cref="RowGroup.Size"/>), so the threads stride; two runs give the same bits (atomic adds would not on a GPU).</summary>
    internal static void SumOfSquaresIsReproducible(Device device)
    {
        var random = new Random(3);
        var values = Enumerable.Range(0, 40_000).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var expected = values.Sum(v => (double)v * v);
        var first = SumOfSquares(device, values);
        Assert.Equal(expected, first, expected * 1e-12);
        Assert.Equal(BitConverter.DoubleToInt64Bits(first), BitConverter.DoubleToInt64Bits(SumOfSquares(device, values)));
    }

    private static double SumOfSquares(Device device, float[] values)
    {
        var accelerator = device.Acquire();
        using var gradients = accelerator.Allocate1D(values);
        using var partials = accelerator.Allocate1D<double>(GroupPartials.Groups(values.Length));
        using var total = accelerator.Allocate1D<double>(1);
        var sumOfSquares = accelerator.LoadStreamKernel<ArrayView<float>, int, ArrayView<double>>(GpuOptimizers.SumOfSquares);
        var merge = accelerator.LoadStreamKernel<ArrayView<double>, ArrayView<double>>(GroupPartials.Merge);
        sumOfSquares(GpuOptimizers.ReductionConfig(values.Length), gradients.View, values.Length, partials.View);
        merge(GroupPartials.MergeConfig, partials.View, total.View);
        accelerator.Synchronize();
        return total.GetAsArray1D()[0];
    }
}
