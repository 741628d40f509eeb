using Microsoft.CodeAnalysis;
using static DslNet.Generator.Tests.DiagnosticAssert;

namespace DslNet.Generator.Tests;

/// <summary>
/// Every model diagnostic DSL0001–DSL0022: where it fires (ID, severity, the exact span, marked <c>{|…|}</c> in the
/// source, and its line and column) and that the nearest correct code does not fire it.
/// </summary>
public sealed class DiagnosticTests
{
    private const DiagnosticSeverity Error = DiagnosticSeverity.Error;
    private const DiagnosticSeverity Warning = DiagnosticSeverity.Warning;
    private const DiagnosticSeverity Info = DiagnosticSeverity.Info;

    /// <summary>
    /// A model in the layout all tests share: the class name is on line 6, the first block on line 8.
    /// </summary>
    private static string Net(string blocks, string network = "Inputs = 4", string declaration = "public sealed partial class {|Net|}") =>
        "using DslNet;\n" +
        "\n" +
        "namespace Models;\n" +
        "\n" +
        $"[Network({network})]\n" +
        declaration + "\n" +
        "{\n" +
        string.Join("\n", blocks.Trim('\n').Split('\n').Select(b => "    " + b.Trim())) + "\n" +
        "}\n";

    private static string Unmarked(string source) => source.Replace("{|", "").Replace("|}", "");

    private const string Output = "[Dense(1)] public partial DenseBlock Output { get; }";

    // ── DSL0001 Network class must be partial ──

