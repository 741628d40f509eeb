namespace DslNet.EndToEnd.Tests.Models;

// Small image models for the finite-difference checks: every spatial step kind, with and without residual adds.

/// <summary>Conv2d + BatchNorm2d + ReLU, MaxPool, an identity Add before the ReLU (BasicBlock), global pooling, Dense.</summary>
[Network(Channels = 2, Height = 6, Width = 6, Loss = Loss.CrossEntropy)]
public sealed partial class SpatialResidualNet
{
    [Conv2d(4, 3, Padding = 1, Bias = false), BatchNorm2d, Relu, MaxPool2d(2)] public partial DenseBlock Stem { get; }
    [Conv2d(4, 3, Padding = 1, Bias = false), BatchNorm2d, Relu] public partial DenseBlock Branch { get; }
    [Conv2d(4, 3, Padding = 1, Bias = false), BatchNorm2d, Add(nameof(Stem)), Relu] public partial DenseBlock Unit { get; }
    [GlobalAvgPool2d, Dense(3)] public partial DenseBlock Head { get; }
}

/// <summary>A stride-2 BasicBlock with torchvision's projection shortcut (1×1 Conv2d + BatchNorm2d), then Flatten.</summary>
[Network(Channels = 1, Height = 8, Width = 8, Loss = Loss.CrossEntropy)]
public sealed partial class SpatialProjectionNet
{
    [Conv2d(3, 3, Padding = 1, Bias = false), BatchNorm2d, Relu] public partial DenseBlock Stem { get; }
    [Conv2d(4, 3, Stride = 2, Padding = 1, Bias = false), BatchNorm2d, Relu] public partial DenseBlock Down { get; }
    [Conv2d(4, 3, Padding = 1, Bias = false), BatchNorm2d, Add(nameof(Stem), Projection = true), Relu] public partial DenseBlock Unit { get; }
    [Flatten, Dense(3)] public partial DenseBlock Head { get; }
}

/// <summary>
/// The activation the plan runs in an Add's step: GELU (its backward reads the stored sum) and LeakyReLU (read off the
/// output), a ReLU with dropout after a plain Add, and every gradient mode: Stem is the skip of two Adds (the later one's
/// backward writes, the earlier one's adds) and Smooth's output is both an Add's input and another's skip.
/// </summary>
[Network(Channels = 2, Height = 5, Width = 5, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialAddActivationNet
{
    [Conv2d(3, 3, Padding = 1)] public partial DenseBlock Stem { get; }
    [Conv2d(3, 3, Padding = 1), Add(nameof(Stem)), Gelu] public partial DenseBlock Smooth { get; }
    [Add(nameof(Stem)), LeakyRelu(0.1)] public partial DenseBlock Leaky { get; }
    [Conv2d(3, 3, Padding = 1), Add(nameof(Smooth)), Relu, Dropout(0.2)] public partial DenseBlock Dropped { get; }
    [GlobalAvgPool2d, Dense(2)] public partial DenseBlock Head { get; }
}

/// <summary>InstanceNorm2d, grouped and dilated depthwise convolutions with GroupNorm and LayerNorm over [C, H, W], the
/// pre-activation form, AvgPool2d and a Dense tail; MSE.</summary>
[Network(Channels = 2, Height = 6, Width = 6, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialNormsNet
{
    [Conv2d(4, 3, Padding = 1), InstanceNorm2d(Affine = true), Relu] public partial DenseBlock Instance { get; }
    [Conv2d(4, 3, Padding = 1, Groups = 2), GroupNorm(2), Gelu] public partial DenseBlock Grouped { get; }
    [Conv2d(4, 3, Padding = 2, Dilation = 2, Groups = 4), LayerNorm, Tanh] public partial DenseBlock Depthwise { get; }
    [BatchNorm2d, Relu, Conv2d(4, 1)] public partial DenseBlock PreActivation { get; }
    [InstanceNorm2d, AvgPool2d(3), Flatten, Dense(5), Silu] public partial DenseBlock Pooled { get; }
    [Dense(2)] public partial DenseBlock Output { get; }
}

/// <summary>Dropout2d after a grouped convolution with GroupNorm, and elementwise Dropout in the Dense tail.</summary>
[Network(Channels = 2, Height = 6, Width = 6, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialDropoutNet
{
    [Conv2d(4, 3, Padding = 1, Groups = 2), GroupNorm(2), Gelu, Dropout2d(0.25)] public partial DenseBlock Grouped { get; }
    [Flatten, Dense(5), Silu, Dropout(0.2)] public partial DenseBlock Hidden { get; }
    [Dense(2)] public partial DenseBlock Output { get; }
}
