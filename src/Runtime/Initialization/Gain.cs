namespace DslNet;

public static partial class Initializers
{
    /// <summary>
    /// The recommended gain for a nonlinearity, like <c>torch.nn.init.calculate_gain</c>: linear, identity,
    /// convolutions and sigmoid 1; tanh 5/3; relu √2; leaky_relu √(2 / (1 + slope²)) with
    /// <paramref name="param"/> as the slope; selu 3/4.
    /// </summary>
    /// <remarks>
    /// Deliberate differences from PyTorch: names match case-insensitively, "identity" is accepted as a synonym
    /// of "linear", and "gelu" (which PyTorch rejects) gets √2, because GELU behaves like ReLU for the variance
    /// argument away from zero: it passes positive inputs and (almost) zeroes negative ones.
    /// </remarks>
    public static double Gain(string nonlinearity, double param = 0.01)
    {
        ArgumentNullException.ThrowIfNull(nonlinearity);
        switch (nonlinearity.ToLowerInvariant())
        {
            case "linear" or "identity" or "sigmoid"
                or "conv1d" or "conv2d" or "conv3d"
                or "conv_transpose1d" or "conv_transpose2d" or "conv_transpose3d":
                return 1.0;
            case "tanh":
                return 5.0 / 3.0;
            case "relu" or "gelu":
                return Math.Sqrt(2.0);
            case "leaky_relu":
                return Math.Sqrt(2.0 / (1.0 + param * param));
            case "selu":
                return 3.0 / 4.0;
            default:
                throw new ArgumentException($"Unsupported nonlinearity '{nonlinearity}'.", nameof(nonlinearity));
        }
    }
}
