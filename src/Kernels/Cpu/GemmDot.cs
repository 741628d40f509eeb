using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu;

/// <summary>GEMM for n &lt;= 4 with A's rows and B's columns contiguous in k: one vector dot product per output.</summary>
internal static unsafe class GemmDot
{
    private const int RowsPerEpilogue = 32;

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
                for (int j = 0; j < n; j++)
                {
                    c[(long)i * n + j] = Dot(row, b + (long)j * bcs, k, isa);
                }
            }

            epilogue.Apply(c + (long)i0 * n, n, i0, 0, rows, n);
        }
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
