using DslNet.Kernels.Cpu;

namespace DslNet.Kernels.Tests;

public class GemmTests
{
    public enum Layout
    {
        /// <summary>x·Wᵀ (forward).</summary>
        TransposeB,
        /// <summary>gradᵀ·x (weight gradient).</summary>
        TransposeA,
        /// <summary>grad·W (input gradient).</summary>
        Plain,
    }

    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int m in new[] { 1, 2, 3, 7, 8, 9, 13, 17 })
        {
            foreach (int n in new[] { 1, 3, 5, 8, 9 })
            {
                foreach (int k in new[] { 1, 2, 6, 9 })
                {
                    data.Add(m, n, k);
                }
            }
        }

        // Big enough to go multi-threaded, with ragged edges in every dimension.
        data.Add(97, 75, 83);
        data.Add(1000, 33, 17);
        data.Add(130, 40, 1030);
        data.Add(512, 64, 128);
        data.Add(64, 128, 512);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesDoubleReferenceForEveryLayoutKernelAndThreadCount(int m, int n, int k)
    {
        foreach (var isa in TestUtil.SupportedIsas())
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                foreach (var layout in Enum.GetValues<Layout>())
                {
                    TestUtil.With(threads, isa, () => Check(layout, m, n, k, $"{layout} {isa} threads={threads} {m}x{n}x{k}"));
                }
            }
        }
    }

    [Fact]
    public void HandlesLargeBatchWeightGradient()
    {
        // rows = 8192 as the reduction dimension exercises k-blocking with accumulation into C.
        TestUtil.With(2, Gemm.Isa, () => Check(Layout.TransposeA, 64, 128, 8192, "8192-row weight gradient"));
        TestUtil.With(2, Gemm.Isa, () => Check(Layout.TransposeB, 8192, 64, 128, "8192-row forward"));
    }

    [Theory]
    [InlineData(7, 5, 9, false)]
    [InlineData(97, 37, 288, true)]
    [InlineData(130, 40, 1030, false)]
    [InlineData(61, 33, 1152, true)]
    public void PrepackedBMatchesDoubleReferenceAcrossKBlocks(int m, int n, int k, bool bStoredTransposed)
    {
        // A convolution packs its weights once (Gemm.PackB) and multiplies chunk after chunk with RunPacked: every k-block
        // of the packed B must sit where RunPacked looks for it, with the GEMM adding to C (accumulate) or overwriting it.
        var a = TestUtil.Random(m * k, m + k);
        var b = TestUtil.Random(k * n, n + 2 * k);
        CheckEveryKernelAndMode(m, n, k, (i, p) => a[i * k + p], (p, j) => bStoredTransposed ? b[j * k + p] : b[p * n + j],
            (c, accumulate) => MultiplyPrepacked(a, b, c, m, n, k, bStoredTransposed, accumulate));
    }

    [Theory]
    [InlineData(1, 16, 9)]
    [InlineData(6, 32, 700)]
    [InlineData(9, 32, 1100)]
    [InlineData(12, 48, 513)]
    public void ReadsARowMajorBInPlaceForOneOrTwoMicroRows(int m, int n, int k)
    {
        // A first layer's weight gradient (the patch of 9 as the rows, C_out as the columns) reads B where it lies: every
        // k-block must start at its own row of B, whose rows are wider than n here, with C overwritten or added to.
        int rowStride = n + 8;
        var a = TestUtil.Random(k * m, m + k);
        var b = TestUtil.Random(k * rowStride, n + 2 * k);
        CheckEveryKernelAndMode(m, n, k, (i, p) => a[p * m + i], (p, j) => b[p * rowStride + j],
            (c, accumulate) => MultiplyTransposedA(a, b, c, m, n, k, rowStride, accumulate));
    }

    // C (or C + start) = A·B in double, against multiply on every kernel, 1 and 2 threads, overwriting and accumulating.
    private static void CheckEveryKernelAndMode(int m, int n, int k, Func<int, int, float> aAt, Func<int, int, float> bAt,
        Action<float[], bool> multiply)
    {
        var start = TestUtil.Random(m * n, 5);
        foreach (var isa in TestUtil.SupportedIsas())
        {
            foreach (int threads in new[] { 1, 2 })
            {
                foreach (bool accumulate in new[] { false, true })
                {
                    var c = (float[])start.Clone();
                    TestUtil.With(threads, isa, () => multiply(c, accumulate));
                    for (int i = 0; i < m; i++)
                    {
                        for (int j = 0; j < n; j++)
                        {
                            double sum = accumulate ? start[i * n + j] : 0, magnitude = Math.Abs(sum);
                            for (int p = 0; p < k; p++)
                            {
                                double product = (double)aAt(i, p) * bAt(p, j);
                                sum += product;
                                magnitude += Math.Abs(product);
                            }

                            TestUtil.Close(sum, c[i * n + j], 0, 1e-6 * magnitude + 1e-7,
                                $"{isa} threads={threads} accumulate={accumulate} {m}x{n}x{k} C[{i},{j}]");
                        }
                    }
                }
            }
        }
    }

    // C = Aᵀ-stored A (k × m, as an im2col chunk read by its columns) times a row-major B with rowStride floats per row.
    private static unsafe void MultiplyTransposedA(float[] a, float[] b, float[] c, int m, int n, int k, int rowStride, bool accumulate)
    {
        var none = default(NoEpilogue);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            Gemm.Run(pa, 1, m, pb, rowStride, 1, pc, m, n, k, ref none, accumulate);
        }
    }

    private static unsafe void MultiplyPrepacked(float[] a, float[] b, float[] c, int m, int n, int k, bool bStoredTransposed, bool accumulate)
    {
        var packed = new float[Gemm.PackedBLength(n, k)];
        var none = default(NoEpilogue);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pp = packed)
        fixed (float* pc = c)
        {
            Gemm.PackB(pb, bStoredTransposed ? 1 : n, bStoredTransposed ? k : 1, n, k, pp);
            Gemm.RunPacked(pa, k, 1, pp, pc, m, n, k, ref none, accumulate);
        }
    }

    private static void Check(Layout layout, int m, int n, int k, string what)
    {
        var a = TestUtil.Random(m * k, m * 31 + k);
        var b = TestUtil.Random(k * n, n * 17 + k);
        var c = TestUtil.Random(m * n, 3); // garbage that must be overwritten
        bool transposeA = layout == Layout.TransposeA;
        bool transposeB = layout == Layout.TransposeB;
        Gemm.Multiply(a, transposeA, b, transposeB, c, m, n, k);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, magnitude = 0;
                for (int p = 0; p < k; p++)
                {
                    double x = transposeA ? a[p * m + i] : a[i * k + p];
                    double y = transposeB ? b[j * k + p] : b[p * n + j];
                    sum += x * y;
                    magnitude += Math.Abs(x * y);
                }

                TestUtil.Close(sum, c[i * n + j], 0, 1e-6 * magnitude + 1e-7, $"{what} C[{i},{j}]");
            }
        }
    }
}
