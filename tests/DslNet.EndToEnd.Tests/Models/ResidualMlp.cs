namespace DslNet.EndToEnd.Tests.Models;

// The architecture of tests/reference/residual_mlp_training.json (script tests/reference/scripts/residual_mlp.py):
// identity skips around one block (Unit1) and around two blocks (Unit3), a projection skip (Down), BatchNorm in each branch.
[Network(Inputs = 6, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class ResidualMlp
{
    [Dense(8), Relu] public partial DenseBlock Stem { get; }
    [Dense(8, Bias = false), BatchNorm, Relu, Add(nameof(Stem))] public partial DenseBlock Unit1 { get; }
    [Dense(5, Bias = false), BatchNorm, Relu, Add(nameof(Unit1), Projection = true)] public partial DenseBlock Down { get; }
    [Dense(5), Tanh] public partial DenseBlock Mid { get; }
    [Dense(5, Bias = false), BatchNorm, Relu, Add(nameof(Down))] public partial DenseBlock Unit3 { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}
