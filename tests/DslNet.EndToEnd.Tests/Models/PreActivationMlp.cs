namespace DslNet.EndToEnd.Tests.Models;

// The architecture of tests/reference/preactivation_mlp_training.json (script tests/reference/scripts/preactivation_mlp.py):
// pre-activation blocks (norm → activation → Dense inside the branch) with BatchNorm, LayerNorm and GroupNorm, identity
// skips (Unit1, Unit3), a projection skip (Down) and a pre-activation head (Output).
[Network(Inputs = 6, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class PreActivationMlp
{
    [Dense(8)] public partial DenseBlock Stem { get; }
    [BatchNorm, Relu, Dense(8), Add(nameof(Stem))] public partial DenseBlock Unit1 { get; }
    [LayerNorm, Gelu, Dense(6), Add(nameof(Unit1), Projection = true)] public partial DenseBlock Down { get; }
    [GroupNorm(2), Tanh, Dense(6, Bias = false), Add(nameof(Down))] public partial DenseBlock Unit3 { get; }
    [BatchNorm, Relu, Dense(1)] public partial DenseBlock Output { get; }
}
