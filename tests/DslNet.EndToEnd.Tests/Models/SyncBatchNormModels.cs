namespace DslNet.EndToEnd.Tests.Models;

/// <summary>SyncBatchNorm in a residual network with dropout: alone, it must be exactly <see cref="PlainBatchNormNet"/>.</summary>
[Network(Inputs = 6, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class SyncBatchNormNet
{
    [Dense(40, Bias = false), BatchNorm(Sync = true), Relu, Dropout(0.2)] public partial DenseBlock Hidden { get; }
    [Dense(40, Bias = false), BatchNorm(Sync = true, Momentum = 0.2), Gelu, Add(nameof(Hidden))] public partial DenseBlock Unit { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}

/// <summary><see cref="SyncBatchNormNet"/> with plain BatchNorm.</summary>
[Network(Inputs = 6, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class PlainBatchNormNet
{
    [Dense(40, Bias = false), BatchNorm, Relu, Dropout(0.2)] public partial DenseBlock Hidden { get; }
    [Dense(40, Bias = false), BatchNorm(Momentum = 0.2), Gelu, Add(nameof(Hidden))] public partial DenseBlock Unit { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}
