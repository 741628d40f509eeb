namespace DslNet.EndToEnd.Tests.Models;

// The models of the debugging-playbook corpus (PlaybookCorpusTests): the Fashion-MNIST MLP
// (784-256-128-10, BatchNorm, ReLU, dropout 0.2) and its deliberately broken variants, and a StreamRec-sized MLP.

[Network(Inputs = 784, Loss = Loss.CrossEntropy)]
public sealed partial class FashionMlp
{
    [Dense(256, Bias = false), BatchNorm, Relu, Dropout(0.2)] public partial DenseBlock Hidden1 { get; }
    [Dense(128, Bias = false), BatchNorm, Relu, Dropout(0.2)] public partial DenseBlock Hidden2 { get; }
    [Dense(10)] public partial DenseBlock Output { get; }
}

/// <summary>No normalization, no dropout: nothing holds it back on a tiny data set.</summary>
[Network(Inputs = 784, Loss = Loss.CrossEntropy)]
public sealed partial class FashionPlainMlp
{
    [Dense(256), Relu] public partial DenseBlock Hidden1 { get; }
    [Dense(128), Relu] public partial DenseBlock Hidden2 { get; }
    [Dense(10)] public partial DenseBlock Output { get; }
}

/// <summary>Dropout 0.8: far too much regularization.</summary>
[Network(Inputs = 784, Loss = Loss.CrossEntropy)]
public sealed partial class FashionHeavyDropoutMlp
{
    [Dense(256, Bias = false), BatchNorm, Relu, Dropout(0.8)] public partial DenseBlock Hidden1 { get; }
    [Dense(128, Bias = false), BatchNorm, Relu, Dropout(0.8)] public partial DenseBlock Hidden2 { get; }
    [Dense(10)] public partial DenseBlock Output { get; }
}

/// <summary>A deep stack of sigmoid layers without normalization.</summary>
[Network(Inputs = 784, Loss = Loss.CrossEntropy)]
public sealed partial class FashionDeepSigmoid
{
    [Dense(64), Sigmoid] public partial DenseBlock Layer1 { get; }
    [Dense(64), Sigmoid] public partial DenseBlock Layer2 { get; }
    [Dense(64), Sigmoid] public partial DenseBlock Layer3 { get; }
    [Dense(64), Sigmoid] public partial DenseBlock Layer4 { get; }
    [Dense(64), Sigmoid] public partial DenseBlock Layer5 { get; }
    [Dense(64), Sigmoid] public partial DenseBlock Layer6 { get; }
    [Dense(64), Sigmoid] public partial DenseBlock Layer7 { get; }
    [Dense(64), Sigmoid] public partial DenseBlock Layer8 { get; }
    [Dense(10)] public partial DenseBlock Output { get; }
}

/// <summary>Weights drawn from N(0, 1): a hundred times He's scale at 784 inputs.</summary>
[Network(Inputs = 784, Loss = Loss.CrossEntropy)]
public sealed partial class FashionBadInitMlp
{
    [Dense(256, Init = Init.Normal, InitStd = 1.0), Relu] public partial DenseBlock Hidden1 { get; }
    [Dense(128, Init = Init.Normal, InitStd = 1.0), Relu] public partial DenseBlock Hidden2 { get; }
    [Dense(10, Init = Init.Normal, InitStd = 1.0)] public partial DenseBlock Output { get; }
}

/// <summary>The MLP with a regression head: mean squared error on class indices.</summary>
[Network(Inputs = 784, Loss = Loss.MeanSquaredError)]
public sealed partial class FashionMseMlp
{
    [Dense(256, Bias = false), BatchNorm, Relu, Dropout(0.2)] public partial DenseBlock Hidden1 { get; }
    [Dense(128, Bias = false), BatchNorm, Relu, Dropout(0.2)] public partial DenseBlock Hidden2 { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}

/// <summary>784 pixels and the label leaked into 10 more features (one-hot).</summary>
[Network(Inputs = 794, Loss = Loss.CrossEntropy)]
public sealed partial class FashionLeakMlp
{
    [Dense(256, Bias = false), BatchNorm, Relu, Dropout(0.2)] public partial DenseBlock Hidden1 { get; }
    [Dense(128, Bias = false), BatchNorm, Relu, Dropout(0.2)] public partial DenseBlock Hidden2 { get; }
    [Dense(10)] public partial DenseBlock Output { get; }
}

/// <summary>The StreamRec recipe's MLP (128 → 256 → 128 → 64 → 1, BatchNorm, ReLU, dropout 0.3).</summary>
[Network(Inputs = 128, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class PlaybookStreamRecMlp
{
    [Dense(256, Bias = false), BatchNorm, Relu, Dropout(0.3)] public partial DenseBlock Hidden1 { get; }
    [Dense(128, Bias = false), BatchNorm, Relu, Dropout(0.3)] public partial DenseBlock Hidden2 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu, Dropout(0.3)] public partial DenseBlock Hidden3 { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}

/// <summary>The chapter's StreamRec baseline: ReLU and biases, no normalization, no dropout.</summary>
[Network(Inputs = 128, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class PlaybookStreamRecPlain
{
    [Dense(256), Relu] public partial DenseBlock Hidden1 { get; }
    [Dense(128), Relu] public partial DenseBlock Hidden2 { get; }
    [Dense(64), Relu] public partial DenseBlock Hidden3 { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}

/// <summary>StreamRec with a regression head: mean squared error on 0/1 click labels.</summary>
[Network(Inputs = 128, Loss = Loss.MeanSquaredError)]
public sealed partial class PlaybookStreamRecMse
{
    [Dense(256, Bias = false), BatchNorm, Relu, Dropout(0.3)] public partial DenseBlock Hidden1 { get; }
    [Dense(128, Bias = false), BatchNorm, Relu, Dropout(0.3)] public partial DenseBlock Hidden2 { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}
