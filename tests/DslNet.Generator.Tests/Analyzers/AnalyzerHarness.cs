using System.Collections.Immutable;
using DslNet.Generator.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DslNet.Generator.Tests.Analyzers;

/// <summary>The generator, then the analyzers over its output, the way a build runs them.</summary>
internal sealed record AnalyzerRun(GeneratorRun Generator, ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<Exception> Exceptions)
{
    /// <summary>DSL1xxx–DSL3xxx diagnostics of the analyzers (not the generator's model diagnostics).</summary>
    public ImmutableArray<Diagnostic> Dsl => Diagnostics.Where(d => d.Id.StartsWith("DSL", StringComparison.Ordinal)).ToImmutableArray();
}

internal static class AnalyzerHarness
{
    /// <summary>A small valid model, compiled next to each training-loop snippet (as the file Model1.cs).</summary>
    public const string Model = """
        using DslNet;

        [Network(Inputs = 4, Loss = Loss.MeanSquaredError)]
        public sealed partial class Net
        {
            [Dense(8), Relu] public partial DenseBlock Hidden { get; }
            [Dense(1)] public partial DenseBlock Output { get; }
        }
        """;

    /// <summary>Runs the generator and then <see cref="TrainingLoopAnalyzer"/>; analyzer exceptions are collected, not thrown.</summary>
    public static AnalyzerRun Run(params string[] sources) => Run(GeneratorHarness.Compilation(sources.Append(Model).ToArray()));

    public static AnalyzerRun Run(Compilation compilation)
    {
        var generator = GeneratorHarness.Run((Microsoft.CodeAnalysis.CSharp.CSharpCompilation)compilation);
        var exceptions = new List<Exception>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: (exception, _, _) => { lock (exceptions) exceptions.Add(exception); },
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false,
            reportSuppressedDiagnostics: true);
        var withAnalyzers = generator.Output.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new TrainingLoopAnalyzer()), options);
        var diagnostics = withAnalyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        return new AnalyzerRun(generator, diagnostics, exceptions.ToImmutableArray());
    }

    /// <summary>
    /// Asserts exactly one <paramref name="id"/> with <paramref name="severity"/> at the <c>{|…|}</c> span, no other
    /// analyzer diagnostic unless listed in <paramref name="alsoAllowed"/>, and that the snippet itself compiles.
    /// </summary>
    public static Diagnostic Single(string marked, string id, DiagnosticSeverity severity = DiagnosticSeverity.Warning, params string[] alsoAllowed)
    {
        var source = MarkedSource.Parse(marked);
        Assert.True(source.Span.HasValue, "The test source has no {|...|} mark.");
        var run = Run(source.Text);
        AssertClean(run);
        var matching = run.Dsl.Where(d => d.Id == id).ToList();
        Assert.True(matching.Count == 1, $"Expected one {id}, got {matching.Count}:{Environment.NewLine}{GeneratorHarness.Describe(run.Dsl)}");
        var diagnostic = matching[0];
        Assert.Equal(severity, diagnostic.Severity);
        Assert.Equal("Model.cs", diagnostic.Location.SourceTree!.FilePath);
        Assert.Equal(source.Text.Substring(source.Span!.Value.Start, source.Span.Value.Length),
            source.Text.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        var others = run.Dsl.Where(d => d.Id != id && !alsoAllowed.Contains(d.Id)).ToList();
        Assert.True(others.Count == 0, $"Unexpected diagnostics besides {id}:{Environment.NewLine}{GeneratorHarness.Describe(others)}");
        return diagnostic;
    }

    /// <summary>Asserts no analyzer diagnostic at all on correct code (a rule that fires here is a defect).</summary>
    public static AnalyzerRun None(string source, params string[] allowed)
    {
        var run = Run(source);
        AssertClean(run);
        var reported = run.Dsl.Where(d => !allowed.Contains(d.Id)).ToList();
        Assert.True(reported.Count == 0, $"Diagnostics on correct code:{Environment.NewLine}{GeneratorHarness.Describe(reported)}");
        return run;
    }

    private static void AssertClean(AnalyzerRun run)
    {
        Assert.Empty(run.Exceptions);
        Assert.Empty(run.Generator.Exceptions);
        Assert.DoesNotContain(run.Diagnostics, d => d.Id.StartsWith("AD", StringComparison.Ordinal));
        var errors = run.Generator.OutputDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, $"The test snippet does not compile:{Environment.NewLine}{GeneratorHarness.Describe(errors)}");
    }
}
