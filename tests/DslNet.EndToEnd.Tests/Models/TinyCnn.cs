namespace DslNet.EndToEnd.Tests.Models;

// The architecture of tests/reference/tiny_cnn_training.json (script tests/reference/scripts/tiny_cnn_training.py):
// Conv2d(1,4,3,padding=1,bias=False) BatchNorm2d ReLU MaxPool2d(2), Conv2d(4,8,3,padding=1,bias=False) BatchNorm2d ReLU,
// AdaptiveAvgPool2d(1) Flatten, Linear(8,3); input 1×8×8.
[Network(Channels = 1, Height = 8, Width = 8, Loss = Loss.CrossEntropy)]
public sealed partial class TinyCnn
{
    [Conv2d(4, 3, Padding = 1, Bias = false), BatchNorm2d, Relu, MaxPool2d(2)] public partial DenseBlock Conv1 { get; }
    [Conv2d(8, 3, Padding = 1, Bias = false), BatchNorm2d, Relu] public partial DenseBlock Conv2 { get; }
    [GlobalAvgPool2d] public partial DenseBlock Pool { get; }
    [Dense(3)] public partial DenseBlock Output { get; }
}
