namespace DslNet.EndToEnd.Tests.Models;

// The architecture of tests/reference/tiny_mlp_training.json:
// Linear(4,8) BatchNorm1d(8) ReLU Linear(8,4) ReLU Linear(4,1); BCEWithLogits.
[Network(Inputs = 4, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class TinyMlp
{
#pragma warning disable DSL0008 // PyTorch's reference keeps the bias in front of BatchNorm; so does this model.
    [Dense(8), BatchNorm, Relu] public partial DenseBlock Hidden { get; }
#pragma warning restore DSL0008
    [Dense(4), Relu] public partial DenseBlock Narrow { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}
