namespace DslNet.Runtime.Tests;

public sealed class InitializerTests
{
    private const int Size = 512;

    [Theory]
    [InlineData(Init.XavierUniform, 1.0, 2.0 / (Size + Size))]
    [InlineData(Init.XavierNormal, 1.0, 2.0 / (Size + Size))]
    [InlineData(Init.HeNormal, 1.4142135623730951, 2.0 / Size)]
    [InlineData(Init.HeUniform, 1.4142135623730951, 2.0 / Size)]
    public void Variance_matches_the_formula_within_ten_percent(Init init, double gain, double expectedVariance)
    {
        var weight = new float[Size * Size];
        Initializers.Fill(weight, Size, Size, init, gain, std: 0, FanMode.In, new Random(1));
        AssertMoments(weight, expectedVariance);
    }

    [Fact]
    public void Normal_uses_the_given_standard_deviation()
    {
        var weight = new float[Size * Size];
        Initializers.Fill(weight, Size, Size, Init.Normal, gain: 123, std: 0.05, FanMode.In, new Random(2));
        AssertMoments(weight, 0.05 * 0.05);
    }

    [Theory]
    [InlineData(FanMode.In, 1024)]
    [InlineData(FanMode.Out, 256)]
    public void He_uses_the_chosen_fan(FanMode fan, int fanSize)
    {
        // [units = 256, inputs = 1024]: fan_in = 1024, fan_out = 256.
        var weight = new float[256 * 1024];
        Initializers.Fill(weight, units: 256, inputs: 1024, Init.HeNormal, Math.Sqrt(2), std: 0, fan, new Random(3));
        AssertMoments(weight, 2.0 / fanSize);
        Initializers.Fill(weight, units: 256, inputs: 1024, Init.HeUniform, Math.Sqrt(2), std: 0, fan, new Random(3));
        AssertMoments(weight, 2.0 / fanSize);
        Assert.True(weight.Max() <= Math.Sqrt(6.0 / fanSize));
    }

    [Fact]
    public void Xavier_uniform_stays_within_its_bound()
    {
        var weight = new float[64 * 32];
        Initializers.Fill(weight, 64, 32, Init.XavierUniform, gain: 1, std: 0, FanMode.In, new Random(4));
        var bound = Math.Sqrt(6.0 / (64 + 32));
        Assert.All(weight, w => Assert.InRange(w, -bound, bound));
    }

    [Fact]
    public void Orthogonal_square_weight_has_orthonormal_columns_and_rows()
    {
        // One 512×512 draw for every check: the QR is the slowest initializer (O(n³)).
        var weight = new float[Size * Size];
        Initializers.Fill(weight, Size, Size, Init.Orthogonal, gain: 1, std: 0, FanMode.In, new Random(5));
        AssertMoments(weight, 1.0 / Size);   // every row has unit norm
        Assert.True(MaxDeviationFromIdentity(weight, Size, Size, columns: true) < 1e-5);
        Assert.True(MaxDeviationFromIdentity(weight, Size, Size, columns: false) < 1e-5);
    }

    [Fact]
    public void Orthogonal_is_scaled_by_the_gain()
    {
        var weight = new float[128 * 128];
        Initializers.Fill(weight, 128, 128, Init.Orthogonal, gain: 2, std: 0, FanMode.In, new Random(5));
        AssertMoments(weight, 4.0 / 128);
    }

    [Theory]
    [InlineData(64, 128, false)]   // wide: orthonormal rows, W·Wᵀ = I
    [InlineData(128, 64, true)]    // tall: orthonormal columns, Wᵀ·W = I
    public void Orthogonal_rectangular_weight_is_orthonormal_along_its_short_side(int units, int inputs, bool columns)
    {
        var weight = new float[units * inputs];
        Initializers.Fill(weight, units, inputs, Init.Orthogonal, gain: 3, std: 0, FanMode.In, new Random(6));
        for (var i = 0; i < weight.Length; i++) weight[i] /= 3;
        Assert.True(MaxDeviationFromIdentity(weight, units, inputs, columns) < 1e-5);
    }

