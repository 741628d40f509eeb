namespace DslNet;

/// <summary>
/// Weight initializers with <c>torch.nn.init</c>'s formulas. The generator calls <see cref="Fill"/> once per
/// Dense weight at construction, after it has resolved <see cref="Init.Auto"/> and the gain.
/// </summary>
/// <remarks>
/// The formulas are PyTorch's; the random streams are not (they come from <see cref="Random"/>), so a given
/// seed gives reproducible weights here but not PyTorch's weights.
/// </remarks>
public static partial class Initializers
{
    /// <summary>
    /// Fills a Dense weight of shape [<paramref name="units"/>, <paramref name="inputs"/>] (PyTorch's
    /// <c>Linear.weight</c> layout, so fan_in = inputs and fan_out = units).
    /// </summary>
    /// <param name="gain">Scales Xavier, He and orthogonal weights (see <see cref="Gain"/>); ignored otherwise.</param>
    /// <param name="std">Standard deviation of <see cref="Init.Normal"/>; ignored otherwise.</param>
    /// <param name="fan">Which fan He initialization preserves; ignored otherwise.</param>
    public static void Fill(Span<float> weight, int units, int inputs, Init init, double gain, double std, FanMode fan, Random random) =>
        Fill(weight, units, inputs, receptiveField: 1, init, gain, std, fan, random);

    /// <summary>
    /// Fills a Conv2d weight [<paramref name="units"/> = C_out, <paramref name="inputs"/> = C_in/groups, kH, kW] with
    /// <paramref name="receptiveField"/> = kH·kW: fan_in = C_in/groups·kH·kW and fan_out = C_out·kH·kW, as
    /// <c>torch.nn.init._calculate_fan_in_and_fan_out</c> computes them. A Dense weight is the case kH·kW = 1.
    /// </summary>
    public static void Fill(Span<float> weight, int units, int inputs, int receptiveField, Init init, double gain, double std, FanMode fan,
        Random random)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(receptiveField);
        inputs = checked(inputs * receptiveField);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(units);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentNullException.ThrowIfNull(random);
        if (weight.Length != (long)units * inputs)
            throw new ArgumentException($"A [{units}, {inputs}] weight holds {(long)units * inputs} values; the span has {weight.Length}.", nameof(weight));

        double fanIn = inputs, fanOut = (double)units * receptiveField;
        switch (init)
        {
            case Init.Auto:
                throw new ArgumentException("Init.Auto must be resolved (He or Xavier, by the block's activation) before filling a weight.", nameof(init));
            case Init.XavierUniform:
                FillUniform(weight, gain * Math.Sqrt(6.0 / (fanIn + fanOut)), random);
                break;
            case Init.XavierNormal:
                FillNormal(weight, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), random);
                break;
            case Init.HeNormal:
                FillNormal(weight, gain / Math.Sqrt(fan == FanMode.In ? fanIn : fanOut), random);
                break;
            case Init.HeUniform:
                FillUniform(weight, gain * Math.Sqrt(3.0 / (fan == FanMode.In ? fanIn : fanOut)), random);
                break;
            case Init.Normal:
                ArgumentOutOfRangeException.ThrowIfNegative(std);
                FillNormal(weight, std, random);
                break;
            case Init.Zeros:
                weight.Clear();
                break;
            case Init.Orthogonal:
                OrthogonalInitializer.Fill(weight, units, inputs, gain, random);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(init), init, "Unknown initializer.");
        }
    }

    /// <summary>U(-bound, bound), like <c>torch.nn.init.uniform_(w, -bound, bound)</c>.</summary>
    private static void FillUniform(Span<float> weight, double bound, Random random)
    {
        for (var i = 0; i < weight.Length; i++)
            weight[i] = (float)((2.0 * random.NextDouble() - 1.0) * bound);
    }

    /// <summary>N(0, std²), like <c>torch.nn.init.normal_(w, 0, std)</c>.</summary>
    private static void FillNormal(Span<float> weight, double std, Random random)
    {
        var gaussian = new GaussianSampler(random);
        for (var i = 0; i < weight.Length; i++)
            weight[i] = (float)(std * gaussian.Next());
    }
}
