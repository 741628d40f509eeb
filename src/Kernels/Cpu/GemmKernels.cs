using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu;

/// <summary>Which micro-kernel the GEMM uses; chosen once from the hardware, overridable for tests.</summary>
internal enum GemmIsa
{
    Scalar,
    Vector256,
    Vector512,
}

/// <summary>
/// Register-blocked micro-kernels: C[MR, NR] (+)= Ap[MR, kc]·Bp[kc, NR] over packed panels (Ap k-major with MR
/// values per k, Bp k-major with NR values per k). Tiles are sized to the register file: 8x32 uses 16 of the 32
/// zmm registers as accumulators, 6x16 uses 12 of the 16 ymm registers.
/// </summary>
internal static unsafe class GemmKernels
{
    public static (int Mr, int Nr) TileShape(GemmIsa isa) => isa switch
    {
        GemmIsa.Vector512 => (8, 32),
        GemmIsa.Vector256 => (6, 16),
        _ => (4, 8),
    };

    public static GemmIsa Detect() =>
        Vector512.IsHardwareAccelerated ? GemmIsa.Vector512
        : Vector256.IsHardwareAccelerated ? GemmIsa.Vector256
        : GemmIsa.Scalar;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel8x32(int kc, float* a, float* b, float* c, int ldc, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            a += 8;
            b += 32;
        }

        Store512(c, accumulate, c00, c01);
        Store512(c + ldc, accumulate, c10, c11);
        Store512(c + 2 * ldc, accumulate, c20, c21);
        Store512(c + 3 * ldc, accumulate, c30, c31);
        Store512(c + 4 * ldc, accumulate, c40, c41);
        Store512(c + 5 * ldc, accumulate, c50, c51);
        Store512(c + 6 * ldc, accumulate, c60, c61);
        Store512(c + 7 * ldc, accumulate, c70, c71);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* c, bool accumulate, Vector512<float> v0, Vector512<float> v1)
    {
        if (accumulate)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c + 16);
        }

        v0.Store(c);
        v1.Store(c + 16);
    }

    /// <summary>The 6x16 tile from a packed A panel (6 values per k).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Kernel6x16(int kc, float* a, float* b, float* c, int ldc, bool accumulate) =>
        Kernel6x16(kc, a, 1, 6, b, 16, c, ldc, accumulate);

    /// <summary>The 6x16 tile with A read in place: row i's k-th value at a[i·aRowStride + k·aStep]. A row-major A
    /// (aRowStride = its row length, aStep = 1) needs no packing: the six rows are six sequential streams, and for the
    /// narrow GEMMs of convolutions (64 output channels: four panels share each A panel) packing cost a third of the
    /// kernel's time. A transposed A (aRowStride = 1, aStep = its column length: a weight gradient's dyᵀ or im2colᵀ)
    /// needs none either: six adjacent values per k. B's 16 values of step k are at b + k·bStep: 16 for a packed panel, or
    /// a row-major B's row length when it is read in place (see <c>GemmJob.Compute</c>). The sums are the same FMAs in
    /// the same order as from packed panels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel6x16(int kc, float* a, int aRowStride, int aStep, float* b, int bStep, float* c, int ldc, bool accumulate)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default, c50 = default, c51 = default;
        float* a3 = a + 3L * aRowStride;
        nint r1 = aRowStride, r2 = 2 * (nint)aRowStride;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[r1]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[r2]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a3[0]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a3[r1]);
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a3[r2]);
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            a += aStep;
            a3 += aStep;
            b += bStep;
        }

        Store256(c, accumulate, c00, c01);
        Store256(c + ldc, accumulate, c10, c11);
        Store256(c + 2 * ldc, accumulate, c20, c21);
        Store256(c + 3 * ldc, accumulate, c30, c31);
        Store256(c + 4 * ldc, accumulate, c40, c41);
        Store256(c + 5 * ldc, accumulate, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(float* c, bool accumulate, Vector256<float> v0, Vector256<float> v1)
    {
        if (accumulate)
        {
            v0 += Vector256.Load(c);
            v1 += Vector256.Load(c + 8);
        }

        v0.Store(c);
        v1.Store(c + 8);
    }

    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel4x8(int kc, float* a, float* b, float* c, int ldc, bool accumulate)
    {
        const int Mr = 4, Nr = 8;
        float* acc = stackalloc float[Mr * Nr];
        new Span<float>(acc, Mr * Nr).Clear();
        for (int k = 0; k < kc; k++)
        {
            for (int i = 0; i < Mr; i++)
            {
                float x = a[i];
                for (int j = 0; j < Nr; j++)
                {
                    acc[i * Nr + j] = MathF.FusedMultiplyAdd(x, b[j], acc[i * Nr + j]);
                }
            }

            a += Mr;
            b += Nr;
        }

        for (int i = 0; i < Mr; i++)
        {
            for (int j = 0; j < Nr; j++)
            {
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + acc[i * Nr + j] : acc[i * Nr + j];
            }
        }
    }
}
