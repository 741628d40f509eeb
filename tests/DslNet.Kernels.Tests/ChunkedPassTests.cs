using DslNet.Kernels.Cpu;
using DslNet.Kernels.Cpu.Spatial;
using Xunit;

namespace DslNet.Kernels.Tests;

/// <summary>The whole-batch elementwise passes split into chunks on two threads equal the single-threaded pass bit for
/// bit, across lengths below one chunk, at chunk edges and over several chunks, with and without dropout.</summary>
public class ChunkedPassTests
{
    public static TheoryData<int> Lengths() => new() { 7, 1000, 16 * 1024, 16 * 1024 + 1, 3 * 16 * 1024 - 5, 100_003 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void PassesMatchOneThreadExactly(int length)
    {
        var input = TestUtil.Random(length, 1);
        var skip = TestUtil.Random(length, 2);
        var gradient = TestUtil.Random(length, 3);
        var results = new List<float[]>[2];
        for (int run = 0; run < 2; run++)
        {
            var outputs = new List<float[]>();
            TestUtil.With(run == 0 ? 1 : 2, Gemm.Isa, () =>
            {
                var sum = new float[length];
                Residual.Forward(input, skip, Span<float>.Empty, sum, default(Identity));
                var added = (float[])skip.Clone();
                Residual.AccumulateGradient(gradient, added, accumulate: true);
                var copied = new float[length];
                Residual.AccumulateGradient(gradient, copied, accumulate: false);
                var activated = new float[length];
                Pointwise.Forward(input, activated, default(Relu), new Dropout(0.3f, 11, 5, 2));
                var backward = (float[])gradient.Clone();
                Dense.BackwardActivation(backward, input, 1, length, default(Relu), new Dropout(0.3f, 11, 5, 2));
                outputs.AddRange([sum, added, copied, activated, backward]);
            });
            results[run] = outputs;
        }

        for (int i = 0; i < length; i++)
        {
            Assert.Equal(input[i] + skip[i], results[1][0][i]);
            Assert.Equal(skip[i] + gradient[i], results[1][1][i]);
            Assert.Equal(gradient[i], results[1][2][i]);
        }

        for (int k = 0; k < results[0].Count; k++)
        {
            Assert.Equal(results[0][k], results[1][k]);
        }

        // Dropout really dropped (and the ReLU kept) something: the comparison above is not between zeros.
        if (length < 1000)
        {
            return;
        }

        Assert.Contains(results[1][3], v => v > 0f);
        Assert.Contains(results[1][3].Select((v, i) => (v, i)), p => p.v == 0f && input[p.i] > 0f);
    }
}
