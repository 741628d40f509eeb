namespace DslNet.Samples.StreamRec;

/// <summary>
/// The StreamRec click-prediction MLP: 128 → 256 → 128 → 64 → 1 with BatchNorm, ReLU and dropout 0.3 in each
/// hidden block, trained on one logit per row with binary cross-entropy. <c>Init.Auto</c> gives the ReLU blocks He
/// initialization.
/// </summary>
/// <remarks>
/// The hidden layers have no bias: the BatchNorm right after each one subtracts the batch mean, which cancels any
/// bias exactly (its gradient is zero and it never trains), so the bias would only cost parameters and time
/// (DSL0008). PyTorch's textbook model keeps those biases; the PyTorch comparison in bench/ uses
/// <c>nn.Linear(..., bias=False)</c> in front of each BatchNorm so both sides train the same function.
/// </remarks>
[Network(Inputs = 128, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class StreamRecMlp
{
    [Dense(256, Bias = false), BatchNorm, Relu, Dropout(0.3)] public partial DenseBlock Hidden1 { get; }
    [Dense(128, Bias = false), BatchNorm, Relu, Dropout(0.3)] public partial DenseBlock Hidden2 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu, Dropout(0.3)] public partial DenseBlock Hidden3 { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}
