namespace DslNet.Samples.StreamRec;

/// <summary>
/// The chapter 6 baseline of §7.9.1: the same 128 → 256 → 128 → 64 → 1 widths as <see cref="StreamRecMlp"/>, ReLU,
/// with biases, and nothing else: no BatchNorm, no dropout. Build it with <see cref="CreateWithDefaultInit"/>, which
/// gives it PyTorch's default <c>nn.Linear</c> initialization rather than the He initialization <c>Init.Auto</c>
/// would choose.
/// </summary>
[Network(Inputs = 128, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class BaselineMlp
{
    [Dense(256), Relu] public partial DenseBlock Hidden1 { get; }
    [Dense(128), Relu] public partial DenseBlock Hidden2 { get; }
    [Dense(64), Relu] public partial DenseBlock Hidden3 { get; }
    [Dense(1)] public partial DenseBlock Output { get; }

    /// <summary>
    /// A baseline with the initialization of a plain <c>nn.Linear</c> (its <c>reset_parameters</c>): weights
    /// <c>kaiming_uniform_(a=√5)</c>, i.e. U(−1/√fan_in, 1/√fan_in), and biases U(−1/√fan_in, 1/√fan_in).
    /// </summary>
    /// <remarks>
    /// The DSL's attributes have no "PyTorch default" initializer (the generator picks He or Xavier by the
    /// activation, and a gain cannot be named), so the generated weights are refilled here with the runtime's own
    /// <see cref="Initializers.Fill"/>: He uniform with gain 1/√3 has bound 1/√3 · √(3/fan_in) = 1/√fan_in, PyTorch's
    /// bound exactly (Var(w) = 1/(3·fan_in), a third of He's, so activations shrink layer by layer in front of ReLU:
    /// part of why the baseline learns slowly). The random stream is DslNet's, keyed by <paramref name="seed"/>.
    /// </remarks>
    public static BaselineMlp CreateWithDefaultInit(int seed)
    {
        var model = new BaselineMlp(seed);
        var random = new Random(unchecked(seed * 31 + 17));
        foreach (var block in new[] { model.Hidden1, model.Hidden2, model.Hidden3, model.Output })
        {
            Initializers.Fill(block.Weight.Span, block.Units, block.Inputs, Init.HeUniform, gain: 1.0 / Math.Sqrt(3.0), std: 0,
                FanMode.In, random);
            var bound = 1.0 / Math.Sqrt(block.Inputs);
            var bias = block.Bias!.Span;
            for (var i = 0; i < bias.Length; i++)
                bias[i] = (float)((2.0 * random.NextDouble() - 1.0) * bound);
        }

        return model;
    }
}
