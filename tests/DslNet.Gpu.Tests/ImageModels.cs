using DslNet.Devices;

namespace DslNet.Gpu.Tests;

// Tiny image models for the device path (ILGPU's CPU accelerator is an emulator, so images stay a few pixels wide).

/// <summary>A small CNN: Conv2d + BatchNorm2d + ReLU + MaxPool, Flatten, a Dense head with dropout.</summary>
[Network(Channels = 1, Height = 6, Width = 6, Loss = Loss.CrossEntropy)]
public sealed partial class TinyCnn
{
    [Conv2d(4, 3, Padding = 1, Bias = false), BatchNorm2d, Relu, MaxPool2d(2)] public partial DenseBlock Conv { get; }
    [Flatten, Dense(6), Relu, Dropout(0.25)] public partial DenseBlock Hidden { get; }
    [Dense(3)] public partial DenseBlock Output { get; }
}

/// <summary>A small ResNet on 2-channel images: a stem, an identity unit, a stride-2 unit with a projection shortcut
/// (1×1 conv, stride 2, BatchNorm2d), global average pooling; its CrossEntropy smooths the labels (ε = 0.1), so the device's
/// smoothed loss kernel is compared with the CPU's (TinyCnn keeps the plain one).</summary>
[Network(Channels = 2, Height = 6, Width = 6, Loss = Loss.CrossEntropy, LabelSmoothing = 0.1)]
public sealed partial class TinyResNet
{
    [Conv2d(4, 3, Padding = 1, Bias = false), BatchNorm2d, Relu] public partial DenseBlock Stem { get; }
    [Conv2d(4, 3, Padding = 1, Bias = false), BatchNorm2d, Relu] public partial DenseBlock Unit1A { get; }
    [Conv2d(4, 3, Padding = 1, Bias = false), BatchNorm2d, Add(nameof(Stem)), Relu] public partial DenseBlock Unit1B { get; }
    [Conv2d(6, 3, Stride = 2, Padding = 1, Bias = false), BatchNorm2d, Relu] public partial DenseBlock Unit2A { get; }
    [Conv2d(6, 3, Padding = 1, Bias = false), BatchNorm2d, Add(nameof(Unit1B), Projection = true), Relu] public partial DenseBlock Unit2B { get; }
    [GlobalAvgPool2d, Dense(3)] public partial DenseBlock Head { get; }
}

/// <summary>The other image layers: InstanceNorm2d (affine), a grouped Conv2d with GroupNorm and Dropout2d, a dilated
/// depthwise Conv2d with LayerNorm over [C, H, W], the pre-activation form, AvgPool2d without counting padding. No bias in
/// front of a norm: its gradient is zero up to rounding, which Adam's normalized step would turn into ±lr either way.</summary>
[Network(Channels = 2, Height = 5, Width = 5, Loss = Loss.MeanSquaredError)]
public sealed partial class TinyImageLayers
{
    [Conv2d(4, 3, Padding = 1, Bias = false), InstanceNorm2d(Affine = true), Relu] public partial DenseBlock Instance { get; }
    [Conv2d(4, 3, Padding = 1, Groups = 2, Bias = false), GroupNorm(2), Gelu, Dropout2d(0.25)] public partial DenseBlock Grouped { get; }
    [Conv2d(4, 3, Padding = 2, Dilation = 2, Groups = 4, Bias = false), LayerNorm, Tanh] public partial DenseBlock Depthwise { get; }
    [BatchNorm2d, Relu, Conv2d(4, 1, Bias = false)] public partial DenseBlock PreActivation { get; }
    [InstanceNorm2d, AvgPool2d(3, Stride = 2, Padding = 1, CountIncludePad = false), Flatten, Dense(2)] public partial DenseBlock Head { get; }
}

