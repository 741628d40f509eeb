using Microsoft.CodeAnalysis;
using static DslNet.Generator.Tests.DiagnosticAssert;

namespace DslNet.Generator.Tests;

/// <summary>
/// Every image-model diagnostic DSL0030–DSL0037 (and DSL0017 on images): where it fires (ID, severity, the marked span,
/// line and column) and that the nearest correct code does not fire it.
/// </summary>
public sealed class SpatialDiagnosticTests
{
    private const DiagnosticSeverity Error = DiagnosticSeverity.Error;

    /// <summary>The class name is on line 6, the first block on line 8 (its attribute list from column 5).</summary>
    private static string Net(string blocks, string network = "Channels = 1, Height = 8, Width = 8, Loss = Loss.CrossEntropy", bool markClass = false) =>
        "using DslNet;\n" +
        "\n" +
        "namespace Models;\n" +
        "\n" +
        $"[Network({network})]\n" +
        (markClass ? "public sealed partial class {|Net|}\n" : "public sealed partial class Net\n") +
        "{\n" +
        string.Join("\n", blocks.Trim('\n').Split('\n').Select(b => "    " + b.Trim())) + "\n" +
        "}\n";

    private static string Unmarked(string source) => source.Replace("{|", "").Replace("|}", "");

    private const string Head = "[Flatten, Dense(2)] public partial DenseBlock Head { get; }";

    [Fact]
    public void DSL0030_on_a_convolution_with_stride_zero()
    {
        var diagnostic = Single(Net("[{|Conv2d(4, 3, Stride = 0)|}] public partial DenseBlock C { get; }\n" + Head), "DSL0030", Error, 8, 6);
        Assert.Contains("Stride = 0", diagnostic.GetMessage());
        None(Unmarked(Net("[Conv2d(4, 3, Stride = 1)] public partial DenseBlock C { get; }\n" + Head)), "DSL0030");
    }

    [Fact]
    public void DSL0030_on_pooling_padding_over_half_the_kernel()
    {
        Single(Net("[Conv2d(4, 3), {|MaxPool2d(2, Padding = 2)|}] public partial DenseBlock C { get; }\n" + Head), "DSL0030", Error, 8, 20);
    }

    [Fact]
    public void DSL0031_on_a_kernel_larger_than_the_padded_input()
    {
        var diagnostic = Single(Net("[{|Conv2d(4, 11, Padding = 1)|}] public partial DenseBlock C { get; }\n" + Head), "DSL0031", Error, 8, 6);
        Assert.Contains("the padded input is only 10", diagnostic.GetMessage());
        None(Unmarked(Net("[Conv2d(4, 9, Padding = 1)] public partial DenseBlock C { get; }\n" + Head)), "DSL0031");
    }

    [Fact]
    public void DSL0031_on_pooling_after_the_image_has_shrunk_below_the_kernel()
    {
        Single(Net("[Conv2d(4, 3), MaxPool2d(3)] public partial DenseBlock C { get; }\n[{|MaxPool2d(3)|}, Flatten, Dense(2)] public partial DenseBlock Head { get; }"),
            "DSL0031", Error, 9, 6);
    }

    [Fact]
    public void DSL0032_on_channels_not_divisible_by_groups()
    {
        var diagnostic = Single(Net("[{|Conv2d(4, 3, Groups = 2)|}] public partial DenseBlock C { get; }\n" + Head,
            network: "Channels = 3, Height = 8, Width = 8, Loss = Loss.CrossEntropy"), "DSL0032", Error, 8, 6);
        Assert.Contains("input: 3", diagnostic.GetMessage());
        None(Unmarked(Net("[Conv2d(4, 3, Groups = 2)] public partial DenseBlock C { get; }\n" + Head,
            network: "Channels = 2, Height = 8, Width = 8, Loss = Loss.CrossEntropy")), "DSL0032");
    }

    [Fact]
    public void DSL0033_on_an_image_fed_into_Dense_without_Flatten()
    {
        var diagnostic = Single(Net("[Conv2d(4, 3)] public partial DenseBlock C { get; }\n[{|Dense(2)|}] public partial DenseBlock Head { get; }"),
            "DSL0033", Error, 9, 6);
        Assert.Contains("[4, 6, 6]", diagnostic.GetMessage());
        None(Unmarked(Net("[Conv2d(4, 3)] public partial DenseBlock C { get; }\n[GlobalAvgPool2d, Dense(2)] public partial DenseBlock Head { get; }")), "DSL0033");
    }

