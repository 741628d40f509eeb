using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Tests;

/// <summary>An invalid model shows its DSL diagnostic alone: no compiler error per block on top of it.</summary>
public sealed class InvalidModelNoiseTests
{
    private const string ThreeBlocksOneMistake = """
        using DslNet;

        namespace Models;

        [Network(Inputs = 8, Loss = Loss.BinaryCrossEntropyWithLogits)]
        public sealed partial class Net
        {
            [Dense(16), Relu, Dropout(1.5)] public partial DenseBlock Hidden1 { get; }
            [Dense(8), Relu] public partial DenseBlock Hidden2 { get; }
            [Dense(1)] internal partial DenseBlock Output { get; }
        }
        """;

    [Fact]
    public void Only_the_DSL_error_is_reported_and_the_model_still_compiles()
    {
        var run = GeneratorHarness.Run(ThreeBlocksOneMistake);
        Assert.Empty(run.Exceptions);
        Assert.Contains(run.Dsl, d => d.Severity == DiagnosticSeverity.Error);
        var compilerErrors = run.OutputDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(compilerErrors.Count == 0, GeneratorHarness.Describe(compilerErrors));
        var placeholder = Assert.Single(run.Sources);
        Assert.Equal("Models.Net.Placeholder.g.cs", placeholder.HintName);
        Assert.Contains("internal partial global::DslNet.DenseBlock Output", placeholder.Text);
        Assert.Contains("throw new global::System.InvalidOperationException", placeholder.Text);
    }

    [Fact]
    public void A_class_that_is_not_partial_gets_no_placeholder()
    {
        var run = GeneratorHarness.Run(ThreeBlocksOneMistake.Replace("sealed partial class", "sealed class"));
        Assert.Empty(run.Sources);
        Assert.Contains(run.Dsl, d => d.Id == "DSL0001");
    }
}
