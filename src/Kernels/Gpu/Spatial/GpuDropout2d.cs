using ILGPU;

namespace DslNet.Kernels.Gpu.Spatial;

/// <summary>Dropout2d on the device: thread e of N·H·W·C multiplies by the scale of element n·C + c of
/// <see cref="GpuDropout"/>, the mask <see cref="Cpu.Spatial.Dropout2d"/> draws. Forward and backward are the same map.</summary>
public static class GpuDropout2d
{
    public static void Apply<TTensor>(int e, TTensor source, TTensor destination, GpuDropout dropout, int pixels, int channels)
        where TTensor : struct, IDeviceTensor
    {
        int c = e % channels, n = e / channels / pixels;
        destination.Store(e, source.Load(e) * dropout.ScaleAt(n * channels + c));
    }
}