    [Fact]
    public void DSL0034_on_BatchNorm2d_applied_to_a_feature_vector()
    {
        var diagnostic = Single(Net("[Dense(8), {|BatchNorm2d|}, Relu] public partial DenseBlock Hidden { get; }\n[Dense(2)] public partial DenseBlock Output { get; }",
            network: "Inputs = 4, Loss = Loss.CrossEntropy"), "DSL0034", Error, 8, 16);
        Assert.Contains("[BatchNorm] on features", diagnostic.GetMessage());
        None(Unmarked(Net("[Dense(8), BatchNorm, Relu] public partial DenseBlock Hidden { get; }\n[Dense(2)] public partial DenseBlock Output { get; }",
            network: "Inputs = 4, Loss = Loss.CrossEntropy")), "DSL0034");
    }

    [Fact]
    public void DSL0034_on_pooling_after_Flatten()
    {
        Single(Net("[Conv2d(4, 3), Flatten] public partial DenseBlock C { get; }\n[{|MaxPool2d(2)|}, Dense(2)] public partial DenseBlock Head { get; }"),
            "DSL0034", Error, 9, 6);
    }

    [Fact]
    public void DSL0035_warns_where_pooling_drops_the_last_row_and_column()
    {
        var source = Net("[Conv2d(4, 3, Padding = 1), Relu, {|MaxPool2d(2)|}] public partial DenseBlock C { get; }\n" + Head,
            network: "Channels = 1, Height = 7, Width = 7, Loss = Loss.CrossEntropy");
        var diagnostic = Single(source, "DSL0035", DiagnosticSeverity.Warning, 8, 39);
        Assert.Contains("the last 1 of the 7 input rows are never read", diagnostic.GetMessage());
        None(Unmarked(Net("[Conv2d(4, 3, Padding = 1), Relu, MaxPool2d(2)] public partial DenseBlock C { get; }\n" + Head)), "DSL0035");
    }

    [Fact]
    public void DSL0035_stays_quiet_for_a_strided_convolution_that_only_skips_padding()
    {
        // ResNet's 3×3 stride-2 downsampling on an even input: the unread position is padding, not input.
        None(Net("[Conv2d(4, 3, Stride = 2, Padding = 1)] public partial DenseBlock C { get; }\n" + Head), "DSL0035");
    }

    [Fact]
    public void DSL0036_on_an_image_shape_with_a_zero_side()
    {
        var diagnostic = Single(Net("[Conv2d(4, 3)] public partial DenseBlock C { get; }\n" + Head,
            network: "Channels = 1, Height = 0, Width = 8, Loss = Loss.CrossEntropy", markClass: true), "DSL0036", Error, 6, 29);
        Assert.Contains("Height = 0", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0036_on_Inputs_beside_an_image_shape()
    {
        var diagnostic = Single(Net("[Conv2d(4, 3)] public partial DenseBlock C { get; }\n" + Head,
            network: "Inputs = 64, Channels = 1, Height = 8, Width = 8, Loss = Loss.CrossEntropy", markClass: true), "DSL0036", Error, 6, 29);
        Assert.Contains("Inputs = 64", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0037_on_two_convolutions_in_one_block()
    {
        Single(Net("[Conv2d(4, 3), Relu, {|Conv2d(4, 3)|}] public partial DenseBlock C { get; }\n" + Head), "DSL0037", Error, 8, 26);
        None(Unmarked(Net("[Conv2d(4, 3), Relu] public partial DenseBlock C { get; }\n[Conv2d(4, 3)] public partial DenseBlock D { get; }\n" + Head)), "DSL0037");
    }

    [Fact]
    public void DSL0017_on_an_image_residual_whose_channels_differ_without_a_projection()
    {
        var diagnostic = Single(Net("[Conv2d(4, 3, Padding = 1)] public partial DenseBlock A { get; }\n" +
                                    "[Conv2d(6, 3, Padding = 1), BatchNorm2d, {|Add(nameof(A))|}, Relu] public partial DenseBlock B { get; }\n" + Head),
            "DSL0017", Error, 9, 46);
        Assert.Contains("[4, 8, 8]", diagnostic.GetMessage());
        None(Unmarked(Net("[Conv2d(4, 3, Padding = 1)] public partial DenseBlock A { get; }\n" +
                          "[Conv2d(6, 3, Padding = 1), BatchNorm2d, Add(nameof(A), Projection = true), Relu] public partial DenseBlock B { get; }\n" + Head)),
            "DSL0017");
    }
}
