namespace DslNet.Distributed.Worker;

/// <summary>No BatchNorm, no dropout: n ranks × batch B must equal 1 rank × batch nB up to rounding.</summary>
[Network(Inputs = 8, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class PlainNet
{
    [Dense(16), Relu] public partial DenseBlock Hidden { get; }
    [Dense(8), Tanh] public partial DenseBlock Hidden2 { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}

/// <summary>BatchNorm (running statistics) and dropout (masks keyed by seed and step): every piece of state a resume must carry.</summary>
[Network(Inputs = 8, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class NormNet
{
    [Dense(32, Bias = false), BatchNorm, Relu, Dropout(0.1)] public partial DenseBlock Hidden { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}

/// <summary>SyncBatchNorm in both hidden blocks: over n ranks × batch B it must equal <see cref="LocalNormNet"/> over batch nB.</summary>
[Network(Inputs = 8, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class SyncNormNet
{
    [Dense(16, Bias = false), BatchNorm(Sync = true), Relu] public partial DenseBlock Hidden { get; }
    [Dense(8, Bias = false), BatchNorm(Sync = true, Momentum = 0.3), Tanh] public partial DenseBlock Hidden2 { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}

/// <summary><see cref="SyncNormNet"/> with plain BatchNorm: the one-process reference over the combined batch.</summary>
[Network(Inputs = 8, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class LocalNormNet
{
    [Dense(16, Bias = false), BatchNorm, Relu] public partial DenseBlock Hidden { get; }
    [Dense(8, Bias = false), BatchNorm(Momentum = 0.3), Tanh] public partial DenseBlock Hidden2 { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}
