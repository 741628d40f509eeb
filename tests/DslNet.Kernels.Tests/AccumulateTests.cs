using DslNet.Kernels.Cpu;

namespace DslNet.Kernels.Tests;

/// <summary>
/// Accumulate mode, for a value read by two consumers (a residual skip): the input-gradient GEMM adds to what is there,
/// on every ISA, thread count and tile edge, including the narrow dot-product shapes and a k split into two blocks; the
/// residual add and its backward.
/// </summary>
public class AccumulateTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 1, 1, 1 }, { 3, 4, 7 }, { 17, 9, 6 }, { 13, 33, 3 }, { 160, 70, 60 }, { 9, 20, 600 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardInputAddsToTheExistingGradient(int rows, int inputs, int units)
    {
        foreach (var isa in TestUtil.SupportedIsas())
        {
            foreach (int threads in new[] { 1, 2 })
            {
                TestUtil.With(threads, isa, () =>
                {
                    var g = TestUtil.Random(rows * units, 1);
                    var w = TestUtil.Random(units * inputs, 2, 0.5f);
                    var existing = TestUtil.Random(rows * inputs, 3);
                    var written = new float[rows * inputs];
                    Dense.BackwardInput(g, w, written, rows, inputs, units, accumulate: false);
                    var accumulated = (float[])existing.Clone();
                    Dense.BackwardInput(g, w, accumulated, rows, inputs, units, accumulate: true);

                    var expected = new double[rows * inputs];
                    for (int r = 0; r < rows; r++)
                        for (int i = 0; i < inputs; i++)
                        {
                            double sum = 0;
                            for (int u = 0; u < units; u++) sum += (double)g[r * units + u] * w[u * inputs + i];
                            expected[r * inputs + i] = sum;
                        }

                    var what = $"{rows}x{inputs}<-{units} {isa} threads={threads}";
                    TestUtil.Close(expected, written, 1e-4, 1e-4, what + " write");
                    TestUtil.Close(expected.Select((e, i) => e + existing[i]).ToArray(), accumulated, 1e-4, 1e-4, what + " accumulate");
                });
            }
        }
    }

    [Fact]
    public void ResidualAddAndItsGradient()
    {
        var output = TestUtil.Random(37, 1);
        var skip = TestUtil.Random(37, 2);
        var sum = output.Zip(skip, (a, b) => (double)a + b).ToArray();
        Residual.Add(output, skip);
        TestUtil.Close(sum, output, 0, 1e-6, "output += skip");

        var gradient = TestUtil.Random(37, 3);
        var target = TestUtil.Random(37, 4);
        var before = (float[])target.Clone();
        Residual.AccumulateGradient(gradient, target, accumulate: true);
        TestUtil.Close(before.Zip(gradient, (a, b) => (double)a + b).ToArray(), target, 0, 1e-6, "skip gradient += gradient");
        Residual.AccumulateGradient(gradient, target, accumulate: false);
        TestUtil.Close(gradient.Select(v => (double)v).ToArray(), target, 0, 0, "skip gradient = gradient");
    }
}
