namespace DslNet.EndToEnd.Tests.Models;

// Small models for the Trainer, LrFinder and OverfitOneBatch tests: one per loss, and one with BatchNorm and
// dropout (running statistics and step-keyed masks that a tool must restore).

[Network(Inputs = 8, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class TrainerBinaryNet
{
    [Dense(16), Relu] public partial DenseBlock Hidden { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}

[Network(Inputs = 4, Loss = Loss.CrossEntropy)]
public sealed partial class TrainerClassNet
{
    [Dense(16), Relu] public partial DenseBlock Hidden { get; }
    [Dense(3)] public partial DenseBlock Output { get; }
}

[Network(Inputs = 4, Loss = Loss.MeanSquaredError)]
public sealed partial class TrainerRegressionNet
{
    [Dense(16), Tanh] public partial DenseBlock Hidden { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}

[Network(Inputs = 8, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class TrainerBatchNormNet
{
    [Dense(32, Bias = false), BatchNorm, Relu, Dropout(0.1)] public partial DenseBlock Hidden { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}
