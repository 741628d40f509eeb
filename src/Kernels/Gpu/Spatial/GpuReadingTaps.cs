using DslNet.Kernels.Cpu.Spatial;

namespace DslNet.Kernels.Gpu.Spatial;

/// <summary>What an input-gradient gather adds for one (output pixel, tap) pair that read the input value.</summary>
internal interface ITapContribution
{
    /// <summary>The contribution of output pixel <paramref name="outputPixel"/> (its row n·OH·OW + oh·OW + ow) through the
    /// tap at kernel row <paramref name="kernelRow"/> and column <paramref name="kernelColumn"/>.</summary>
    float Read(int outputPixel, int kernelRow, int kernelColumn);
}

/// <summary>
/// The walk every gather-style input gradient of a convolution shares (the direct kernel's and col2im's): the output
/// pixels whose window reads input pixel (n, ih, iw), taps in (kh, kw) order, so each sum is deterministic.
/// </summary>
internal static class GpuReadingTaps
{
    /// <summary>Σ of <paramref name="contribution"/> over the (output pixel, tap) pairs that read input pixel (n, ih, iw).</summary>
    internal static float Sum<TContribution>(int n, int ih, int iw, Conv2dGeometry g, TContribution contribution)
        where TContribution : struct, ITapContribution
    {
        float sum = 0f;
        for (int i = 0; i < g.KernelHeight; i++)
        {
            int th = ih + g.PadHeight - i * g.DilationHeight;
            if (th < 0 || th % g.StrideHeight != 0) continue;
            int oh = th / g.StrideHeight;
            if (oh >= g.OutHeight) continue;
            for (int j = 0; j < g.KernelWidth; j++)
            {
                int tw = iw + g.PadWidth - j * g.DilationWidth;
                if (tw < 0 || tw % g.StrideWidth != 0) continue;
                int ow = tw / g.StrideWidth;
                if (ow >= g.OutWidth) continue;
                sum += contribution.Read((n * g.OutHeight + oh) * g.OutWidth + ow, i, j);
            }
        }

        return sum;
    }
}
