using DslNet.Kernels.Cpu.Spatial;
using ILGPU;

namespace DslNet.Kernels.Gpu.Spatial;

/// <summary>
/// Pooling on the device, NHWC as <see cref="Pool2d"/>: one thread per output value forward, one per input value
/// backward (a gather over the windows that contain it), so no atomics; the max pool's argmax is the same flat NHWC
/// index the CPU kernel writes.
/// </summary>
public static class GpuPool2d
{
    /// <summary>Thread e of the output: max over the window (first maximum wins, NaN propagates) and its input index.</summary>
    public static void MaxForward<TInput, TTensor>(int e, TInput input, TTensor output, ArrayView<int> argmax, Pool2dGeometry g)
        where TInput : struct, IDeviceTensor
        where TTensor : struct, IDeviceTensor
    {
        int c = e % g.Channels, pixel = e / g.Channels;
        int ow = pixel % g.OutWidth, rest = pixel / g.OutWidth, oh = rest % g.OutHeight, n = rest / g.OutHeight;
        float max = float.NegativeInfinity;
        int at = -1;
        for (int i = 0; i < g.KernelHeight; i++)
        {
            int ih = oh * g.StrideHeight - g.PadHeight + i * g.DilationHeight;
            if (ih < 0 || ih >= g.Height) continue;
            for (int j = 0; j < g.KernelWidth; j++)
            {
                int iw = ow * g.StrideWidth - g.PadWidth + j * g.DilationWidth;
                if (iw < 0 || iw >= g.Width) continue;
                int index = ((n * g.Height + ih) * g.Width + iw) * g.Channels + c;
                float v = input.Load(index);
                if (v > max || float.IsNaN(v))
                {
                    max = v;
                    at = index;
                }
            }
        }

        output.Store(e, max);
        argmax[e] = at;
    }

    /// <summary>Thread e of the input: Σ dy of the windows whose argmax is e.</summary>
    public static void MaxBackward<TTensor>(int e, TTensor outputGradient, ArrayView<int> argmax, TTensor inputGradient, Pool2dGeometry g)
        where TTensor : struct, IDeviceTensor
    {
        int c = e % g.Channels, pixel = e / g.Channels;
        int iw = pixel % g.Width, rest = pixel / g.Width, ih = rest % g.Height, n = rest / g.Height;
        float sum = 0f;
        for (int i = 0; i < g.KernelHeight; i++)
        {
            int th = ih + g.PadHeight - i * g.DilationHeight;
            if (th < 0 || th % g.StrideHeight != 0 || th / g.StrideHeight >= g.OutHeight) continue;
            for (int j = 0; j < g.KernelWidth; j++)
            {
                int tw = iw + g.PadWidth - j * g.DilationWidth;
                if (tw < 0 || tw % g.StrideWidth != 0 || tw / g.StrideWidth >= g.OutWidth) continue;
                int o = ((n * g.OutHeight + th / g.StrideHeight) * g.OutWidth + tw / g.StrideWidth) * g.Channels + c;
                if (argmax[o] == e) sum += outputGradient.Load(o);
            }
        }

        inputGradient.Store(e, sum);
    }

    /// <summary>Thread e of the output: the window mean (divisor kH·kW with <paramref name="countIncludePad"/>, else the taps inside).</summary>
    public static void AvgForward<TInput, TTensor>(int e, TInput input, TTensor output, Pool2dGeometry g, bool countIncludePad)
        where TInput : struct, IDeviceTensor
        where TTensor : struct, IDeviceTensor
    {
        int c = e % g.Channels, pixel = e / g.Channels;
        int ow = pixel % g.OutWidth, rest = pixel / g.OutWidth, oh = rest % g.OutHeight, n = rest / g.OutHeight;
        int h0 = oh * g.StrideHeight - g.PadHeight, w0 = ow * g.StrideWidth - g.PadWidth;
        int h1 = IntMin(h0 + g.KernelHeight, g.Height), w1 = IntMin(w0 + g.KernelWidth, g.Width);
        h0 = IntMax(h0, 0);
        w0 = IntMax(w0, 0);
        float sum = 0f;
        for (int ih = h0; ih < h1; ih++)
        {
            for (int iw = w0; iw < w1; iw++) sum += input.Load(((n * g.Height + ih) * g.Width + iw) * g.Channels + c);
        }

        int divisor = countIncludePad ? g.KernelHeight * g.KernelWidth : (h1 - h0) * (w1 - w0);
        output.Store(e, sum * (1f / divisor));
    }

    /// <summary>Thread e of the input: Σ over the windows containing it of dy / divisor.</summary>
    public static void AvgBackward<TTensor>(int e, TTensor outputGradient, TTensor inputGradient, Pool2dGeometry g, bool countIncludePad)
        where TTensor : struct, IDeviceTensor
    {
        int c = e % g.Channels, pixel = e / g.Channels;
        int iw = pixel % g.Width, rest = pixel / g.Width, ih = rest % g.Height, n = rest / g.Height;
        float sum = 0f;
        for (int i = 0; i < g.KernelHeight; i++)
        {
            int th = ih + g.PadHeight - i;
            if (th < 0 || th % g.StrideHeight != 0 || th / g.StrideHeight >= g.OutHeight) continue;
            int oh = th / g.StrideHeight;
            for (int j = 0; j < g.KernelWidth; j++)
            {
                int tw = iw + g.PadWidth - j;
                if (tw < 0 || tw % g.StrideWidth != 0 || tw / g.StrideWidth >= g.OutWidth) continue;
                int ow = tw / g.StrideWidth;
                int h0 = oh * g.StrideHeight - g.PadHeight, w0 = ow * g.StrideWidth - g.PadWidth;
                int divisor = countIncludePad ? g.KernelHeight * g.KernelWidth
                    : (IntMin(h0 + g.KernelHeight, g.Height) - IntMax(h0, 0)) * (IntMin(w0 + g.KernelWidth, g.Width) - IntMax(w0, 0));
                sum += outputGradient.Load(((n * g.OutHeight + oh) * g.OutWidth + ow) * g.Channels + c) * (1f / divisor);
            }
        }

        inputGradient.Store(e, sum);
    }

    /// <summary>Thread e of N·C: output[n, c] = mean over the image's pixels.</summary>
    public static void GlobalAvgForward<TInput, TTensor>(int e, TInput input, TTensor output, int pixels, int channels)
        where TInput : struct, IDeviceTensor
        where TTensor : struct, IDeviceTensor
    {
        int c = e % channels, n = e / channels;
        float sum = 0f;
        for (int p = 0; p < pixels; p++) sum += input.Load((n * pixels + p) * channels + c);
        output.Store(e, sum * (1f / pixels));
    }

    /// <summary>Thread e of N·H·W·C: dx = dy[n, c] / (H·W).</summary>
    public static void GlobalAvgBackward<TTensor>(int e, TTensor outputGradient, TTensor inputGradient, int pixels, int channels)
        where TTensor : struct, IDeviceTensor
    {
        int c = e % channels, n = e / channels / pixels;
        inputGradient.Store(e, outputGradient.Load(n * channels + c) * (1f / pixels));
    }

    private static int IntMin(int a, int b) => a < b ? a : b;

    private static int IntMax(int a, int b) => a > b ? a : b;
}
