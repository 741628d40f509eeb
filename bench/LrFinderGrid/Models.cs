namespace DslNet.Bench.LrFinderGrid;

/// <summary>Issue 16's Fashion-MNIST MLP: 784-256-128-10, BatchNorm, ReLU, dropout 0.2.</summary>
[Network(Inputs = 784, Loss = Loss.CrossEntropy)]
public sealed partial class FashionMlp
{
    [Dense(256, Bias = false), BatchNorm, Relu, Dropout(0.2)] public partial DenseBlock Hidden1 { get; }
    [Dense(128, Bias = false), BatchNorm, Relu, Dropout(0.2)] public partial DenseBlock Hidden2 { get; }
    [Dense(10)] public partial DenseBlock Output { get; }
}

/// <summary>The StreamRec recipe's MLP (as samples/StreamRec).</summary>
[Network(Inputs = 128, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class StreamRecNet
{
    [Dense(256, Bias = false), BatchNorm, Relu, Dropout(0.3)] public partial DenseBlock Hidden1 { get; }
    [Dense(128, Bias = false), BatchNorm, Relu, Dropout(0.3)] public partial DenseBlock Hidden2 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu, Dropout(0.3)] public partial DenseBlock Hidden3 { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}
