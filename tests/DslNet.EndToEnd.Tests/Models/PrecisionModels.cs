namespace DslNet.EndToEnd.Tests.Models;

// Every kind of value the CPU path stores at reduced precision: a GEMM output read by BatchNorm and LayerNorm, the
// normalized x̂ kept for backward, activations behind dropout, and gradients through the normalization backward, the
// fused activation backward and the plain input-gradient GEMM.
[Network(Inputs = 8, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class PrecisionMlp
{
    [Dense(32, Bias = false), BatchNorm, Relu, Dropout(0.1)] public partial DenseBlock Hidden1 { get; }
    [Dense(16), LayerNorm, Gelu] public partial DenseBlock Hidden2 { get; }
    [Dense(8), Tanh] public partial DenseBlock Hidden3 { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}

// A regression head over a fixed tanh feature map: the fp16 underflow test drives it with targets of order 1e-6.
[Network(Inputs = 8, Loss = Loss.MeanSquaredError)]
public sealed partial class TinyTargetRegressor
{
    [Dense(16), Tanh] public partial DenseBlock Hidden { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}