/// <summary>The activation the plan runs in an Add's step: GELU (the sum stored for its backward) and LeakyReLU (read off
/// the output); a ReLU with dropout after a plain Add; Stem the skip of two Adds and Smooth both an Add's input and another's
/// skip, so the Add backward writes and accumulates into each operand.</summary>
[Network(Channels = 2, Height = 5, Width = 5, Loss = Loss.MeanSquaredError)]
public sealed partial class TinyResidualActivations
{
    [Conv2d(3, 3, Padding = 1)] public partial DenseBlock Stem { get; }
    [Conv2d(3, 3, Padding = 1), Add(nameof(Stem)), Gelu] public partial DenseBlock Smooth { get; }
    [Add(nameof(Stem)), LeakyRelu(0.1)] public partial DenseBlock Leaky { get; }
    [Conv2d(3, 3, Padding = 1), Add(nameof(Smooth)), Relu, Dropout(0.2)] public partial DenseBlock Dropped { get; }
    [GlobalAvgPool2d, Dense(2)] public partial DenseBlock Head { get; }
}

/// <summary>Convolutions large enough for the device GEMM choice (groups = 1, ≥ 1,024 weights: library-eligible): padding, a stride
/// of 2, a residual Add through a 1×1 stride-2 projection, a 1×1 stride-1 convolution with bias (its input rows are the
/// columns: no im2col), BatchNorm2d, a Dense of 1,024 weights after global pooling (a 1×1 convolution of a 1×1 image);
/// and three that stay on the direct kernels: the stem (576 weights), a grouped convolution and the 96-weight head.</summary>
[Network(Channels = 2, Height = 4, Width = 4, Loss = Loss.CrossEntropy)]
public sealed partial class LibraryConvNet
{
    [Conv2d(32, 3, Padding = 1, Bias = false), BatchNorm2d, Relu] public partial DenseBlock Stem { get; }
    [Conv2d(32, 3, Stride = 2, Padding = 1, Bias = false), BatchNorm2d, Relu] public partial DenseBlock Down { get; }
    [Conv2d(32, 3, Padding = 1, Bias = false), BatchNorm2d, Add(nameof(Stem), Projection = true), Relu] public partial DenseBlock Residual { get; }
    [Conv2d(32, 1), Relu] public partial DenseBlock Pointwise { get; }
    [Conv2d(32, 3, Padding = 1, Groups = 2, Bias = false), BatchNorm2d, Relu] public partial DenseBlock Grouped { get; }
    [GlobalAvgPool2d, Dense(32), Relu] public partial DenseBlock Hidden { get; }
    [Dense(3)] public partial DenseBlock Head { get; }
}

/// <summary>The image models by name, on any device and precision.</summary>
public static class ImageModels
{
    public static readonly IReadOnlyDictionary<string, Func<int, Device, Precision, INetwork>> WithPrecision = new Dictionary<string, Func<int, Device, Precision, INetwork>>
    {
        ["TinyCnn"] = (seed, device, precision) => new TinyCnn(seed, device, precision),
        ["TinyResNet"] = (seed, device, precision) => new TinyResNet(seed, device, precision),
        ["TinyImageLayers"] = (seed, device, precision) => new TinyImageLayers(seed, device, precision),
        [nameof(TinyResidualActivations)] = (seed, device, precision) => new TinyResidualActivations(seed, device, precision),
        [nameof(LibraryConvNet)] = (seed, device, precision) => new LibraryConvNet(seed, device, precision),
    };

    /// <summary>The models of the direct-kernel parity tests (<see cref="LibraryConvNet"/> has its own, through the library route).</summary>
    public static IEnumerable<object[]> Names => WithPrecision.Keys.Where(k => k != nameof(LibraryConvNet)).Select(k => new object[] { k });

    /// <summary>Every image model, for the PTX compile check.</summary>
    public static IEnumerable<object[]> AllNames => WithPrecision.Keys.Select(k => new object[] { k });

    public static INetwork Create(string name, int seed, Device device, Precision precision = Precision.Fp32) => WithPrecision[name](seed, device, precision);
}
