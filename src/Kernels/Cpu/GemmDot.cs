using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu;

/// <summary>GEMM for n &lt;= 4 with A's rows and B's columns contiguous in k: one vector dot product per output.</summary>
internal static unsafe class GemmDot
{
    private const int RowsPerEpilogue = 32;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TEpilogue>(float* a, int ars, float* b, int bcs, float* c, int m, int n, int k,
        ref TEpilogue epilogue, GemmIsa isa)
        where TEpilogue : struct, IGemmEpilogue
    {
        for (int i0 = 0; i0 < m; i0 += RowsPerEpilogue)
        {
            int rows = Math.Min(RowsPerEpilogue, m - i0);
            for (int i = i0; i < i0 + rows; i++)
            {
                float* row = a + (long)i * ars;
                int j = 0;
                if (isa == GemmIsa.Vector512)
                {
                    // Four outputs at a time share the loads of the row and run four independent chains; each
                    // output still takes exactly the operations of Dot, so the result does not depend on n.
                    for (; j + 4 <= n; j += 4)
                    {
                        Dot4(row, b + (long)j * bcs, bcs, k, c + (long)i * n + j);
                    }
                }

                for (; j < n; j++)
                {
                    c[(long)i * n + j] = Dot(row, b + (long)j * bcs, k, isa);
                }
            }

            epilogue.Apply(c + (long)i0 * n, n, i0, 0, rows, n);
        }
    }

    /// <summary>c[0..4) = Dot(x, y + q*stride, k) for q &lt; 4, with Dot's Vector512 arithmetic per output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4(float* x, float* y, int stride, int k, float* c)
    {
        float* y1 = y + stride, y2 = y1 + stride, y3 = y2 + stride;
        var a0 = Vector512<float>.Zero; var b0 = Vector512<float>.Zero;
        var a1 = Vector512<float>.Zero; var b1 = Vector512<float>.Zero;
        var a2 = Vector512<float>.Zero; var b2 = Vector512<float>.Zero;
        var a3 = Vector512<float>.Zero; var b3 = Vector512<float>.Zero;
        int p = 0;
        for (; p + 32 <= k; p += 32)
        {
            var lo = Vector512.Load(x + p);
            var hi = Vector512.Load(x + p + 16);
            a0 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(y + p), a0);
            b0 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(y + p + 16), b0);
            a1 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(y1 + p), a1);
            b1 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(y1 + p + 16), b1);
            a2 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(y2 + p), a2);
            b2 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(y2 + p + 16), b2);
            a3 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(y3 + p), a3);
            b3 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(y3 + p + 16), b3);
        }

        for (; p + 16 <= k; p += 16)
        {
            var lo = Vector512.Load(x + p);
            a0 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(y + p), a0);
            a1 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(y1 + p), a1);
            a2 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(y2 + p), a2);
            a3 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(y3 + p), a3);
        }

        float s0 = Vector512.Sum(a0 + b0), s1 = Vector512.Sum(a1 + b1), s2 = Vector512.Sum(a2 + b2), s3 = Vector512.Sum(a3 + b3);
        for (; p < k; p++)
        {
            s0 = MathF.FusedMultiplyAdd(x[p], y[p], s0);
            s1 = MathF.FusedMultiplyAdd(x[p], y1[p], s1);
            s2 = MathF.FusedMultiplyAdd(x[p], y2[p], s2);
            s3 = MathF.FusedMultiplyAdd(x[p], y3[p], s3);
        }

        c[0] = s0;
        c[1] = s1;
        c[2] = s2;
        c[3] = s3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(float* x, float* y, int k, GemmIsa isa)
    {
        int p = 0;
        float sum = 0f;
        if (isa == GemmIsa.Vector512)
        {
            var s0 = Vector512<float>.Zero;
            var s1 = Vector512<float>.Zero;
            for (; p + 32 <= k; p += 32)
            {
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(y + p), s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p + 16), Vector512.Load(y + p + 16), s1);
            }

            for (; p + 16 <= k; p += 16)
            {
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(y + p), s0);
            }

            sum = Vector512.Sum(s0 + s1);
        }
        else if (isa == GemmIsa.Vector256)
        {
            var s0 = Vector256<float>.Zero;
            for (; p + 8 <= k; p += 8)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + p), Vector256.Load(y + p), s0);
            }

            sum = Vector256.Sum(s0);
        }

        for (; p < k; p++)
        {
            sum = MathF.FusedMultiplyAdd(x[p], y[p], sum);
        }

        return sum;
    }
}
