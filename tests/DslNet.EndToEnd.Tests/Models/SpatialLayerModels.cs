namespace DslNet.EndToEnd.Tests.Models;

// One model per case of tests/reference/spatial_layers.json (see SpatialLayerTests): an embedding convolution that
// turns a batch of two one-pixel images into the case's [2, C, 6, 5] input (its 12 × 12 kernel holds both images), the
// layer under test, and a Flatten where the layer's output is still an image. The embedding's weight gradient is the
// layer's input gradient, which the generated surface does not expose otherwise.
// DSL0035 (stride and padding drop input rows or columns) is expected: the reference cases drop them on purpose, as
// PyTorch does (a 3 × 3 stride-2 convolution without padding, a 1 × 1 stride-2 projection, 2 × 2 pooling of 5 columns).
#pragma warning disable DSL0035

// conv2d_k3_pad1
[Network(Channels = 1, Height = 17, Width = 16, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialConvK3Pad1
{
    [Conv2d(3, 12, Bias = false)] public partial DenseBlock Embedding { get; }
    [Conv2d(4, 3, Padding = 1)] public partial DenseBlock Layer { get; }
    [Flatten] public partial DenseBlock Output { get; }
}

// conv2d_k3_stride2_nopad
[Network(Channels = 1, Height = 17, Width = 16, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialConvK3Stride2
{
    [Conv2d(3, 12, Bias = false)] public partial DenseBlock Embedding { get; }
    [Conv2d(5, 3, Stride = 2, Bias = false)] public partial DenseBlock Layer { get; }
    [Flatten] public partial DenseBlock Output { get; }
}

// conv2d_k1_projection_stride2
[Network(Channels = 1, Height = 17, Width = 16, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialConvProjection
{
    [Conv2d(3, 12, Bias = false)] public partial DenseBlock Embedding { get; }
    [Conv2d(6, 1, Stride = 2, Bias = false)] public partial DenseBlock Layer { get; }
    [Flatten] public partial DenseBlock Output { get; }
}

// conv2d_k3_dilation2_pad2
[Network(Channels = 1, Height = 17, Width = 16, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialConvDilated
{
    [Conv2d(3, 12, Bias = false)] public partial DenseBlock Embedding { get; }
    [Conv2d(4, 3, Padding = 2, Dilation = 2)] public partial DenseBlock Layer { get; }
    [Flatten] public partial DenseBlock Output { get; }
}

// conv2d_depthwise_k3_pad1
[Network(Channels = 1, Height = 17, Width = 16, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialConvDepthwise
{
    [Conv2d(3, 12, Bias = false)] public partial DenseBlock Embedding { get; }
    [Conv2d(3, 3, Padding = 1, Groups = 3)] public partial DenseBlock Layer { get; }
    [Flatten] public partial DenseBlock Output { get; }
}

// conv2d_k5_pad2_stride2
[Network(Channels = 1, Height = 17, Width = 16, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialConvK5Stride2
{
    [Conv2d(3, 12, Bias = false)] public partial DenseBlock Embedding { get; }
    [Conv2d(2, 5, Stride = 2, Padding = 2)] public partial DenseBlock Layer { get; }
    [Flatten] public partial DenseBlock Output { get; }
}

// maxpool_k2_s2
[Network(Channels = 1, Height = 17, Width = 16, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialMaxPool2
{
    [Conv2d(3, 12, Bias = false)] public partial DenseBlock Embedding { get; }
    [MaxPool2d(2)] public partial DenseBlock Layer { get; }
    [Flatten] public partial DenseBlock Output { get; }
}

// maxpool_k3_s2_p1
[Network(Channels = 1, Height = 17, Width = 16, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialMaxPool3
{
    [Conv2d(3, 12, Bias = false)] public partial DenseBlock Embedding { get; }
    [MaxPool2d(3, Stride = 2, Padding = 1)] public partial DenseBlock Layer { get; }
    [Flatten] public partial DenseBlock Output { get; }
}

// avgpool_k2_s2
[Network(Channels = 1, Height = 17, Width = 16, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialAvgPool2
{
    [Conv2d(3, 12, Bias = false)] public partial DenseBlock Embedding { get; }
    [AvgPool2d(2)] public partial DenseBlock Layer { get; }
    [Flatten] public partial DenseBlock Output { get; }
}

// avgpool_k3_s1_p1_include_pad
[Network(Channels = 1, Height = 17, Width = 16, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialAvgPool3
{
    [Conv2d(3, 12, Bias = false)] public partial DenseBlock Embedding { get; }
    [AvgPool2d(3, Stride = 1, Padding = 1)] public partial DenseBlock Layer { get; }
    [Flatten] public partial DenseBlock Output { get; }
}

// global_avgpool
[Network(Channels = 1, Height = 17, Width = 16, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialGlobalAvgPool
{
    [Conv2d(3, 12, Bias = false)] public partial DenseBlock Embedding { get; }
    [GlobalAvgPool2d] public partial DenseBlock Layer { get; }
}

// batchnorm2d_train
[Network(Channels = 1, Height = 17, Width = 16, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialBatchNorm
{
    [Conv2d(3, 12, Bias = false)] public partial DenseBlock Embedding { get; }
    [BatchNorm2d] public partial DenseBlock Layer { get; }
    [Flatten] public partial DenseBlock Output { get; }
}

// instancenorm2d_affine
[Network(Channels = 1, Height = 17, Width = 16, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialInstanceNormAffine
{
    [Conv2d(3, 12, Bias = false)] public partial DenseBlock Embedding { get; }
    [InstanceNorm2d(Affine = true)] public partial DenseBlock Layer { get; }
    [Flatten] public partial DenseBlock Output { get; }
}

// instancenorm2d_plain
[Network(Channels = 1, Height = 17, Width = 16, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialInstanceNorm
{
    [Conv2d(3, 12, Bias = false)] public partial DenseBlock Embedding { get; }
    [InstanceNorm2d] public partial DenseBlock Layer { get; }
    [Flatten] public partial DenseBlock Output { get; }
}

// groupnorm_channels
[Network(Channels = 1, Height = 17, Width = 16, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialGroupNorm
{
    [Conv2d(4, 12, Bias = false)] public partial DenseBlock Embedding { get; }
    [GroupNorm(2)] public partial DenseBlock Layer { get; }
    [Flatten] public partial DenseBlock Output { get; }
}

// layernorm_chw
[Network(Channels = 1, Height = 17, Width = 16, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialLayerNorm
{
    [Conv2d(3, 12, Bias = false)] public partial DenseBlock Embedding { get; }
    [LayerNorm] public partial DenseBlock Layer { get; }
    [Flatten] public partial DenseBlock Output { get; }
}

// flatten
[Network(Channels = 1, Height = 17, Width = 16, Loss = Loss.MeanSquaredError)]
public sealed partial class SpatialFlatten
{
    [Conv2d(3, 12, Bias = false)] public partial DenseBlock Embedding { get; }
    [Flatten] public partial DenseBlock Layer { get; }
}
