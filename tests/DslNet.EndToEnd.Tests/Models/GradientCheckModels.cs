namespace DslNet.EndToEnd.Tests.Models;

// Small networks, one per layer kind and loss, for the finite-difference gradient checks. Widths are odd so no
// kernel gets away with assuming a multiple of the vector width.

[Network(Inputs = 5, Loss = Loss.MeanSquaredError)]
public sealed partial class ReluMseNet
{
    [Dense(7), Relu] public partial DenseBlock Hidden { get; }
    [Dense(3)] public partial DenseBlock Output { get; }
}

[Network(Inputs = 5, Loss = Loss.MeanSquaredError)]
public sealed partial class LeakyReluNet
{
    [Dense(9), LeakyRelu(0.2)] public partial DenseBlock Hidden { get; }
    [Dense(2)] public partial DenseBlock Output { get; }
}

[Network(Inputs = 6, Loss = Loss.MeanSquaredError)]
public sealed partial class GeluNet
{
    [Dense(9), Gelu] public partial DenseBlock Exact { get; }
    [Dense(7), Gelu(Approximate = true)] public partial DenseBlock Approximate { get; }
    [Dense(2)] public partial DenseBlock Output { get; }
}

[Network(Inputs = 4, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class TanhSigmoidNet
{
    [Dense(6), Tanh] public partial DenseBlock First { get; }
    [Dense(5), Sigmoid] public partial DenseBlock Second { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}

[Network(Inputs = 5, Loss = Loss.CrossEntropy)]
public sealed partial class BatchNormNet
{
    [Dense(7, Bias = false), BatchNorm, Tanh] public partial DenseBlock First { get; }
    [Dense(6, Bias = false), BatchNorm(Momentum = 0.2, Eps = 1e-3), Relu] public partial DenseBlock Second { get; }
    [Dense(3)] public partial DenseBlock Output { get; }
}

[Network(Inputs = 5, Loss = Loss.CrossEntropy)]
public sealed partial class LayerNormNet
{
    [Dense(7), LayerNorm, Gelu] public partial DenseBlock First { get; }
    [Dense(4), Tanh] public partial DenseBlock Second { get; }
    [Dense(4)] public partial DenseBlock Output { get; }
}

[Network(Inputs = 5, Loss = Loss.MeanSquaredError)]
public sealed partial class GroupNormNet
{
    [Dense(8), GroupNorm(4), Sigmoid] public partial DenseBlock First { get; }
    [Dense(6), GroupNorm(3), LeakyRelu] public partial DenseBlock Second { get; }
    [Dense(2)] public partial DenseBlock Output { get; }
}

[Network(Inputs = 6, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class DropoutNet
{
    [Dense(9), Tanh, Dropout(0.3)] public partial DenseBlock First { get; }
    [Dense(8, Bias = false), BatchNorm, Relu, Dropout(0.5)] public partial DenseBlock Second { get; }
    [Dense(5), Dropout(0.2)] public partial DenseBlock Third { get; }
    [Dense(2)] public partial DenseBlock Output { get; }
}

/// <summary>The Add op alone: Unit adds its own input (Stem is read twice by one block: as input and as skip).</summary>
[Network(Inputs = 5, Loss = Loss.MeanSquaredError)]
public sealed partial class AddNet
{
    [Dense(6), Tanh] public partial DenseBlock Stem { get; }
    [Dense(6), Tanh, Add(nameof(Stem))] public partial DenseBlock Unit { get; }
    [Dense(2)] public partial DenseBlock Output { get; }
}

/// <summary>A value with two consumers in different blocks: Stem feeds Branch and, two blocks later, Unit's skip;
/// Branch's activation backward stays fused, Stem's gradient accumulates; the last block is residual too.</summary>
[Network(Inputs = 5, Loss = Loss.CrossEntropy)]
public sealed partial class TwoConsumerNet
{
    [Dense(6), Gelu] public partial DenseBlock Stem { get; }
    [Dense(7), LeakyRelu, Dropout(0.2)] public partial DenseBlock Branch { get; }
    [Dense(6), Tanh, Add(nameof(Stem))] public partial DenseBlock Unit { get; }
    [Dense(6), Add(nameof(Unit))] public partial DenseBlock Output { get; }
}

/// <summary>A projection shortcut around a BatchNorm branch, and a LayerNorm unit with an identity skip.</summary>
[Network(Inputs = 4, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class ProjectionNet
{
    [Dense(6), Silu] public partial DenseBlock Stem { get; }
    [Dense(8, Bias = false), BatchNorm, Relu, Add(nameof(Stem), Projection = true)] public partial DenseBlock Wide { get; }
    [Dense(8), LayerNorm, Silu, Add(nameof(Wide))] public partial DenseBlock Unit { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}

// Pre-activation blocks (norm → activation → Dense inside the branch): a norm of the network input (its γ and β get
// gradients though the input has none), each norm before a Dense, identity and projection skips, dropout after the
// Dense, and a value (Stem) read by a normalization and a skip at once.
[Network(Inputs = 5, Loss = Loss.MeanSquaredError)]
public sealed partial class PreActivationNet
{
    [LayerNorm, Dense(6)] public partial DenseBlock Stem { get; }
    [BatchNorm, Relu, Dense(6), Add(nameof(Stem))] public partial DenseBlock Unit { get; }
    [GroupNorm(3), Gelu, Dense(8), Dropout(0.2), Add(nameof(Unit), Projection = true)] public partial DenseBlock Wide { get; }
    [LayerNorm, Tanh, Dense(8, Bias = false), Add(nameof(Wide))] public partial DenseBlock Unit2 { get; }
    [BatchNorm(Momentum = 0.2, Eps = 1e-3), Silu, Dense(2)] public partial DenseBlock Output { get; }
}
