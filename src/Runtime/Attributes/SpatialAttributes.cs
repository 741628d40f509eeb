namespace DslNet;

/// <summary>
/// <c>nn.Conv2d(C_in, outChannels, kernelSize, stride, padding, dilation, groups, bias)</c> on an image value. Its weight
/// is the block's <c>Weight</c> parameter, <c>[C_out, C_in/groups, kH, kW]</c> (PyTorch's order), its bias <c>Bias</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class Conv2dAttribute(int outChannels, int kernelSize) : Attribute
{
    public int OutChannels { get; } = outChannels;
    public int KernelSize { get; } = kernelSize;
    public int Stride { get; set; } = 1;
    public int Padding { get; set; }
    public int Dilation { get; set; } = 1;

    /// <summary>Channel groups: C_in and C_out must both be multiples; <c>Groups = C_in = C_out</c> is depthwise.</summary>
    public int Groups { get; set; } = 1;

    /// <summary>Whether the convolution has a bias. A following BatchNorm2d cancels it (diagnostic DSL0008).</summary>
    public bool Bias { get; set; } = true;

    /// <summary>Weight initializer; He and Xavier use the convolution's fan (C_in/groups·kH·kW in, C_out/groups·kH·kW out).</summary>
    public Init Init { get; set; } = Init.Auto;

    /// <summary>Fan used by the He initializers (torchvision's ResNets use <see cref="FanMode.Out"/>).</summary>
    public FanMode Fan { get; set; } = FanMode.In;
}

/// <summary><c>nn.MaxPool2d(kernelSize, stride, padding)</c>; the stride defaults to the kernel size, as in PyTorch.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class MaxPool2dAttribute(int kernelSize) : Attribute
{
    public int KernelSize { get; } = kernelSize;

    /// <summary>0 (the default) means the kernel size.</summary>
    public int Stride { get; set; }

    public int Padding { get; set; }
}

/// <summary><c>nn.AvgPool2d(kernelSize, stride, padding, count_include_pad)</c>; the stride defaults to the kernel size.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class AvgPool2dAttribute(int kernelSize) : Attribute
{
    public int KernelSize { get; } = kernelSize;

    /// <summary>0 (the default) means the kernel size.</summary>
    public int Stride { get; set; }

    public int Padding { get; set; }

    /// <summary>Divide by kH·kW even where the window overlaps the padding (PyTorch's default).</summary>
    public bool CountIncludePad { get; set; } = true;
}

/// <summary><c>nn.AdaptiveAvgPool2d(1)</c> followed by <c>nn.Flatten()</c>: the mean of each channel, a [C] feature vector.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class GlobalAvgPool2dAttribute : Attribute;

/// <summary><c>nn.Flatten()</c>: an image value [C, H, W] becomes C·H·W features in PyTorch's channel-major order.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class FlattenAttribute : Attribute;

/// <summary>
/// <c>nn.BatchNorm2d</c>: statistics per channel over (N, H, W) in training, running statistics (unbiased variance) at
/// inference. Parameters <c>Gamma</c>, <c>Beta</c>; running statistics <c>RunningMean</c>, <c>RunningVariance</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class BatchNorm2dAttribute : Attribute
{
    public double Momentum { get; set; } = 0.1;
    public double Eps { get; set; } = 1e-5;
}

/// <summary><c>nn.InstanceNorm2d</c> (no running statistics, as PyTorch's default): each image's channels normalized over
/// (H, W); <see cref="Affine"/> adds a per-channel <c>Gamma</c> and <c>Beta</c>.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class InstanceNorm2dAttribute : Attribute
{
    /// <summary>PyTorch's default is false.</summary>
    public bool Affine { get; set; }

    public double Eps { get; set; } = 1e-5;
}

/// <summary><c>nn.Dropout2d(rate)</c>: whole channels of an image dropped in training, kept ones scaled by 1/(1 − rate);
/// masks from the same counter-based generator as <see cref="DropoutAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class Dropout2dAttribute(double rate) : Attribute
{
    public double Rate { get; } = rate;
}
