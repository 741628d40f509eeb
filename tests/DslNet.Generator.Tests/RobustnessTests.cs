using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Tests;

/// <summary>
/// Malformed user code: the generator reports diagnostics (its own or the compiler's) and never throws. A generator
/// exception would surface as CS8785 and silently drop all generated code.
/// </summary>
public sealed class RobustnessTests
{
    private static string Net(string body, string network = "Inputs = 4", string declaration = "public sealed partial class Net") => $$"""
        using DslNet;

        namespace Models;

        [Network({{network}})]
        {{declaration}}
        {
            {{body}}
        }
        """;

    private const string Output = "[Dense(1)] public partial DenseBlock Output { get; }";

    /// <summary>Case name → (source, a diagnostic ID that must be among the generator's or compiler's diagnostics).</summary>
    public static readonly IReadOnlyDictionary<string, (string[] Sources, string ExpectedId)> Cases =
        new Dictionary<string, (string[], string)>
        {
            ["Dense without argument"] = (new[] { Net("[Dense] public partial DenseBlock Output { get; }") }, "DSL0003"),
            ["Dense with a string argument"] = (new[] { Net("[Dense(\"x\")] public partial DenseBlock Output { get; }") }, "DSL0003"),
            ["Dense with an unresolved constant"] = (new[] { Net("[Dense(Missing.Units)] public partial DenseBlock Output { get; }") }, "DSL0003"),
            ["Dropout without argument"] = (new[] { Net("[Dense(8), Dropout] public partial DenseBlock Hidden { get; }\n" + Output) }, "DSL0004"),
            ["Layer attribute on a method"] = (new[] { Net("[Dense(8)] public void Forward() { }") }, "CS0592"),
            ["Generic class"] = (new[] { Net(Output, declaration: "public sealed partial class Net<T>") }, "DSL0010"),
            ["Nested class"] = (new[] { """
                using DslNet;
                public partial class Outer
                {
                    [Network(Inputs = 4)]
                    public sealed partial class Net { [Dense(1)] public partial DenseBlock Output { get; } }
                }
                """ }, "DSL0010"),
            ["Record"] = (new[] { Net(Output, declaration: "public sealed partial record Net") }, "DSL0010"),
            ["Struct"] = (new[] { Net(Output, declaration: "public partial struct Net") }, "CS0592"),
            ["Non-partial property"] = (new[] { Net("[Dense(1)] public DenseBlock Output { get; }") }, "DSL0009"),
            ["Property of another type"] = (new[] { Net("[Dense(1)] public partial float[] Output { get; }") }, "DSL0009"),
            ["Property with a body"] = (new[] { Net("[Dense(1)] public partial DenseBlock Output { get => null!; }") }, "DSL0009"),
            ["Syntax errors inside the class"] = (new[] { Net("[Dense(8), Relu public partial DenseBlock Hidden { get; }\n[Dense(1)] public partial DenseBlock Output { get; \nvoid Broken( { }") }, "CS1003"),
            ["Unclosed attribute list"] = (new[] { Net("[Dense(8), \n" + Output) }, "CS1003"),
            ["Unknown attribute among layers"] = (new[] { Net("[Dense(8), Softmax] public partial DenseBlock Hidden { get; }\n" + Output) }, "CS0246"),
            ["Network attribute with an unknown argument"] = (new[] { Net(Output, network: "Inputs = 4, Outputs = 2") }, "CS0246"),
            ["Negative inputs and units"] = (new[] { Net("[Dense(-3)] public partial DenseBlock Output { get; }", network: "Inputs = -1") }, "DSL0003"),
            ["Add without argument"] = (new[] { Net("[Dense(8), Relu] public partial DenseBlock Hidden { get; }\n[Dense(8), Add] public partial DenseBlock Output { get; }") }, "CS7036"),
            ["Add with a null name"] = (new[] { Net("[Dense(8), Relu] public partial DenseBlock Hidden { get; }\n[Dense(8), Add(null)] public partial DenseBlock Output { get; }") }, "DSL0018"),
            ["Add with a number"] = (new[] { Net("[Dense(8), Relu] public partial DenseBlock Hidden { get; }\n[Dense(8), Add(3)] public partial DenseBlock Output { get; }") }, "CS1503"),
            ["Add of a missing block"] = (new[] { Net("[Dense(8), Add(\"Nowhere\")] public partial DenseBlock Output { get; }") }, "DSL0018"),
            ["Add of itself"] = (new[] { Net("[Dense(8), Add(nameof(Output))] public partial DenseBlock Output { get; }") }, "DSL0020"),
            ["Add of a later block (a cycle)"] = (new[] { Net("[Dense(8), Add(nameof(Output))] public partial DenseBlock Hidden { get; }\n[Dense(8), Add(nameof(Hidden))] public partial DenseBlock Output { get; }") }, "DSL0019"),
            ["Add of a block that failed to plan"] = (new[] { Net("[Dense(-8)] public partial DenseBlock Hidden { get; }\n[Dense(8), Add(nameof(Hidden))] public partial DenseBlock Output { get; }") }, "DSL0003"),
            ["Add with differing widths"] = (new[] { Net("[Dense(8)] public partial DenseBlock Hidden { get; }\n[Dense(2), Add(nameof(Hidden))] public partial DenseBlock Output { get; }") }, "DSL0017"),
            ["Two Adds in one block"] = (new[] { Net("[Dense(8)] public partial DenseBlock Hidden { get; }\n[Dense(8), Add(nameof(Hidden)), Add(nameof(Hidden))] public partial DenseBlock Output { get; }") }, "CS0579"),
            ["Add before Dense"] = (new[] { Net("[Dense(8)] public partial DenseBlock Hidden { get; }\n[Add(nameof(Hidden)), Dense(8)] public partial DenseBlock Output { get; }") }, "DSL0006"),
            ["Add with a projection flag of the wrong type"] = (new[] { Net("[Dense(8)] public partial DenseBlock Hidden { get; }\n[Dense(4), Add(nameof(Hidden), Projection = \"yes\")] public partial DenseBlock Output { get; }") }, "DSL0017"),
            // Image models (issue 11): spatial mistakes give diagnostics, never an exception.
            ["Conv2d without arguments"] = (new[] { Net("[Conv2d] public partial DenseBlock C { get; }\n[Flatten, Dense(2)] public partial DenseBlock Head { get; }", network: "Channels = 1, Height = 8, Width = 8") }, "CS7036"),
            ["Conv2d with a string kernel"] = (new[] { Net("[Conv2d(4, \"3\")] public partial DenseBlock C { get; }\n[Flatten, Dense(2)] public partial DenseBlock Head { get; }", network: "Channels = 1, Height = 8, Width = 8") }, "DSL0030"),
            ["Conv2d with negative padding and zero dilation"] = (new[] { Net("[Conv2d(4, 3, Padding = -1, Dilation = 0)] public partial DenseBlock C { get; }\n[Flatten, Dense(2)] public partial DenseBlock Head { get; }", network: "Channels = 1, Height = 8, Width = 8") }, "DSL0030"),
            ["Conv2d with zero groups"] = (new[] { Net("[Conv2d(4, 3, Groups = 0)] public partial DenseBlock C { get; }\n[Flatten, Dense(2)] public partial DenseBlock Head { get; }", network: "Channels = 1, Height = 8, Width = 8") }, "DSL0030"),
            ["Conv2d with zero output channels"] = (new[] { Net("[Conv2d(0, 3)] public partial DenseBlock C { get; }\n[Flatten, Dense(2)] public partial DenseBlock Head { get; }", network: "Channels = 1, Height = 8, Width = 8") }, "DSL0003"),
            ["Kernel larger than the image"] = (new[] { Net("[Conv2d(4, 30)] public partial DenseBlock C { get; }\n[Flatten, Dense(2)] public partial DenseBlock Head { get; }", network: "Channels = 1, Height = 8, Width = 8") }, "DSL0031"),
            ["Pooling kernel of zero"] = (new[] { Net("[Conv2d(4, 3), MaxPool2d(0)] public partial DenseBlock C { get; }\n[Flatten, Dense(2)] public partial DenseBlock Head { get; }", network: "Channels = 1, Height = 8, Width = 8") }, "DSL0030"),
            ["Huge image"] = (new[] { Net("[Conv2d(4, 3)] public partial DenseBlock C { get; }\n[Flatten, Dense(2)] public partial DenseBlock Head { get; }", network: "Channels = 100000, Height = 100000, Width = 100000") }, "DSL0036"),
            ["Negative image shape"] = (new[] { Net("[Conv2d(4, 3)] public partial DenseBlock C { get; }\n[Flatten, Dense(2)] public partial DenseBlock Head { get; }", network: "Channels = -1, Height = 8") }, "DSL0036"),
            ["Image model ending in an image"] = (new[] { Net("[Conv2d(4, 3)] public partial DenseBlock C { get; }", network: "Channels = 1, Height = 8, Width = 8") }, "DSL0033"),
            ["Image block with no layers"] = (new[] { Net("public partial DenseBlock C { get; }\n[Flatten, Dense(2)] public partial DenseBlock Head { get; }", network: "Channels = 1, Height = 8, Width = 8") }, "DSL0037"),
            ["Flatten twice"] = (new[] { Net("[Conv2d(4, 3), Flatten, Flatten, Dense(2)] public partial DenseBlock C { get; }", network: "Channels = 1, Height = 8, Width = 8") }, "CS0579"),
            ["Global pooling of features"] = (new[] { Net("[Dense(4), GlobalAvgPool2d] public partial DenseBlock C { get; }\n" + Output) }, "DSL0034"),
            ["Dropout2d on features"] = (new[] { Net("[Dense(4), Dropout2d(0.5)] public partial DenseBlock C { get; }\n" + Output) }, "DSL0034"),
            ["Dropout2d rate out of range"] = (new[] { Net("[Conv2d(4, 3), Dropout2d(1.5)] public partial DenseBlock C { get; }\n[Flatten, Dense(2)] public partial DenseBlock Head { get; }", network: "Channels = 1, Height = 8, Width = 8") }, "DSL0004"),
            ["GroupNorm groups not dividing channels"] = (new[] { Net("[Conv2d(6, 3), GroupNorm(4)] public partial DenseBlock C { get; }\n[Flatten, Dense(2)] public partial DenseBlock Head { get; }", network: "Channels = 1, Height = 8, Width = 8") }, "DSL0005"),
            ["Image projection no stride can reach"] = (new[] { Net("[Conv2d(4, 3)] public partial DenseBlock A { get; }\n[Conv2d(4, 2), Add(nameof(A), Projection = true)] public partial DenseBlock B { get; }\n[Flatten, Dense(2)] public partial DenseBlock Head { get; }", network: "Channels = 1, Height = 8, Width = 8") }, "DSL0017"),
            ["Image residual from a later block"] = (new[] { Net("[Conv2d(4, 3, Padding = 1), Add(nameof(B))] public partial DenseBlock A { get; }\n[Conv2d(4, 3, Padding = 1)] public partial DenseBlock B { get; }\n[Flatten, Dense(2)] public partial DenseBlock Head { get; }", network: "Channels = 1, Height = 8, Width = 8") }, "DSL0019"),
            ["Network attribute on both halves of a partial class"] = (new[]
            {
                Net(Output),
                Net("[Dense(2), Relu] public partial DenseBlock Hidden { get; }"),
            }, "CS0579"),
        };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Malformed_input_gives_diagnostics_and_no_generator_exception(string name)
    {
        var (sources, expectedId) = Cases[name];
        var run = GeneratorHarness.Run(sources);

        Assert.Empty(run.Exceptions);
        Assert.DoesNotContain(run.OutputDiagnostics, d => d.Id is "CS8784" or "CS8785" || d.Id.StartsWith("AD", StringComparison.Ordinal));
        var all = run.GeneratorDiagnostics.Concat(run.OutputDiagnostics).ToList();
        Assert.True(all.Any(d => d.Id == expectedId),
            $"Expected {expectedId} among:{Environment.NewLine}{GeneratorHarness.Describe(all.Where(d => d.Severity >= DiagnosticSeverity.Warning || d.Id.StartsWith("DSL", StringComparison.Ordinal)))}");
        Assert.Contains(all, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void Partial_class_split_over_two_files_with_blocks_in_both_is_one_network()
    {
        // [Network] on one half; blocks in both. The blocks are taken in the order the compiler lists the members
        // (the first file's, then the second's), and the generated code compiles.
        const string first = """
            using DslNet;

            namespace Models;

            [Network(Inputs = 4)]
            public sealed partial class SplitNet
            {
                [Dense(8), Relu] public partial DenseBlock Hidden { get; }
            }
            """;
        const string second = """
            using DslNet;

            namespace Models;

            public sealed partial class SplitNet
            {
                [Dense(1)] public partial DenseBlock Output { get; }
            }
            """;
        var run = GeneratorHarness.Run(first, second);

        Assert.Empty(run.Exceptions);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(2, run.Sources.Length);
        Assert.Contains("public const int HiddenInputs = 4;", run.Source(".Model.g.cs"));
        Assert.Contains("public const int OutputInputs = 8;", run.Source(".Model.g.cs"));
        GeneratedCodeTests.AssertCompilesCleanly(run);
    }

    [Fact]
    public void Network_attribute_on_both_halves_generates_once()
    {
        var run = GeneratorHarness.Run(Cases["Network attribute on both halves of a partial class"].Sources);

        // CS0579 reports the duplicate; the generator parses the first [Network] only, so the hint names do not collide.
        Assert.Empty(run.Exceptions);
        Assert.Contains(run.OutputDiagnostics, d => d.Id == "CS0579");
        Assert.Equal(new[] { "Models.Net.Cpu.g.cs", "Models.Net.Model.g.cs" }, run.Sources.Select(s => s.HintName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_layout_larger_than_int_gives_no_generator_exception()
    {
        var run = GeneratorHarness.Run(Net("[Dense(int.MaxValue)] public partial DenseBlock Output { get; }", network: "Inputs = int.MaxValue"));

        Assert.Empty(run.Exceptions);
    }

    [Fact]
    public void A_layout_larger_than_int_is_a_diagnostic()
    {
        var run = GeneratorHarness.Run(Net("[Dense(int.MaxValue)] public partial DenseBlock Output { get; }", network: "Inputs = int.MaxValue"));

        Assert.Contains(run.GeneratorDiagnostics, d => d.Id == "DSL0015" && d.Severity == DiagnosticSeverity.Error);
        Assert.All(run.Sources, s => Assert.EndsWith(".Placeholder.g.cs", s.HintName));
    }

    [Theory]
    [InlineData("Parameters")]
    [InlineData("Summary")]
    [InlineData("Layout")]
    [InlineData("Seed")]
    public void A_block_named_like_a_generated_member_gives_no_generator_exception(string name)
    {
        var run = GeneratorHarness.Run(Net($"[Dense(8), Relu] public partial DenseBlock {name} {{ get; }}\n" + Output));

        Assert.Empty(run.Exceptions);
    }

    [Theory]
    [InlineData("Parameters")]
    [InlineData("Gradients")]
    [InlineData("Summary")]
    [InlineData("Layout")]
    [InlineData("StepCount")]
    [InlineData("Scratch")]
    [InlineData("Seed")]
    public void A_block_named_like_a_generated_member_is_a_diagnostic(string name)
    {
        var run = GeneratorHarness.Run(Net($"[Dense(8), Relu] public partial DenseBlock {name} {{ get; }}\n" + Output));

        Assert.Contains(run.GeneratorDiagnostics, d => d.Id == "DSL0016" && d.Severity == DiagnosticSeverity.Error);
        Assert.All(run.Sources, s => Assert.EndsWith(".Placeholder.g.cs", s.HintName));
    }

    [Fact]
    public void A_generator_exception_would_be_seen()
    {
        // The harness's check is live: a generator that throws is reported through Results[*].Exception.
        var compilation = GeneratorHarness.Compilation(TestModels.StreamRec);
        var driver = Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create(new ThrowingGenerator());
        var run = GeneratorHarness.Run(compilation, driver);

        Assert.Single(run.Exceptions);
        Assert.Contains(run.GeneratorDiagnostics, d => d.Id == "CS8785");
    }

    private sealed class ThrowingGenerator : IIncrementalGenerator
    {
        public void Initialize(IncrementalGeneratorInitializationContext context) =>
            context.RegisterSourceOutput(context.CompilationProvider, (_, _) => throw new InvalidOperationException("boom"));
    }
}
