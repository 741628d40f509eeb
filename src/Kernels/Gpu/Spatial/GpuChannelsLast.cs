namespace DslNet.Kernels.Gpu.Spatial;

/// <summary>
/// The device side of <see cref="Cpu.Spatial.ChannelsLast"/>: the caller's NCHW images to the channels-last values the
/// spatial kernels compute in, and back at Flatten (PyTorch's channel-major feature order). One thread per value written;
/// each is the other's backward. The source may be the network's fp32 input, the destination the activation storage.
/// </summary>
public static class GpuChannelsLast
{
    /// <summary>Thread e of N·H·W·C: nhwc[n, p, c] = nchw[n, c, p].</summary>
    public static void FromNchw<TSource, TDestination>(int e, TSource nchw, TDestination nhwc, int pixels, int channels)
        where TSource : struct, IDeviceTensor
        where TDestination : struct, IDeviceTensor
    {
        int c = e % channels, p = e / channels % pixels, n = e / channels / pixels;
        nhwc.Store(e, nchw.Load((n * channels + c) * pixels + p));
    }

    /// <summary>Thread e of N·C·H·W: nchw[n, c, p] = nhwc[n, p, c].</summary>
    public static void ToNchw<TSource, TDestination>(int e, TSource nhwc, TDestination nchw, int pixels, int channels)
        where TSource : struct, IDeviceTensor
        where TDestination : struct, IDeviceTensor
    {
        int p = e % pixels, c = e / pixels % channels, n = e / pixels / channels;
        nchw.Store(e, nhwc.Load((n * pixels + p) * channels + c));
    }
}
