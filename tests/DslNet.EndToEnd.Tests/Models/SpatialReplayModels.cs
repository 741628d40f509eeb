namespace DslNet.EndToEnd.Tests.Models;

/// <summary>tiny_cnn_training.json's network: Conv2d(1,4,3,p=1,bias=False) BN ReLU MaxPool2d(2), Conv2d(4,8,3,p=1,bias=False)
/// BN ReLU AdaptiveAvgPool2d(1) Flatten, Linear(8,3); input 1×8×8.</summary>
[Network(Channels = 1, Height = 8, Width = 8, Loss = Loss.CrossEntropy)]
public sealed partial class ReplayTinyCnn
{
    [Conv2d(4, 3, Padding = 1, Bias = false), BatchNorm2d, Relu, MaxPool2d(2)] public partial DenseBlock Features1 { get; }
    [Conv2d(8, 3, Padding = 1, Bias = false), BatchNorm2d, Relu, GlobalAvgPool2d] public partial DenseBlock Features2 { get; }
    [Dense(3)] public partial DenseBlock Classifier { get; }
}

/// <summary>tiny_resnet_training.json's network: a stem and two torchvision BasicBlocks (the second with stride 2 and the
/// 1×1 Conv2d + BN shortcut), global pooling and Linear(6,3).</summary>
[Network(Channels = 1, Height = 8, Width = 8, Loss = Loss.CrossEntropy)]
public sealed partial class ReplayTinyResNet
{
    [Conv2d(4, 3, Padding = 1, Bias = false), BatchNorm2d, Relu] public partial DenseBlock Stem { get; }
    [Conv2d(4, 3, Padding = 1, Bias = false), BatchNorm2d, Relu] public partial DenseBlock Unit1Conv1 { get; }
    [Conv2d(4, 3, Padding = 1, Bias = false), BatchNorm2d, Add(nameof(Stem)), Relu] public partial DenseBlock Unit1Conv2 { get; }
    [Conv2d(6, 3, Stride = 2, Padding = 1, Bias = false), BatchNorm2d, Relu] public partial DenseBlock Unit2Conv1 { get; }
    [Conv2d(6, 3, Padding = 1, Bias = false), BatchNorm2d, Add(nameof(Unit1Conv2), Projection = true), Relu] public partial DenseBlock Unit2Conv2 { get; }
    [GlobalAvgPool2d, Dense(3)] public partial DenseBlock Head { get; }
}