    [Fact]
    public void Zeros_clears_the_weight()
    {
        var weight = Enumerable.Repeat(1f, 12).ToArray();
        Initializers.Fill(weight, 3, 4, Init.Zeros, 1, 0, FanMode.In, new Random(7));
        Assert.All(weight, w => Assert.Equal(0f, w));
    }

    [Theory]
    [InlineData(Init.XavierUniform)]
    [InlineData(Init.HeNormal)]
    [InlineData(Init.Orthogonal)]
    public void Same_seed_gives_the_same_weights_and_another_seed_other_weights(Init init)
    {
        float[] Draw(int seed)
        {
            var weight = new float[16 * 8];
            Initializers.Fill(weight, 16, 8, init, 1, 0, FanMode.In, new Random(seed));
            return weight;
        }

        Assert.Equal(Draw(42), Draw(42));
        Assert.NotEqual(Draw(42), Draw(43));
    }

    [Fact]
    public void Auto_must_be_resolved_by_the_generator()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Initializers.Fill(new float[4], 2, 2, Init.Auto, 1, 0, FanMode.In, new Random(0)));
        Assert.Contains("Init.Auto", error.Message);
    }

    [Fact]
    public void Rejects_a_span_of_the_wrong_length()
    {
        Assert.Throws<ArgumentException>(() =>
            Initializers.Fill(new float[5], 2, 2, Init.HeNormal, 1, 0, FanMode.In, new Random(0)));
    }

    [Theory]
    [InlineData("linear", 1.0)]
    [InlineData("identity", 1.0)]
    [InlineData("sigmoid", 1.0)]
    [InlineData("tanh", 5.0 / 3.0)]
    [InlineData("relu", 1.4142135623730951)]
    [InlineData("gelu", 1.4142135623730951)]
    [InlineData("selu", 0.75)]
    [InlineData("leaky_relu", 1.4141428569978354)]   // √(2 / (1 + 0.01²)), PyTorch's default slope
    public void Gain_matches_calculate_gain(string nonlinearity, double expected) =>
        Assert.Equal(expected, Initializers.Gain(nonlinearity), 15);

    [Fact]
    public void Gain_of_leaky_relu_uses_the_slope_and_unknown_names_throw()
    {
        Assert.Equal(Math.Sqrt(2.0 / 1.04), Initializers.Gain("leaky_relu", 0.2), 15);
        Assert.Throws<ArgumentException>(() => Initializers.Gain("swish"));
    }

    private static void AssertMoments(float[] weight, double expectedVariance)
    {
        var mean = weight.Average(w => (double)w);
        var variance = weight.Sum(w => (w - mean) * (w - mean)) / (weight.Length - 1);
        Assert.InRange(variance, 0.9 * expectedVariance, 1.1 * expectedVariance);
        Assert.InRange(mean, -0.05 * Math.Sqrt(expectedVariance), 0.05 * Math.Sqrt(expectedVariance));
    }

    /// <summary>max |(WᵀW − I)| over the columns (or |(WWᵀ − I)| over the rows) of a row-major [rows, cols] W.</summary>
    private static double MaxDeviationFromIdentity(float[] w, int rows, int cols, bool columns)
    {
        var n = columns ? cols : rows;
        var length = columns ? rows : cols;
        var vectors = new double[n][];
        for (var v = 0; v < n; v++)
        {
            vectors[v] = new double[length];
            for (var k = 0; k < length; k++)
                vectors[v][k] = columns ? w[k * cols + v] : w[v * cols + k];
        }

        var worst = 0.0;
        for (var a = 0; a < n; a++)
            for (var b = a; b < n; b++)
            {
                var sum = System.Numerics.Vector<double>.Zero;
                var lanes = System.Numerics.Vector<double>.Count;
                var k = 0;
                for (; k <= length - lanes; k += lanes)
                    sum += new System.Numerics.Vector<double>(vectors[a], k) * new System.Numerics.Vector<double>(vectors[b], k);
                var dot = System.Numerics.Vector.Sum(sum);
                for (; k < length; k++) dot += vectors[a][k] * vectors[b][k];
                worst = Math.Max(worst, Math.Abs(dot - (a == b ? 1.0 : 0.0)));
            }

        return worst;
    }
}
