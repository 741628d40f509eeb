using Microsoft.CodeAnalysis;
using static DslNet.Generator.Tests.GeneratedCodeTests;

namespace DslNet.Generator.Tests;

/// <summary>
/// Image models (Conv2d, pooling, 2-D norms, residual units): their generated source against snapshots, compiled with the
/// runtime and kernels without an error or a warning, lines under 160 characters; with ILGPU referenced, their device path.
/// </summary>
public sealed class SpatialGeneratedCodeTests
{
    /// <summary>A Fashion-MNIST CNN: two Conv2d + BatchNorm2d + ReLU + MaxPool blocks, Flatten, a Dense head with dropout.</summary>
    public static readonly string SmallCnn = TestModels.Model("SmallCnn", "Channels = 1, Height = 28, Width = 28, Loss = Loss.CrossEntropy",
        "[Conv2d(32, 3, Padding = 1, Bias = false), BatchNorm2d, Relu, MaxPool2d(2)] public partial DenseBlock Conv1 { get; }",
        "[Conv2d(64, 3, Padding = 1, Bias = false), BatchNorm2d, Relu, MaxPool2d(2)] public partial DenseBlock Conv2 { get; }",
        "[Flatten, Dense(128), Relu, Dropout(0.25)] public partial DenseBlock Hidden { get; }",
        "[Dense(10)] public partial DenseBlock Output { get; }");

    /// <summary>A small ResNet on 3-channel images: a stem, an identity BasicBlock, a stride-2 BasicBlock with torchvision's
    /// projection shortcut, zero-initialized last γ, global pooling.</summary>
    public static readonly string SmallResNet = TestModels.Model("SmallResNet",
        "Channels = 3, Height = 16, Width = 16, Loss = Loss.CrossEntropy, ResidualInit = ResidualInit.ZeroLastNorm",
        "[Conv2d(16, 3, Padding = 1, Bias = false), BatchNorm2d, Relu] public partial DenseBlock Stem { get; }",
        "[Conv2d(16, 3, Padding = 1, Bias = false), BatchNorm2d, Relu] public partial DenseBlock Unit1A { get; }",
        "[Conv2d(16, 3, Padding = 1, Bias = false), BatchNorm2d, Add(nameof(Stem)), Relu] public partial DenseBlock Unit1B { get; }",
        "[Conv2d(32, 3, Stride = 2, Padding = 1, Bias = false, Fan = FanMode.Out), BatchNorm2d, Relu] public partial DenseBlock Unit2A { get; }",
        "[Conv2d(32, 3, Padding = 1, Bias = false), BatchNorm2d, Add(nameof(Unit1B), Projection = true), Relu] public partial DenseBlock Unit2B { get; }",
        "[GlobalAvgPool2d, Dense(10)] public partial DenseBlock Head { get; }");

    /// <summary>Every other image layer: InstanceNorm2d, grouped/depthwise/dilated Conv2d, GroupNorm and LayerNorm over
    /// [C, H, W], Dropout2d, the pre-activation form, AvgPool2d without counting padding.</summary>
    public static readonly string EveryImageLayer = TestModels.Model("EveryImageLayer", "Channels = 2, Height = 12, Width = 12, Loss = Loss.MeanSquaredError",
        "[Conv2d(8, 3, Padding = 1), InstanceNorm2d(Affine = true), Relu] public partial DenseBlock Instance { get; }",
        "[Conv2d(8, 3, Padding = 1, Groups = 4), GroupNorm(2), Gelu, Dropout2d(0.1)] public partial DenseBlock Grouped { get; }",
        "[Conv2d(8, 3, Padding = 2, Dilation = 2, Groups = 8), LayerNorm, Tanh] public partial DenseBlock Depthwise { get; }",
        "[BatchNorm2d, Relu, Conv2d(8, 1)] public partial DenseBlock PreActivation { get; }",
        "[InstanceNorm2d, AvgPool2d(3, Stride = 2, Padding = 1, CountIncludePad = false), Flatten, Dense(4)] public partial DenseBlock Head { get; }");

    public static TheoryData<string> Names => new() { nameof(SmallCnn), nameof(SmallResNet), nameof(EveryImageLayer) };

    private static string Source(string name) => name switch
    {
        nameof(SmallCnn) => SmallCnn,
        nameof(SmallResNet) => SmallResNet,
        _ => EveryImageLayer,
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Image_model(string name)
    {
        var run = GeneratorHarness.Run(Source(name));

        AssertGeneratedWithoutProblems(run);
        Snapshot.MatchAll(new[] { (name + ".Model", run.Source(".Model.g.cs")), (name + ".Cpu", run.Source(".Cpu.g.cs")) });
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Image_model_compiles_without_errors_or_warnings(string name)
    {
        var run = GeneratorHarness.Run(Source(name));

        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Severity >= DiagnosticSeverity.Warning);
        AssertCompilesCleanly(run);
        foreach (var file in run.Sources)
        {
            var longest = file.Text.Split('\n').Max(l => l.TrimEnd('\r').Length);
            Assert.True(longest < 160, $"{file.HintName}: a line of {longest} characters");
        }
    }

    [Fact]
    public void Image_model_device_kernels()
    {
        // The small ResNet's device path: stride-2 convolution, projection shortcut, two-consumer gradients, global pooling.
        var run = GeneratorHarness.Run(GeneratorHarness.CompilationWithDevices(SmallResNet));

        AssertCompilesCleanly(run);
        Assert.Contains(run.Sources, s => s.HintName.EndsWith("SmallResNet.Gpu.g.cs", StringComparison.Ordinal));
        var device = run.Source(".Gpu.g.cs");
        var longest = device.Split('\n').Max(l => l.TrimEnd('\r').Length);
        Assert.True(longest < 160, $"SmallResNet.Gpu.g.cs: a line of {longest} characters");
        Assert.Contains("GpuKernels.Spatial.GpuConv2d.BackwardInput", device);
        Assert.Contains("accumulate: true", device);
        // Its 16 → 16 and 16 → 32 convolutions are library-eligible: im2col, the library GEMM and col2im from the crossover on.
        Assert.Contains("GpuKernels.Spatial.GpuIm2Col.Gather", device);
        Assert.Contains("GpuKernels.Spatial.GpuIm2Col.ToImage", device);
        Snapshot.Match(device, "SmallResNet.Gpu");
    }

    [Fact]
    public void Image_model_without_ILGPU_has_no_device_file()
    {
        var run = GeneratorHarness.Run(SmallCnn);

        Assert.DoesNotContain(run.Sources, s => s.HintName.EndsWith(".Gpu.g.cs", StringComparison.Ordinal));
        Assert.Contains("SmallCnn was compiled without ILGPU, so it has no device path", run.Source(".Model.g.cs"));
    }

    [Fact]
    public void Summary_shows_C_H_W_per_block()
    {
        var model = GeneratorHarness.Run(SmallCnn).Source(".Model.g.cs");

        Assert.Contains("[32, 14, 14]", model);
        Assert.Contains("[64, 7, 7]", model);
        Assert.Contains("Conv2d(1 → 32, 3×3, padding 1, no bias), BatchNorm2d, Relu, MaxPool2d(2×2)", model);
    }
}
