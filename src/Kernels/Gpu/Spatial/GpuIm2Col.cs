using DslNet.Kernels.Cpu.Spatial;
using ILGPU;

namespace DslNet.Kernels.Gpu.Spatial;

/// <summary>
/// The device side of a groups = 1 convolution taken as a library GEMM: im2col, col2im and the weight in the columns'
/// order, with the CPU path's conventions (<see cref="Im2Col"/>): row r of the columns is output pixel r = (n, oh, ow) and
/// holds its receptive field as (kh, kw, c_in), c_in fastest, so the GEMM's weight is [C_out, kh, kw, C_in] where PyTorch's
/// is [C_out, C_in, kh, kw]. One thread per value written; col2im gathers (each input value sums the columns that read it,
/// taps in a fixed order), so nothing needs atomics and every result is deterministic.
/// </summary>
public static class GpuIm2Col
{
    /// <summary>Thread e of OutputPixels·PatchLength: columns[r, (i·kW + j)·C_in + c] = x[n, oh·sH − pH + i·dH,
    /// ow·sW − pW + j·dW, c], or 0 where the tap falls into the padding.</summary>
    public static void Gather<TInput, TColumns>(int e, TInput input, TColumns columns, Conv2dGeometry g)
        where TInput : struct, IDeviceTensor
        where TColumns : struct, IDeviceTensor
    {
        int patch = g.PatchLength, k = e % patch, pixel = e / patch;
        int c = k % g.InChannels, tap = k / g.InChannels, j = tap % g.KernelWidth, i = tap / g.KernelWidth;
        int ow = pixel % g.OutWidth, rest = pixel / g.OutWidth, oh = rest % g.OutHeight, n = rest / g.OutHeight;
        int ih = oh * g.StrideHeight - g.PadHeight + i * g.DilationHeight, iw = ow * g.StrideWidth - g.PadWidth + j * g.DilationWidth;
        bool inside = ih >= 0 && ih < g.Height && iw >= 0 && iw < g.Width;
        columns.Store(e, inside ? input.Load(((n * g.Height + ih) * g.Width + iw) * g.InChannels + c) : 0f);
    }

    /// <summary>Thread e of N·H·W·C_in (col2im): inputGradient[e] = Σ over the (output pixel, tap) pairs that read input
    /// value e of their column value, taps in (kh, kw) order. Overwrites.</summary>
    public static void ToImage<TColumns, TOutput>(int e, TColumns columns, TOutput inputGradient, Conv2dGeometry g)
        where TColumns : struct, IDeviceTensor
        where TOutput : struct, IDeviceTensor
    {
        int c = e % g.InChannels, pixel = e / g.InChannels;
        int iw = pixel % g.Width, rest = pixel / g.Width, ih = rest % g.Height, n = rest / g.Height;
        inputGradient.Store(e, GpuReadingTaps.Sum(n, ih, iw, g, new ColumnValue<TColumns>(columns, g, c)));
    }

    /// <summary>The column value of one output pixel and tap for input channel c.</summary>
    private readonly struct ColumnValue<TColumns> : ITapContribution
        where TColumns : struct, IDeviceTensor
    {
        private readonly TColumns _columns;
        private readonly Conv2dGeometry _g;
        private readonly int _channel;

        public ColumnValue(TColumns columns, Conv2dGeometry g, int channel)
        {
            _columns = columns;
            _g = g;
            _channel = channel;
        }

        public float Read(int outputPixel, int kernelRow, int kernelColumn) =>
            _columns.Load(outputPixel * _g.PatchLength + (kernelRow * _g.KernelWidth + kernelColumn) * _g.InChannels + _channel);
    }

    /// <summary>Thread e of WeightLength: patchOrder[co, (i·kW + j)·C_in + c] = weight[co, c, i, j], the weight as the
    /// columns read it (the CPU path's <c>ReorderForGemm</c>).</summary>
    public static void ToPatchOrder(int e, ArrayView<float> weight, ArrayView<float> patchOrder, Conv2dGeometry g)
    {
        int taps = g.Taps, tap = e % taps, rest = e / taps, c = rest % g.InChannels, co = rest / g.InChannels;
        patchOrder[co * g.PatchLength + tap * g.InChannels + c] = weight[e];
    }

    /// <summary>Thread e of WeightLength: weightGradient[co, c, i, j] = product[(i·kW + j)·C_in + c, co], the weight gradient
    /// from the library GEMM columnsᵀ·dy ([patch, C_out]) in PyTorch's layout. Overwrites.</summary>
    public static void WeightGradientFromPatchOrder(int e, ArrayView<float> product, ArrayView<float> weightGradient, Conv2dGeometry g)
    {
        int taps = g.Taps, tap = e % taps, rest = e / taps, c = rest % g.InChannels, co = rest / g.InChannels;
        weightGradient[e] = product[(tap * g.InChannels + c) * g.OutChannels + co];
    }
}