    [Fact]
    public void DSL0001_on_the_identifier_of_a_class_that_is_not_partial()
    {
        var diagnostic = Single(Net(Output, declaration: "public sealed class {|Net|}"), "DSL0001", Error, 6, 21);
        Assert.Contains("'Net' must be declared 'partial'", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0001_not_on_a_partial_class() => None(Unmarked(Net(Output)), "DSL0001");

    // ── DSL0002 Network has no blocks ──

    [Fact]
    public void DSL0002_on_the_identifier_of_a_network_without_blocks() =>
        Single(Net("public int NotABlock { get; set; }"), "DSL0002", Error, 6, 29);

    [Fact]
    public void DSL0002_not_when_there_is_a_block() => None(Unmarked(Net(Output)), "DSL0002");

    // ── DSL0003 Width must be positive ──

    [Fact]
    public void DSL0003_on_the_class_when_Inputs_is_missing() =>
        Single(Net(Output, network: "Loss = Loss.MeanSquaredError"), "DSL0003", Error, 6, 29);

    [Fact]
    public void DSL0003_on_the_Dense_attribute_with_zero_units()
    {
        var diagnostic = Single(Net("[{|Dense(0)|}] public partial DenseBlock Output { get; }", declaration: "public sealed partial class Net"),
            "DSL0003", Error, 8, 6);
        Assert.Contains("Dense units of 'Output' is 0", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0003_on_the_Dense_attribute_with_a_non_positive_InitStd() =>
        Single(Net("[{|Dense(1, Init = Init.Normal, InitStd = 0)|}] public partial DenseBlock Output { get; }",
            declaration: "public sealed partial class Net"), "DSL0003", Error, 8, 6);

    [Fact]
    public void DSL0003_not_for_positive_widths() =>
        None(Net("[Dense(1, Init = Init.Normal, InitStd = 0.02)] public partial DenseBlock Output { get; }",
            declaration: "public sealed partial class Net"), "DSL0003");

    // ── DSL0004 Dropout rate outside [0, 1) ──

    [Theory]
    [InlineData("1.5")]
    [InlineData("1.0")]
    [InlineData("-0.1")]
    public void DSL0004_on_the_Dropout_attribute(string rate)
    {
        var diagnostic = Single(Net($"[Dense(8), Relu, {{|Dropout({rate})|}}] public partial DenseBlock Hidden {{ get; }}\n{Output}",
            declaration: "public sealed partial class Net"), "DSL0004", Error, 8, 22);
        Assert.Contains("on 'Hidden' is outside [0, 1)", diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.5")]
    [InlineData("0.99")]
    public void DSL0004_not_for_a_rate_in_range(string rate) =>
        None(Net($"[Dense(8), Relu, Dropout({rate})] public partial DenseBlock Hidden {{ get; }}\n{Output}",
            declaration: "public sealed partial class Net"), "DSL0004");

    // ── DSL0005 GroupNorm groups must divide the width ──

    [Theory]
    [InlineData("3")]
    [InlineData("0")]
    [InlineData("16")]
    public void DSL0005_on_the_GroupNorm_attribute(string groups) =>
        Single(Net($"[Dense(8), {{|GroupNorm({groups})|}}, Relu] public partial DenseBlock Hidden {{ get; }}\n{Output}",
            declaration: "public sealed partial class Net"), "DSL0005", Error, 8, 16);

    [Fact]
    public void DSL0005_not_when_the_groups_divide_the_width() =>
        None(Net($"[Dense(8), GroupNorm(4), Relu] public partial DenseBlock Hidden {{ get; }}\n{Output}",
            declaration: "public sealed partial class Net"), "DSL0005");

    // ── DSL0006 Invalid layer combination ──

    [Fact]
    public void DSL0006_on_the_block_when_a_layer_comes_before_Dense()
    {
        var diagnostic = Single(Net($"[Relu, Dense(8)] public partial DenseBlock {{|Hidden|}} {{ get; }}\n{Output}",
            declaration: "public sealed partial class Net"), "DSL0006", Error, 8, 48);
        Assert.Contains("[Relu] comes before [Dense]", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0006_on_the_normalization_that_follows_an_activation()
    {
        var diagnostic = Single(Net($"[Dense(8), Relu, {{|BatchNorm|}}] public partial DenseBlock Hidden {{ get; }}\n{Output}",
            declaration: "public sealed partial class Net"), "DSL0006", Error, 8, 22);
        Assert.Contains("[BatchNorm] comes after an activation", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0006_on_the_second_activation()
    {
        var diagnostic = Single(Net($"[Dense(8), Relu, {{|Tanh|}}] public partial DenseBlock Hidden {{ get; }}\n{Output}",
            declaration: "public sealed partial class Net"), "DSL0006", Error, 8, 22);
        Assert.Contains("more than one activation ([Tanh])", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0006_on_a_second_Dense_in_one_block() =>
        Single(Net($"[Dense(8), Relu, {{|Dense(4)|}}] public partial DenseBlock Hidden {{ get; }}\n{Output}",
            declaration: "public sealed partial class Net"), "DSL0006", Error, 8, 22);

    [Fact]
    public void DSL0006_on_the_block_without_Dense() =>
        Single(Net($"[Relu] public partial DenseBlock {{|Hidden|}} {{ get; }}\n{Output}",
            declaration: "public sealed partial class Net"), "DSL0006", Error, 8, 38);

    [Fact]
    public void DSL0006_on_a_DenseBlock_property_without_layers()
    {
        var diagnostic = Single(Net($"public partial DenseBlock {{|Hidden|}} {{ get; }}\n{Output}",
            declaration: "public sealed partial class Net"), "DSL0006", Error, 8, 31);
        Assert.Contains("it has no layers", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0006_not_for_the_full_order() =>
        None(Net($"[Dense(8, Bias = false), BatchNorm, Relu, Dropout(0.1)] public partial DenseBlock Hidden {{ get; }}\n{Output}",
            declaration: "public sealed partial class Net"), "DSL0006");

    [Fact]
    public void DSL0006_not_for_the_pre_activation_form() =>
        None(Net("[Dense(8)] public partial DenseBlock Stem { get; }\n" +
                 "[BatchNorm, Relu, Dense(8), Add(nameof(Stem))] public partial DenseBlock Unit { get; }\n" +
                 "[LayerNorm, Dense(8), Dropout(0.1), Add(nameof(Unit))] public partial DenseBlock Unit2 { get; }\n" + Output,
            declaration: "public sealed partial class Net"), "DSL0006");

    [Fact]
    public void DSL0006_on_a_layer_between_the_leading_normalization_and_Dense()
    {
        var diagnostic = Single(Net($"[BatchNorm, {{|Dropout(0.1)|}}, Dense(8)] public partial DenseBlock Hidden {{ get; }}\n{Output}",
            declaration: "public sealed partial class Net"), "DSL0006", Error, 8, 17);
        Assert.Contains("[Dropout] comes between [BatchNorm] and [Dense]", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0006_on_a_second_normalization_in_a_pre_activation_block()
    {
        var diagnostic = Single(Net($"[BatchNorm, Relu, Dense(8), {{|LayerNorm|}}] public partial DenseBlock Hidden {{ get; }}\n{Output}",
            declaration: "public sealed partial class Net"), "DSL0006", Error, 8, 33);
        Assert.Contains("more than one normalization ([LayerNorm])", diagnostic.GetMessage());
    }

    // ── DSL0007 Xavier in front of ReLU ──

    [Theory]
    [InlineData("Init.XavierUniform", "Relu")]
    [InlineData("Init.XavierNormal", "LeakyRelu(0.1)")]
    [InlineData("Init.XavierUniform", "Gelu")]
    public void DSL0007_on_the_Dense_attribute(string init, string activation)
    {
        var diagnostic = Single(Net($"[{{|Dense(8, Init = {init})|}}, {activation}] public partial DenseBlock Hidden {{ get; }}\n{Output}",
            declaration: "public sealed partial class Net"), "DSL0007", Warning, 8, 6);
        Assert.Contains($"uses {init} in front of", diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("Init.XavierUniform", "Tanh")]
    [InlineData("Init.XavierNormal", "Sigmoid")]
    [InlineData("Init.HeNormal", "Relu")]
    [InlineData("Init.Auto", "Relu")]
    public void DSL0007_not_for_a_matching_initializer(string init, string activation) =>
        None(Net($"[Dense(8, Init = {init}), {activation}] public partial DenseBlock Hidden {{ get; }}\n{Output}",
            declaration: "public sealed partial class Net"), "DSL0007");

    // ── DSL0008 Bias before BatchNorm ──

    [Fact]
    public void DSL0008_on_the_Dense_attribute_with_default_bias_before_BatchNorm() =>
        Single(Net($"[{{|Dense(8)|}}, BatchNorm] public partial DenseBlock Hidden {{ get; }}\n{Output}",
            declaration: "public sealed partial class Net"), "DSL0008", Info, 8, 6);

    [Theory]
    [InlineData("[Dense(8, Bias = false), BatchNorm]")]
    [InlineData("[Dense(8), LayerNorm]")]
    [InlineData("[Dense(8), GroupNorm(2)]")]
    public void DSL0008_not_without_bias_or_with_another_normalization(string block) =>
        None(Net($"{block} public partial DenseBlock Hidden {{ get; }}\n{Output}",
            declaration: "public sealed partial class Net"), "DSL0008");

    // ── DSL0009 Block property has the wrong form ──

    [Theory]
    [InlineData("[Dense(1)] public DenseBlock {|Output|} { get; }", 34, "it is not partial")]
    [InlineData("[Dense(1)] public partial int {|Output|} { get; }", 35, "its type is 'int', not DenseBlock")]
    [InlineData("[Dense(1)] public static partial DenseBlock {|Output|} { get; }", 49, "it is static")]
    [InlineData("[Dense(1)] public partial DenseBlock {|Output|} { get; set; }", 42, "it has a setter")]
    public void DSL0009_on_the_property_identifier(string block, int column, string problem)
    {
        var diagnostic = Single(Net(block, declaration: "public sealed partial class Net"), "DSL0009", Error, 8, column);
        Assert.Contains(problem, diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0009_not_for_a_partial_getter_only_DenseBlock() =>
        None(Unmarked(Net(Output)), "DSL0009");

    // ── DSL0010 Network class shape not supported ──

    [Theory]
    [InlineData("public sealed partial class {|Net|}<T>", 29, "generic")]
    [InlineData("public static partial class {|Net|}", 29, "static")]
    [InlineData("public abstract partial class {|Net|}", 31, "abstract")]
    public void DSL0010_on_the_class_identifier(string declaration, int column, string shape)
    {
        var diagnostic = Single(Net(Output, declaration: declaration), "DSL0010", Error, 6, column);
        Assert.Contains($"cannot be {shape}", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0010_on_a_class_nested_in_another_type()
    {
        const string source = """
            using DslNet;

            public static partial class Outer
            {
                [Network(Inputs = 4)]
                public sealed partial class {|Net|}
                {
                    [Dense(1)] public partial DenseBlock Output { get; }
                }
            }
            """;
        var diagnostic = Single(source, "DSL0010", Error, 6, 33);
        Assert.Contains("cannot be nested in another type", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0010_not_for_a_sealed_or_unsealed_top_level_class()
    {
        None(Unmarked(Net(Output)), "DSL0010");
        None(Unmarked(Net(Output, declaration: "internal partial class Net")), "DSL0010");
    }

    // ── DSL0011 Invalid normalization setting ──

    [Theory]
    [InlineData("BatchNorm(Eps = 0)", "Eps = 0")]
    [InlineData("BatchNorm(Momentum = 1.5)", "Momentum = 1.5")]
    [InlineData("LayerNorm(Eps = -1e-5)", "Eps = -1E-05")]
    [InlineData("GroupNorm(2, Eps = 0)", "Eps = 0")]
    public void DSL0011_on_the_normalization_attribute(string norm, string setting)
    {
        var diagnostic = Single(Net($"[Dense(8, Bias = false), {{|{norm}|}}, Relu] public partial DenseBlock Hidden {{ get; }}\n{Output}",
            declaration: "public sealed partial class Net"), "DSL0011", Error, 8, 30);
        Assert.Contains(setting, diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0011_not_for_valid_settings() =>
        None(Net($"[Dense(8, Bias = false), BatchNorm(Momentum = 1, Eps = 1e-3), Relu] public partial DenseBlock Hidden {{ get; }}\n{Output}",
            declaration: "public sealed partial class Net"), "DSL0011");

    // ── DSL0012 Output activation before a logits loss ──

    [Fact]
    public void DSL0012_on_a_final_Sigmoid_with_BinaryCrossEntropyWithLogits()
    {
        var diagnostic = Single(Net("[Dense(1), {|Sigmoid|}] public partial DenseBlock Output { get; }",
            network: "Inputs = 4, Loss = Loss.BinaryCrossEntropyWithLogits", declaration: "public sealed partial class Net"),
            "DSL0012", Warning, 8, 16);
        Assert.Contains("ends the network with [Sigmoid], but BinaryCrossEntropyWithLogits applies its own sigmoid", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0012_on_a_final_activation_with_CrossEntropy()
    {
        var diagnostic = Single(Net("[Dense(3), {|Relu|}] public partial DenseBlock Output { get; }",
            network: "Inputs = 4, Loss = Loss.CrossEntropy", declaration: "public sealed partial class Net"),
            "DSL0012", Warning, 8, 16);
        Assert.Contains("applies its own softmax", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0012_not_for_a_final_activation_with_MeanSquaredError() =>
        None(Net("[Dense(1), Sigmoid] public partial DenseBlock Output { get; }",
            network: "Inputs = 4, Loss = Loss.MeanSquaredError", declaration: "public sealed partial class Net"), "DSL0012");

    [Fact]
    public void DSL0012_not_for_an_activation_on_a_hidden_block() =>
        None(Net($"[Dense(8), Sigmoid] public partial DenseBlock Hidden {{ get; }}\n{Output}",
            network: "Inputs = 4, Loss = Loss.BinaryCrossEntropyWithLogits", declaration: "public sealed partial class Net"), "DSL0012");

    // ── DSL0013 CrossEntropy needs two classes ──

    [Fact]
    public void DSL0013_on_the_last_block_identifier()
    {
        var diagnostic = Single(Net("[Dense(1)] public partial DenseBlock {|Logits|} { get; }",
            network: "Inputs = 4, Loss = Loss.CrossEntropy", declaration: "public sealed partial class Net"), "DSL0013", Error, 8, 42);
        Assert.Contains("'Logits' has 1 output(s)", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0013_not_with_two_classes() =>
        None(Net("[Dense(2)] public partial DenseBlock Logits { get; }",
            network: "Inputs = 4, Loss = Loss.CrossEntropy", declaration: "public sealed partial class Net"), "DSL0013");

    // ── DSL0014 Dropout on the output ──

    [Fact]
    public void DSL0014_on_the_Dropout_of_the_last_block() =>
        Single(Net("[Dense(1), {|Dropout(0.2)|}] public partial DenseBlock Output { get; }",
            declaration: "public sealed partial class Net"), "DSL0014", Warning, 8, 16);

    [Theory]
    [InlineData("[Dense(8), Relu, Dropout(0.2)] public partial DenseBlock Hidden { get; }\n[Dense(1)] public partial DenseBlock Output { get; }")]
    [InlineData("[Dense(1), Dropout(0)] public partial DenseBlock Output { get; }")]
    public void DSL0014_not_on_hidden_blocks_or_for_rate_zero(string blocks) =>
        None(Net(blocks, declaration: "public sealed partial class Net"), "DSL0014");

    // ── DSL0015 Too large for a flat buffer ──

    [Fact]
    public void DSL0015_on_the_block_that_overflows_the_parameters()
    {
        var diagnostic = Single(Net("[Dense(65536)] public partial DenseBlock Wide { get; }\n[Dense(65536)] public partial DenseBlock {|Wider|} { get; }",
            network: "Inputs = 8", declaration: "public sealed partial class Net"), "DSL0015", Error, 9, 46);
        Assert.Contains("parameters", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0015_not_for_a_large_model_that_fits() =>
        None(Net("[Dense(4096)] public partial DenseBlock Wide { get; }\n[Dense(4096)] public partial DenseBlock Wider { get; }",
            network: "Inputs = 4096", declaration: "public sealed partial class Net"), "DSL0015");

    // ── DSL0016 Block name collides with a generated member ──

    [Fact]
    public void DSL0016_on_a_block_named_like_a_generated_member()
    {
        var diagnostic = Single(Net("[Dense(1)] public partial DenseBlock {|Gradients|} { get; }",
            declaration: "public sealed partial class Net"), "DSL0016", Error, 8, 42);
        Assert.Contains("member Gradients", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0016_not_for_ordinary_names() =>
        None(Net("[Dense(1)] public partial DenseBlock Logits { get; }", declaration: "public sealed partial class Net"), "DSL0016");

    // ── DSL0017–DSL0020 Residual connections ──

    private const string Hidden1 = "[Dense(8), Relu] public partial DenseBlock Hidden1 { get; }";

    [Fact]
    public void DSL0017_on_an_Add_whose_widths_differ_without_a_projection()
    {
        var diagnostic = Single(Net(Hidden1 + "\n[Dense(6), {|Add(nameof(Hidden1))|}] public partial DenseBlock Hidden2 { get; }\n" + Output,
            declaration: "public sealed partial class Net"), "DSL0017", Error, 9, 16);
        Assert.Contains("adds 'Hidden1' of shape [8] to its own output of shape [6]", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0017_not_with_a_projection_or_equal_widths()
    {
        None(Net(Hidden1 + "\n[Dense(6), Add(nameof(Hidden1), Projection = true)] public partial DenseBlock Hidden2 { get; }\n" + Output,
            declaration: "public sealed partial class Net"), "DSL0017");
        None(Net(Hidden1 + "\n[Dense(8), Add(nameof(Hidden1))] public partial DenseBlock Hidden2 { get; }\n" + Output,
            declaration: "public sealed partial class Net"), "DSL0017");
    }

    [Fact]
    public void DSL0018_on_an_Add_naming_no_block() =>
        Single(Net(Hidden1 + "\n[Dense(8), {|Add(\"Hiden1\")|}] public partial DenseBlock Hidden2 { get; }\n" + Output,
            declaration: "public sealed partial class Net"), "DSL0018", Error, 9, 16);

    [Fact]
    public void DSL0019_on_an_Add_naming_a_later_block()
    {
        var diagnostic = Single(Net("[Dense(8), Relu, {|Add(nameof(Hidden2))|}] public partial DenseBlock Hidden1 { get; }\n" +
            "[Dense(8)] public partial DenseBlock Hidden2 { get; }\n" + Output, declaration: "public sealed partial class Net"), "DSL0019", Error, 8, 22);
        Assert.Contains("comes after it", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0020_on_an_Add_naming_its_own_block() =>
        Single(Net(Hidden1 + "\n[Dense(8), {|Add(nameof(Hidden2))|}] public partial DenseBlock Hidden2 { get; }\n" + Output,
            declaration: "public sealed partial class Net"), "DSL0020", Error, 9, 16);

    // ── DSL0022 Pre-activation block after a normalized and activated block ──

    [Fact]
    public void DSL0022_on_the_normalization_of_a_pre_activation_block_whose_input_is_already_normalized_and_activated()
    {
        var diagnostic = Single(Net("[Dense(8, Bias = false), BatchNorm, Relu] public partial DenseBlock Stem { get; }\n" +
                                    "[{|BatchNorm|}, Relu, Dense(8), Add(nameof(Stem))] public partial DenseBlock Unit { get; }\n" + Output,
            declaration: "public sealed partial class Net"), "DSL0022", Warning, 9, 6);
        Assert.Contains("Block 'Unit' starts with [BatchNorm, Relu] on 'Stem', which already ends in [BatchNorm, Relu]", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0022_not_after_a_residual_sum_or_a_bare_block() =>
        None(Net("[Dense(8)] public partial DenseBlock Stem { get; }\n" +
                 "[BatchNorm, Relu, Dense(8), Add(nameof(Stem))] public partial DenseBlock Unit1 { get; }\n" +
                 "[Dense(8, Bias = false), BatchNorm, Relu, Add(nameof(Unit1))] public partial DenseBlock Unit2 { get; }\n" +
                 "[BatchNorm, Relu, Dense(8), Add(nameof(Unit2))] public partial DenseBlock Unit3 { get; }\n" + Output,
            declaration: "public sealed partial class Net"), "DSL0022");

    [Fact]
    public void DSL0005_on_a_pre_activation_GroupNorm_that_does_not_divide_the_input_width()
    {
        var diagnostic = Single(Net(Hidden1 + "\n[{|GroupNorm(3)|}, Relu, Dense(4)] public partial DenseBlock Unit { get; }\n" + Output,
            declaration: "public sealed partial class Net"), "DSL0005", Error, 9, 6);
        Assert.Contains("GroupNorm(3) on 'Unit' cannot split 8 features", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0012_not_for_the_activation_before_a_pre_activation_heads_Dense() =>
        None(Net(Hidden1 + "\n[BatchNorm, Relu, Dense(1)] public partial DenseBlock Output { get; }",
            network: "Inputs = 4, Loss = Loss.BinaryCrossEntropyWithLogits", declaration: "public sealed partial class Net"), "DSL0012");

    [Fact]
    public void DSL0006_on_an_Add_that_is_not_last_in_its_block() =>
        Single(Net(Hidden1 + "\n[Dense(8), Add(nameof(Hidden1)), {|Relu|}] public partial DenseBlock Hidden2 { get; }\n" + Output,
            declaration: "public sealed partial class Net"), "DSL0006", Error, 9, 38);

    [Fact]
    public void DSL0021_on_a_zero_initialized_branch_in_front_of_relu()
    {
        var diagnostic = Single(Net(Hidden1 + "\n[Dense(8, Bias = false), BatchNorm, Relu, {|Add(nameof(Hidden1))|}] public partial DenseBlock Unit { get; }\n" + Output,
            network: "Inputs = 4, ResidualInit = ResidualInit.ZeroLastNorm", declaration: "public sealed partial class Net"), "DSL0021", Warning, 9, 47);
        Assert.Contains("normalization's γ", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL0021_not_when_the_branch_ends_with_its_norm_or_the_init_is_default()
    {
        None(Net(Hidden1 + "\n[Dense(8, Bias = false), BatchNorm, Add(nameof(Hidden1))] public partial DenseBlock Unit { get; }\n" + Output,
            network: "Inputs = 4, ResidualInit = ResidualInit.ZeroLastNorm", declaration: "public sealed partial class Net"), "DSL0021");
        None(Net(Hidden1 + "\n[Dense(8, Bias = false), BatchNorm, Relu, Add(nameof(Hidden1))] public partial DenseBlock Unit { get; }\n" + Output,
            declaration: "public sealed partial class Net"), "DSL0021");
    }

    // ── Across all IDs ──

    [Fact]
    public void Correct_models_fire_no_model_diagnostic_except_the_bias_info()
    {
        foreach (var source in TestModels.LayerKinds.Values.Append(TestModels.StreamRec))
        {
            var run = GeneratorHarness.Run(source);
            Assert.True(run.GeneratorDiagnostics.All(d => d.Id == "DSL0008"), GeneratorHarness.Describe(run.GeneratorDiagnostics));
        }
    }

    [Fact]
    public void Every_descriptor_links_to_its_section_of_docs_diagnostics_md()
    {
        var root = RepositoryRoot();
        var docs = File.ReadAllText(Path.Combine(root, "docs", "diagnostics.md"));
        var releases = File.ReadAllText(Path.Combine(root, "src", "Generator", "AnalyzerReleases.Unshipped.md"));
        var ids = Enumerable.Range(1, 21).Select(i => $"DSL{i:0000}").ToList();
        foreach (var id in ids)
        {
            var descriptor = Diagnostics.ById(id);
            Assert.Equal("DslNet.Model", descriptor.Category);
            Assert.Contains("docs/diagnostics.md#" + id.ToLowerInvariant(), descriptor.Description.ToString());
            Assert.Contains($"<a id=\"{id.ToLowerInvariant()}\"></a>\n## {id}: {descriptor.Title}", docs.Replace("\r\n", "\n"));
            Assert.Contains($"| [{id}](#{id.ToLowerInvariant()}) | {descriptor.DefaultSeverity} | {descriptor.Title} |", docs);
            Assert.Contains($"{id} | DslNet.Model | {descriptor.DefaultSeverity} | {descriptor.Title}", releases);
        }
    }

    private static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string file = "")
    {
        foreach (var start in new[] { Path.GetDirectoryName(file), AppContext.BaseDirectory })
            for (var dir = start; !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
                if (File.Exists(Path.Combine(dir, "Directory.Packages.props")) && Directory.Exists(Path.Combine(dir, "src", "Generator")))
                    return dir;
        throw new InvalidOperationException("Cannot find the repository root.");
    }
}
