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
    /// <summary>Floats a columns buffer needs past its last row: <see cref="Gather"/> may write a short kernel row as one or
    /// two whole vectors.</summary>
    public const int GatherSlack = 16;

    /// <summary>columns[r, (i·kW + j)·C_in + c] = x[n, oh·sH − pH + i·dH, ow·sW − pW + j·dW, c] for pixels [first, first + rows).
    /// The buffer holds rows·patch + <see cref="GatherSlack"/> floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gather(float* input, in Conv2dGeometry g, int first, int rows, float* columns)
    {
        int cin = g.InChannels, k = g.PatchLength, rowLength = g.KernelWidth * cin;

        // A kernel row shorter than two vectors (a first layer's 3×3 row: 3 floats for C_in = 1, 9 for RGB) is copied or
        // zeroed as one or two whole 8-float vectors when the input has that many floats from its start: a copy loop per
        // 3 floats cost more than the layer's GEMM. The floats written past the row land on the next row (written after
        // it) or in the slack, and are never read.
        bool shortRows = Vector256.IsHardwareAccelerated && rowLength < 2 * Vector256<float>.Count;
        bool twoVectors = rowLength > Vector256<float>.Count;
        float* lastVectorStart = input + g.InputLength - (twoVectors ? 2 : 1) * Vector256<float>.Count;

        // The geometry in locals: the stores through dst could alias it, so its fields would be reloaded per row.
        int height = g.Height, kernelHeight = g.KernelHeight, strideHeight = g.StrideHeight, dilationHeight = g.DilationHeight;
        int padHeight = g.PadHeight, inputRowLength = g.Width * cin;
        long imageLength = (long)height * inputRowLength;
        var pixel = new PixelCursor(g, first);
        for (int r = 0; r < rows; r++, pixel.Next())
        {
            float* dst = columns + (long)r * k;
            float* image = input + pixel.Image * imageLength;
            int iw0 = pixel.Column * g.StrideWidth - g.PadWidth;
            bool wholeRows = WholeKernelRows(g, iw0);
            int ih = pixel.Row * strideHeight - padHeight;
            for (int i = 0; i < kernelHeight; i++, dst += rowLength, ih += dilationHeight)
            {
                if ((uint)ih >= (uint)height)
                {
                    if (shortRows)
                    {
                        Vector256<float>.Zero.Store(dst);
                        if (twoVectors)
                        {
                            Vector256<float>.Zero.Store(dst + Vector256<float>.Count);
                        }
                    }
                    else
                    {
                        new Span<float>(dst, rowLength).Clear();
                    }
                }
                else if (wholeRows)
                {
                    // The kernel row's taps are adjacent pixels of one input row: one contiguous copy.
                    float* src = image + (long)ih * inputRowLength + (long)iw0 * cin;
                    if (shortRows && src <= lastVectorStart)
                    {
                        Vector256.Load(src).Store(dst);
                        if (twoVectors)
                        {
                            Vector256.Load(src + Vector256<float>.Count).Store(dst + Vector256<float>.Count);
                        }
                    }
                    else
                    {
                        Copy(src, dst, rowLength);
                    }
                }
                else
                {
                    GatherTaps(image + (long)ih * inputRowLength, g, iw0, dst);
                }
            }
        }
    }

    /// <summary>columnsᵀ[tap, r] = <see cref="Gather"/>'s columns[r, tap] for a single-channel input with stride 1 along the
    /// width (<see cref="Conv2dGeometry.GathersTransposed"/>), tap rows <paramref name="rowStride"/> floats apart. A tap's
    /// values over a run of pixels in one output row are adjacent input pixels, so each tap row is a few contiguous copies
    /// per output row (zeros where the run reaches into the padding) instead of a 3-float copy per pixel and kernel row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GatherTransposed(float* input, in Conv2dGeometry g, int first, int rows, float* columns, int rowStride)
    {
        int outWidth = g.OutWidth, outPixels = g.OutHeight * outWidth, width = g.Width, height = g.Height;
        for (int r = 0; r < rows;)
        {
            int pixel = first + r, image = pixel / outPixels, rest = pixel - image * outPixels;
            int outRow = rest / outWidth, outColumn = rest - outRow * outWidth;
            int run = Math.Min(outWidth - outColumn, rows - r);
            float* imageInput = input + (long)image * height * width;
            for (int i = 0; i < g.KernelHeight; i++)
            {
                int ih = outRow * g.StrideHeight - g.PadHeight + i * g.DilationHeight;
                for (int j = 0; j < g.KernelWidth; j++)
                {
                    float* dst = columns + (long)(i * g.KernelWidth + j) * rowStride + r;
                    if ((uint)ih >= (uint)height)
                    {
                        new Span<float>(dst, run).Clear();
                        continue;
                    }

                    // Output column outColumn + t reads input column iw + t: left of 0 or from the width on is padding.
                    int iw = outColumn - g.PadWidth + j * g.DilationWidth;
                    int insideFrom = Math.Clamp(-iw, 0, run), insideTo = Math.Clamp(width - iw, insideFrom, run);
                    new Span<float>(dst, insideFrom).Clear();
                    Copy(imageInput + (long)ih * width + iw + insideFrom, dst + insideFrom, insideTo - insideFrom);
                    new Span<float>(dst + insideTo, run - insideTo).Clear();
                }
            }

            r += run;
        }
    }

    /// <summary>The transpose of <see cref="Gather"/>: dx[n, ih, iw, c] += columns[r, tap·C_in + c] for every in-bounds tap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScatterAdd(float* columns, in Conv2dGeometry g, int first, int rows, float* inputGradient)
    {
        int cin = g.InChannels, k = g.PatchLength, rowLength = g.KernelWidth * cin;
        var pixel = new PixelCursor(g, first);
        for (int r = 0; r < rows; r++, pixel.Next())
        {
            float* src = columns + (long)r * k;
            float* image = inputGradient + (long)pixel.Image * g.Height * g.Width * cin;
            int iw0 = pixel.Column * g.StrideWidth - g.PadWidth;
            bool wholeRows = WholeKernelRows(g, iw0);
            for (int i = 0; i < g.KernelHeight; i++, src += rowLength)
            {
                int ih = pixel.Row * g.StrideHeight - g.PadHeight + i * g.DilationHeight;
                if ((uint)ih >= (uint)g.Height)
                {
                    continue;
                }

                float* inputRow = image + (long)ih * g.Width * cin;
                if (wholeRows)
                {
                    Add(src, inputRow + (long)iw0 * cin, rowLength);
                    continue;
                }

                for (int j = 0; j < g.KernelWidth; j++)
                {
                    int iw = iw0 + j * g.DilationWidth;
                    if ((uint)iw < (uint)g.Width)
                    {
                        Add(src + j * cin, inputRow + (long)iw * cin, cin);
                    }
                }
            }
        }
    }

    /// <summary>Whether a kernel row starting at input column iw0 covers adjacent in-bounds pixels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool WholeKernelRows(in Conv2dGeometry g, int iw0) =>
        g.DilationWidth == 1 && iw0 >= 0 && iw0 + g.KernelWidth <= g.Width;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatherTaps(float* inputRow, in Conv2dGeometry g, int iw0, float* dst)
    {
        int cin = g.InChannels;
        for (int j = 0; j < g.KernelWidth; j++, dst += cin)
        {
            int iw = iw0 + j * g.DilationWidth;
            if ((uint)iw < (uint)g.Width)
            {
                Copy(inputRow + (long)iw * cin, dst, cin);
            }
            else
            {
                new Span<float>(dst, cin).Clear();
            }
        }
    }

    /// <summary>(image, output row, output column) of consecutive output pixels without a division per pixel.</summary>
    private struct PixelCursor
    {
        private readonly int outHeight, outWidth;

        public PixelCursor(in Conv2dGeometry g, int pixel)
        {
            outHeight = g.OutHeight;
            outWidth = g.OutWidth;
            int outPixels = outHeight * outWidth;
            Image = pixel / outPixels;
            int rest = pixel - Image * outPixels;
            Row = rest / outWidth;
            Column = rest - Row * outWidth;
        }

        public int Image { get; private set; }

        public int Row { get; private set; }

        public int Column { get; private set; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Next()
        {
            if (++Column < outWidth)
            {
                return;
            }

            Column = 0;
            if (++Row < outHeight)
            {
                return;
            }

            Row = 0;
            Image++;
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
