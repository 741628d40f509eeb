using System.Runtime.CompilerServices;

namespace DslNet.Kernels.Cpu.Spatial;

/// <summary>
/// Conversions between PyTorch's NCHW (the API: images in, Flatten's channel-major order out) and the channels-last
/// NHWC the spatial kernels compute in. Each is the other's backward. For C = 1 (grayscale images) the two layouts
/// are the same bytes and a copy suffices.
/// </summary>
public static unsafe class ChannelsLast
{
    /// <summary>nhwc[n, h, w, c] = nchw[n, c, h, w].</summary>
    public static void FromNchw(ReadOnlySpan<float> nchw, Span<float> nhwc, int batch, int channels, int height, int width) =>
        Transpose(nchw, nhwc, batch, channels, height * width);

    /// <summary>nchw[n, c, h, w] = nhwc[n, h, w, c].</summary>
    public static void ToNchw(ReadOnlySpan<float> nhwc, Span<float> nchw, int batch, int channels, int height, int width) =>
        Transpose(nhwc, nchw, batch, height * width, channels);

    /// <summary>Per image: dst[j, i] = src[i, j] for a [rows, columns] matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(ReadOnlySpan<float> source, Span<float> destination, int batch, int rows, int columns)
    {
        long length = (long)batch * rows * columns;
        Gemm.CheckShape(source.Length, length, nameof(source));
        Gemm.CheckShape(destination.Length, length, nameof(destination));
        if (rows == 1 || columns == 1)
        {
            source[..(int)length].CopyTo(destination);
            return;
        }

        fixed (float* src = source)
        fixed (float* dst = destination)
        {
            const int Block = 16;
            long image = (long)rows * columns;
            for (int n = 0; n < batch; n++)
            {
                float* s = src + n * image, d = dst + n * image;
                for (int i0 = 0; i0 < rows; i0 += Block)
                {
                    for (int j0 = 0; j0 < columns; j0 += Block)
                    {
                        int iEnd = Math.Min(rows, i0 + Block), jEnd = Math.Min(columns, j0 + Block);
                        for (int i = i0; i < iEnd; i++)
                        {
                            for (int j = j0; j < jEnd; j++)
                            {
                                d[(long)j * rows + i] = s[(long)i * columns + j];
                            }
                        }
                    }
                }
            }
        }
    }
}
