namespace DslNet.EndToEnd.Tests.Models;

// The checkpoint resume test's model: BatchNorm gives it running statistics, Dropout makes every step depend on the
// model's random state (seed and step count), so a resumed run matches only if all of it was restored.
[Network(Inputs = 6, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class ResumeNet
{
    [Dense(16, Bias = false), BatchNorm, Relu, Dropout(0.2)] public partial DenseBlock Hidden { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}
