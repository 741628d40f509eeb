using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu.Spatial;

/// <summary>
/// Channels-last im2col for a chunk of output pixels: row r of the matrix is output pixel r (n, oh, ow) and holds its
/// receptive field as (kh, kw, c_in) with c_in fastest, so each tap is one contiguous copy of C_in values from the
/// NHWC input (or zeros where the tap falls into the padding). <see cref="ScatterAdd"/> is its transpose (col2im).
/// </summary>
internal static unsafe class Im2Col
{
    /// <summary>columns[r, (i·kW + j)·C_in + c] = x[n, oh·sH − pH + i·dH, ow·sW − pW + j·dW, c] for pixels [first, first + rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gather(float* input, in Conv2dGeometry g, int first, int rows, float* columns)
    {
        int cin = g.InChannels, k = g.PatchLength, outW = g.OutWidth, outPixels = g.OutHeight * outW;
        for (int r = 0; r < rows; r++)
        {
            int pixel = first + r;
            int n = pixel / outPixels, rest = pixel - n * outPixels;
            int oh = rest / outW, ow = rest - oh * outW;
            float* dst = columns + (long)r * k;
            float* image = input + (long)n * g.Height * g.Width * cin;
            for (int i = 0; i < g.KernelHeight; i++)
            {
                int ih = oh * g.StrideHeight - g.PadHeight + i * g.DilationHeight;
                for (int j = 0; j < g.KernelWidth; j++, dst += cin)
                {
                    int iw = ow * g.StrideWidth - g.PadWidth + j * g.DilationWidth;
                    if ((uint)ih < (uint)g.Height && (uint)iw < (uint)g.Width)
                    {
                        Copy(image + ((long)ih * g.Width + iw) * cin, dst, cin);
                    }
                    else
                    {
                        new Span<float>(dst, cin).Clear();
                    }
                }
            }
        }
    }

    /// <summary>The transpose of <see cref="Gather"/>: dx[n, ih, iw, c] += columns[r, tap·C_in + c] for every in-bounds tap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScatterAdd(float* columns, in Conv2dGeometry g, int first, int rows, float* inputGradient)
    {
        int cin = g.InChannels, k = g.PatchLength, outW = g.OutWidth, outPixels = g.OutHeight * outW;
        for (int r = 0; r < rows; r++)
        {
            int pixel = first + r;
            int n = pixel / outPixels, rest = pixel - n * outPixels;
            int oh = rest / outW, ow = rest - oh * outW;
            float* src = columns + (long)r * k;
            float* image = inputGradient + (long)n * g.Height * g.Width * cin;
            for (int i = 0; i < g.KernelHeight; i++)
            {
                int ih = oh * g.StrideHeight - g.PadHeight + i * g.DilationHeight;
                for (int j = 0; j < g.KernelWidth; j++, src += cin)
                {
                    int iw = ow * g.StrideWidth - g.PadWidth + j * g.DilationWidth;
                    if ((uint)ih < (uint)g.Height && (uint)iw < (uint)g.Width)
                    {
                        Add(src, image + ((long)ih * g.Width + iw) * cin, cin);
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* src, float* dst, int count)
    {
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c + 16 <= count; c += 16)
            {
                Vector512.Load(src + c).Store(dst + c);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; c + 8 <= count; c += 8)
            {
                Vector256.Load(src + c).Store(dst + c);
            }
        }

        for (; c < count; c++)
        {
            dst[c] = src[c];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Add(float* src, float* dst, int count)
    {
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c + 16 <= count; c += 16)
            {
                (Vector512.Load(dst + c) + Vector512.Load(src + c)).Store(dst + c);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; c + 8 <= count; c += 8)
            {
                (Vector256.Load(dst + c) + Vector256.Load(src + c)).Store(dst + c);
            }
        }

        for (; c < count; c++)
        {
            dst[c] += src[c];
        }
    }
}
