using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu;

/// <summary>
/// Copies strided operands into the k-major panels the micro-kernels stream through, padding partial panels with
/// zeros so the kernels never branch on edges. A(m, k) = a[m*rowStride + k*colStride]; likewise B(k, n).
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>dst[k*mr + i] = A(m0 + i, k0 + k) for i &lt; rows, 0 for rows &lt;= i &lt; mr.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(float* a, int rowStride, int colStride, int m0, int rows, int k0, int kc, float* dst, int mr)
    {
        if (rowStride == 1)
        {
            // A is stored transposed (weight gradient: gradᵀ), so each k holds mr contiguous values.
            float* src = a + (long)k0 * colStride + m0;
            for (int k = 0; k < kc; k++, src += colStride, dst += mr)
            {
                CopyPadded(src, rows, dst, mr);
            }

            return;
        }

        if (rows == 8 && mr == 8 && colStride == 1)
        {
            GemmTranspose.Pack8Rows(a + (long)m0 * rowStride + k0, rowStride, kc, dst, 8);
            return;
        }

        for (int i = 0; i < mr; i++)
        {
            if (i < rows)
            {
                float* src = a + (long)(m0 + i) * rowStride + (long)k0 * colStride;
                for (int k = 0; k < kc; k++)
                {
                    dst[k * mr + i] = src[(long)k * colStride];
                }
            }
            else
            {
                for (int k = 0; k < kc; k++)
                {
                    dst[k * mr + i] = 0f;
                }
            }
        }
    }

    /// <summary>dst[k*nr + j] = B(k0 + k, n0 + j) for j &lt; columns, 0 for columns &lt;= j &lt; nr.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(float* b, int rowStride, int colStride, int n0, int columns, int k0, int kc, float* dst, int nr)
    {
        if (colStride == 1)
        {
            float* src = b + (long)k0 * rowStride + n0;
            for (int k = 0; k < kc; k++, src += rowStride, dst += nr)
            {
                CopyPadded(src, columns, dst, nr);
            }

            return;
        }

        if (rowStride == 1 && columns == nr && nr % 8 == 0)
        {
            // Bᵀ stored row-major (forward pass: the weight matrix), so eight columns are eight contiguous rows.
            for (int j = 0; j < nr; j += 8)
            {
                GemmTranspose.Pack8Rows(b + (long)(n0 + j) * colStride + k0, colStride, kc, dst + j, nr);
            }

            return;
        }

        for (int j = 0; j < nr; j++)
        {
            if (j < columns)
            {
                float* src = b + (long)k0 * rowStride + (long)(n0 + j) * colStride;
                for (int k = 0; k < kc; k++)
                {
                    dst[k * nr + j] = src[(long)k * rowStride];
                }
            }
            else
            {
                for (int k = 0; k < kc; k++)
                {
                    dst[k * nr + j] = 0f;
                }
            }
        }
    }

    // Called once per k for every panel (32-byte and 128-byte rows in the model's GEMMs): inline vector copies,
    // not a Memmove call each.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyPadded(float* src, int count, float* dst, int width)
    {
        if (count == width)
        {
            if (width == 32 && Vector512.IsHardwareAccelerated)
            {
                Vector512.Store(Vector512.Load(src), dst);
                Vector512.Store(Vector512.Load(src + 16), dst + 16);
                return;
            }

            if (width % 8 == 0 && Vector256.IsHardwareAccelerated)
            {
                for (int j = 0; j < width; j += 8)
                {
                    Vector256.Store(Vector256.Load(src + j), dst + j);
                }

                return;
            }

            Buffer.MemoryCopy(src, dst, width * sizeof(float), width * sizeof(float));
            return;
        }

        int i = 0;
        for (; i < count; i++)
        {
            dst[i] = src[i];
        }

        for (; i < width; i++)
        {
            dst[i] = 0f;
        }
    }
}
