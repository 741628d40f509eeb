using Microsoft.CodeAnalysis;
using static DslNet.Generator.Tests.DiagnosticAssert;

namespace DslNet.Generator.Tests;

/// <summary>
/// [Network(LabelSmoothing = ε)]: the smoothing reaches every generated CrossEntropy call (CPU training and evaluation,
/// the device kernels) and Summary(), for feature and image models; DSL0038 rejects a value outside [0, 1] or a loss
/// without classes.
/// </summary>
public sealed class LabelSmoothingTests
{
    private const string FeatureBlocks =
        "[Dense(16), Relu] public partial DenseBlock Hidden { get; }\n" +
        "[Dense(4)] public partial DenseBlock Output { get; }";

    private const string ImageBlocks =
        "[Conv2d(4, 3, Padding = 1), Relu] public partial DenseBlock C { get; }\n" +
        "[Flatten, Dense(3)] public partial DenseBlock Head { get; }";

    /// <summary>The class name is on line 6, at column 29 when marked.</summary>
    private static string Net(string network, string blocks, bool markClass = false) =>
        "using DslNet;\n\nnamespace Models;\n\n" +
        $"[Network({network})]\n" +
        (markClass ? "public sealed partial class {|Net|}\n" : "public sealed partial class Net\n") +
        "{\n" + string.Join("\n", blocks.Split('\n').Select(b => "    " + b)) + "\n}\n";

    [Theory]
    [InlineData("Inputs = 8, Loss = Loss.CrossEntropy, LabelSmoothing = 0.1", FeatureBlocks)]
    [InlineData("Channels = 1, Height = 6, Width = 6, Loss = Loss.CrossEntropy, LabelSmoothing = 0.1", ImageBlocks)]
    public void Every_cross_entropy_call_and_the_summary_carry_the_smoothing(string network, string blocks)
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CompilationWithDevices(Net(network, blocks)));
        Assert.Empty(run.Exceptions);
        Assert.Empty(run.OutputWarningsAndErrors);
        var all = string.Join("\n", run.Sources.Select(s => s.Text));
        var cpuCalls = CountOf(all, "CpuKernels.Losses.CrossEntropy(");
        var deviceCalls = CountOf(all, "GpuLosses.CrossEntropy(");
        Assert.Equal(2, cpuCalls);     // TrainStep's loss and EvaluateLoss
        Assert.Equal(2, deviceCalls);  // the device's training and evaluation loss kernels
        Assert.Equal(cpuCalls + deviceCalls, CountOf(all, "labelSmoothing: 0.1f)"));
        Assert.Contains("loss CrossEntropy (label smoothing 0.1)", all);
    }

    [Fact]
    public void Without_smoothing_the_calls_are_unchanged()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CompilationWithDevices(Net("Inputs = 8, Loss = Loss.CrossEntropy", FeatureBlocks)));
        Assert.Empty(run.OutputWarningsAndErrors);
        var all = string.Join("\n", run.Sources.Select(s => s.Text));
        Assert.DoesNotContain("labelSmoothing", all);
        Assert.DoesNotContain("label smoothing", all);
    }

    [Theory]
    [InlineData("Inputs = 8, Loss = Loss.CrossEntropy, LabelSmoothing = 1.5", FeatureBlocks, "LabelSmoothing = 1.5: it must be in [0, 1]")]
    [InlineData("Inputs = 8, Loss = Loss.CrossEntropy, LabelSmoothing = -0.1", FeatureBlocks, "LabelSmoothing = -0.1: it must be in [0, 1]")]
    [InlineData("Inputs = 8, Loss = Loss.MeanSquaredError, LabelSmoothing = 0.1", FeatureBlocks, "Loss.CrossEntropy only")]
    [InlineData("Channels = 1, Height = 6, Width = 6, Loss = Loss.BinaryCrossEntropyWithLogits, LabelSmoothing = 0.1",
        "[Conv2d(4, 3, Padding = 1), Relu] public partial DenseBlock C { get; }\n[Flatten, Dense(1)] public partial DenseBlock Head { get; }",
        "not BinaryCrossEntropyWithLogits")]
    public void DSL0038_on_a_smoothing_outside_zero_to_one_or_without_cross_entropy(string network, string blocks, string expected)
    {
        var diagnostic = Single(Net(network, blocks, markClass: true), "DSL0038", DiagnosticSeverity.Error, 6, 29);
        Assert.Contains(expected, diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("Inputs = 8, Loss = Loss.CrossEntropy, LabelSmoothing = 1.0", FeatureBlocks)]
    [InlineData("Channels = 1, Height = 6, Width = 6, Loss = Loss.CrossEntropy, LabelSmoothing = 0.0", ImageBlocks)]
    public void DSL0038_stays_quiet_at_the_ends_of_the_range(string network, string blocks) => None(Net(network, blocks), "DSL0038");

    private static int CountOf(string text, string value)
    {
        int count = 0;
        for (int at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + 1, StringComparison.Ordinal)) count++;
        return count;
    }
}
