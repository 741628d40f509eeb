using System.Numerics;
using Xunit.Abstractions;

namespace DslNet.Runtime.Tests;

/// <summary>
/// The variance argument, reproduced against init_variance.json: 1000 N(0, 1) rows through 20 bias-free
/// Linear(512, 512) + ReLU layers; the variance of the activations after each layer (index 0 is the input).
/// The weights are not PyTorch's (different random streams), so the series are compared by order of magnitude.
/// </summary>
public sealed class InitVarianceTests(ITestOutputHelper output)
{
    private const int Width = 512;
    private const int Rows = 1000;
    private const int Layers = 20;

    // Read from the data rather than guessed: the first ReLU layer gives Var ≈ (1/2 − 1/(2π))·512·σ² ≈ 174.5·σ²
    // and each later one multiplies it by 256·σ², so too_small's 0.0175 and ×0.0256 mean σ = 0.01, and
    // too_large's 175 and ×256 mean σ = 1 (the background text's verify_initialization_variance uses the same).
    [Theory]
    [InlineData("he", Init.HeNormal, 0.0)]
    [InlineData("xavier", Init.XavierNormal, 0.0)]
    [InlineData("too_small", Init.Normal, 0.01)]
    [InlineData("too_large", Init.Normal, 1.0)]
    public void Activation_variance_per_layer_matches_pytorch_within_an_order_of_magnitude(string series, Init init, double std)
    {
        var expected = ReferenceData.Load("init_variance.json").GetProperty("variance_per_layer").GetProperty(series).Doubles();
        Assert.Equal(Layers + 1, expected.Length);

        var random = new Random(42);
        var activations = new float[Rows * Width];
        Initializers.Fill(activations, Rows, Width, Init.Normal, gain: 1, std: 1, FanMode.In, random);
        var next = new float[Rows * Width];
        var weight = new float[Width * Width];
        var gain = init == Init.HeNormal ? Initializers.Gain("relu") : 1.0;

        var actual = new List<double> { Variance(activations) };
        for (var layer = 0; layer < Layers; layer++)
        {
            Initializers.Fill(weight, Width, Width, init, gain, std, FanMode.In, random);
            LinearRelu(activations, weight, next);
            (activations, next) = (next, activations);
            actual.Add(Variance(activations));
        }

        output.WriteLine($"{series}: {string.Join(", ", actual.Select(v => v.ToString("G3")))}");
        for (var i = 0; i <= Layers; i++)
        {
            if (double.IsPositiveInfinity(expected[i]))
                // PyTorch's fp32 variance overflowed (its activations did not); ours is accumulated in double.
                Assert.True(actual[i] > 1e30, $"{series} layer {i}: expected an overflowing variance, got {actual[i]:G3}.");
            else
                Assert.InRange(actual[i], expected[i] / 10, expected[i] * 10);
        }
    }

    /// <summary>y = relu(x·Wᵀ) for x [Rows, Width] and W [Width, Width] ([out, in], like Linear.weight), in fp32.</summary>
    /// <remarks>
    /// A small register-blocked GEMM (4 rows × 4 vectors of outputs per tile, accumulated over all inputs), so the
    /// 4 × 20 layers of 1000×512×512 take about a second, not several.
    /// </remarks>
    private static void LinearRelu(float[] x, float[] w, float[] y)
    {
        var transposed = new float[Width * Width];   // [in, out]: the weights of input i to every output, contiguous
        for (var o = 0; o < Width; o++)
            for (var i = 0; i < Width; i++)
                transposed[i * Width + o] = w[o * Width + i];

        const int TileRows = 4;
        var lanes = Vector<float>.Count;
        var tileColumns = 4 * lanes;
        Parallel.For(0, Rows / TileRows, tile =>
        {
            var row = tile * TileRows;
            for (var o = 0; o < Width; o += tileColumns)
            {
                Vector<float> a00 = default, a01 = default, a02 = default, a03 = default;
                Vector<float> a10 = default, a11 = default, a12 = default, a13 = default;
                Vector<float> a20 = default, a21 = default, a22 = default, a23 = default;
                Vector<float> a30 = default, a31 = default, a32 = default, a33 = default;
                for (var i = 0; i < Width; i++)
                {
                    var weights = transposed.AsSpan(i * Width + o, tileColumns);
                    var w0 = new Vector<float>(weights);
                    var w1 = new Vector<float>(weights[lanes..]);
                    var w2 = new Vector<float>(weights[(2 * lanes)..]);
                    var w3 = new Vector<float>(weights[(3 * lanes)..]);
                    var x0 = new Vector<float>(x[row * Width + i]);
                    var x1 = new Vector<float>(x[(row + 1) * Width + i]);
                    var x2 = new Vector<float>(x[(row + 2) * Width + i]);
                    var x3 = new Vector<float>(x[(row + 3) * Width + i]);
                    a00 += x0 * w0; a01 += x0 * w1; a02 += x0 * w2; a03 += x0 * w3;
                    a10 += x1 * w0; a11 += x1 * w1; a12 += x1 * w2; a13 += x1 * w3;
                    a20 += x2 * w0; a21 += x2 * w1; a22 += x2 * w2; a23 += x2 * w3;
                    a30 += x3 * w0; a31 += x3 * w1; a32 += x3 * w2; a33 += x3 * w3;
                }

                StoreRelu(y.AsSpan(row * Width + o, tileColumns), a00, a01, a02, a03);
                StoreRelu(y.AsSpan((row + 1) * Width + o, tileColumns), a10, a11, a12, a13);
                StoreRelu(y.AsSpan((row + 2) * Width + o, tileColumns), a20, a21, a22, a23);
                StoreRelu(y.AsSpan((row + 3) * Width + o, tileColumns), a30, a31, a32, a33);
            }
        });
    }

    private static void StoreRelu(Span<float> output, Vector<float> a, Vector<float> b, Vector<float> c, Vector<float> d)
    {
        var lanes = Vector<float>.Count;
        Vector.Max(a, Vector<float>.Zero).CopyTo(output);
        Vector.Max(b, Vector<float>.Zero).CopyTo(output[lanes..]);
        Vector.Max(c, Vector<float>.Zero).CopyTo(output[(2 * lanes)..]);
        Vector.Max(d, Vector<float>.Zero).CopyTo(output[(3 * lanes)..]);
    }

    /// <summary>Unbiased variance over every element, like <c>torch.var</c>, accumulated in double.</summary>
    private static double Variance(float[] values)
    {
        var mean = values.Average(v => (double)v);
        return values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
    }
}
