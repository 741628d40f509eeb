namespace DslNet.EndToEnd.Tests.Models;

// No BatchNorm and no dropout: a mean loss over N·B rows is exactly the mean of N micro-batch mean losses, so
// accumulated gradients must match the large batch. LayerNorm is per row, so it belongs here too.
[Network(Inputs = 7, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class AccumulationNet
{
    [Dense(13), LayerNorm, Tanh] public partial DenseBlock Hidden { get; }
    [Dense(5), Relu] public partial DenseBlock Narrow { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}
