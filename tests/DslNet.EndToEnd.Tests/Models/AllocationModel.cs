namespace DslNet.EndToEnd.Tests.Models;

// StreamRec's shape of block (Dense, BatchNorm, ReLU, Dropout), at widths that exercise the threaded GEMM paths.
[Network(Inputs = 128, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class AllocationMlp
{
    [Dense(256, Bias = false), BatchNorm, Relu, Dropout(0.3)] public partial DenseBlock Hidden1 { get; }
    [Dense(64), LayerNorm, Gelu, Dropout(0.3)] public partial DenseBlock Hidden2 { get; }
    [Dense(32), Tanh] public partial DenseBlock Hidden3 { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}
