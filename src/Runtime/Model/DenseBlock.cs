namespace DslNet;

/// <summary>
/// One block of a network: a Dense (or Conv2d) layer and its optional normalization, with views of its parameters,
/// gradients and running statistics. Absent pieces are <c>null</c>; a block without weights (pooling, Flatten) has an
/// empty <see cref="Weight"/>. For a Conv2d block <see cref="Inputs"/> and <see cref="Units"/> count channels.
/// </summary>
public sealed class DenseBlock
{
    public DenseBlock(string name, int inputs, int units, ParameterBuffer parameters, TensorBuffer runningStatistics)
    {
        Name = name;
        Inputs = inputs;
        Units = units;
        Weight = Find(parameters, name + ".Weight") ?? Empty(parameters, name + ".Weight");
        WeightGradient = Find(parameters.Gradients, name + ".Weight") ?? Empty(parameters.Gradients, name + ".Weight");
        Bias = Find(parameters, name + ".Bias");
        BiasGradient = Find(parameters.Gradients, name + ".Bias");
        Gamma = Find(parameters, name + ".Gamma");
        GammaGradient = Find(parameters.Gradients, name + ".Gamma");
        Beta = Find(parameters, name + ".Beta");
        BetaGradient = Find(parameters.Gradients, name + ".Beta");
        RunningMean = Find(runningStatistics, name + ".RunningMean");
        RunningVariance = Find(runningStatistics, name + ".RunningVariance");
    }

    public string Name { get; }
    public int Inputs { get; }
    public int Units { get; }

    /// <summary>[Units, Inputs], PyTorch's <c>Linear.weight</c> layout; [C_out, C_in/groups, kH, kW] for a Conv2d.</summary>
    public TensorView Weight { get; }
    public TensorView WeightGradient { get; }
    public TensorView? Bias { get; }
    public TensorView? BiasGradient { get; }

    /// <summary>The normalization's scale (PyTorch's <c>weight</c>).</summary>
    public TensorView? Gamma { get; }
    public TensorView? GammaGradient { get; }

    /// <summary>The normalization's shift (PyTorch's <c>bias</c>).</summary>
    public TensorView? Beta { get; }
    public TensorView? BetaGradient { get; }

    public TensorView? RunningMean { get; }
    public TensorView? RunningVariance { get; }

    public override string ToString() => $"{Name}: Dense({Inputs} → {Units})";

    private static TensorView Empty(TensorBuffer buffer, string name) => new(buffer, new TensorSlot(name, ParameterKind.Weight, 0, new[] { 0 }));

    private static TensorView? Find(TensorBuffer buffer, string name) =>
        buffer.TryGetView(name, out var view) ? view : null;
}
