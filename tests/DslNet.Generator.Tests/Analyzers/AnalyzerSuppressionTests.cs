using Microsoft.CodeAnalysis;
using static DslNet.Generator.Tests.Analyzers.TrainingSource;

namespace DslNet.Generator.Tests.Analyzers;

/// <summary>The analyzers' diagnostics obey #pragma and project-wide severities (NoWarn, .editorconfig / global config).</summary>
public sealed class AnalyzerSuppressionTests
{
    private static readonly string Source = Method("""
        #pragma warning disable DSL2001 // deliberate: comparing with PyTorch's Adam
        var adam = new Adam(model.Parameters, weightDecay: 1e-4);
        #pragma warning restore DSL2001
        var adam2 = new Adam(model.Parameters, weightDecay: 1e-4);
        """);

    [Fact]
    public void Pragma_suppresses_only_the_enclosed_call()
    {
        var run = AnalyzerHarness.Run(Source);
        var reported = run.Dsl.Where(d => d.Id == "DSL2001").ToList();
        Assert.Equal(2, reported.Count);
        Assert.Single(reported, d => d.IsSuppressed);
        Assert.Single(reported, d => !d.IsSuppressed);
    }

    [Fact]
    public void Project_wide_severity_applies()
    {
        var compilation = GeneratorHarness.Compilation(Source, AnalyzerHarness.Model);
        compilation = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(
            compilation.Options.SpecificDiagnosticOptions.SetItem("DSL2001", ReportDiagnostic.Error)));
        var run = AnalyzerHarness.Run(compilation);
        Assert.All(run.Dsl.Where(d => d.Id == "DSL2001" && !d.IsSuppressed), d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));

        compilation = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(
            compilation.Options.SpecificDiagnosticOptions.SetItem("DSL2001", ReportDiagnostic.Suppress)));
        Assert.DoesNotContain(AnalyzerHarness.Run(compilation).Dsl, d => d.Id == "DSL2001" && !d.IsSuppressed);
    }

    [Fact]
    public void Every_analyzer_descriptor_points_to_its_documentation_section()
    {
        var docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "diagnostics.md"));
        foreach (var descriptor in new DslNet.Generator.Analyzers.TrainingLoopAnalyzer().SupportedDiagnostics)
        {
            Assert.Contains("docs/diagnostics.md#" + descriptor.Id.ToLowerInvariant(), descriptor.Description.ToString());
            Assert.Contains($"<a id=\"{descriptor.Id.ToLowerInvariant()}\"></a>", docs);
            Assert.Contains($"[{descriptor.Id}](#{descriptor.Id.ToLowerInvariant()})", docs);
        }
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "DslNet.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("DslNet.sln not found above " + AppContext.BaseDirectory);
    }
}
