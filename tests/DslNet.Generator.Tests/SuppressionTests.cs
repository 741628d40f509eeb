using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Tests;

/// <summary>
/// The ways docs/diagnostics.md tells users to silence or re-grade a diagnostic work: #pragma warning disable in the
/// model's file, a per-file .editorconfig severity, and a project-wide severity (NoWarn, global config).
/// </summary>
public sealed class SuppressionTests
{
    private const string Model = """
        using DslNet;

        namespace Models;

        {0}
        [Network(Inputs = 4)]
        public sealed partial class Net
        {{
            [Dense(8), BatchNorm, Relu] public partial DenseBlock Hidden {{ get; }}
            [Dense(1), Dropout(0.2)] public partial DenseBlock Output {{ get; }}
        }}
        """;

    private static IEnumerable<Diagnostic> Active(GeneratorRun run, string id) =>
        run.GeneratorDiagnostics.Where(d => d.Id == id && !d.IsSuppressed);

    [Fact]
    public void Without_suppression_both_diagnostics_are_reported()
    {
        var run = GeneratorHarness.Run(string.Format(Model, ""));

        Assert.Single(Active(run, "DSL0008"));
        Assert.Single(Active(run, "DSL0014"));
    }

    [Fact]
    public void Pragma_warning_disable_silences_a_warning_and_an_info()
    {
        var run = GeneratorHarness.Run(string.Format(Model, "#pragma warning disable DSL0014, DSL0008 // reasons here"));

        Assert.Empty(Active(run, "DSL0014"));
        Assert.Empty(Active(run, "DSL0008"));
        Assert.Equal(2, run.Sources.Length);
    }

    [Fact]
    public void Per_file_editorconfig_severity_applies()
    {
        // [*.cs] dotnet_diagnostic.DSL0014.severity = none / dotnet_diagnostic.DSL0008.severity = warning
        var compilation = GeneratorHarness.Compilation(string.Format(Model, ""));
        compilation = compilation.WithOptions(compilation.Options.WithSyntaxTreeOptionsProvider(new PerFileSeverities(
            new Dictionary<string, ReportDiagnostic> { ["DSL0014"] = ReportDiagnostic.Suppress, ["DSL0008"] = ReportDiagnostic.Warn })));

        var run = GeneratorHarness.Run(compilation);

        Assert.Empty(Active(run, "DSL0014"));
        Assert.Equal(DiagnosticSeverity.Warning, Assert.Single(Active(run, "DSL0008")).Severity);
    }

    [Fact]
    public void Project_wide_severity_applies()
    {
        // <NoWarn>DSL0014</NoWarn>, or is_global = true + dotnet_diagnostic.DSL0008.severity = error
        var compilation = GeneratorHarness.Compilation(string.Format(Model, ""));
        compilation = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(
            compilation.Options.SpecificDiagnosticOptions.SetItem("DSL0014", ReportDiagnostic.Suppress).SetItem("DSL0008", ReportDiagnostic.Error)));

        var run = GeneratorHarness.Run(compilation);

        Assert.Empty(Active(run, "DSL0014"));
        Assert.Equal(DiagnosticSeverity.Error, Assert.Single(Active(run, "DSL0008")).Severity);
    }

    /// <summary>What the compiler builds from an .editorconfig section that matches every file.</summary>
    private sealed class PerFileSeverities(IReadOnlyDictionary<string, ReportDiagnostic> severities) : SyntaxTreeOptionsProvider
    {
        public override GeneratedKind IsGenerated(SyntaxTree tree, CancellationToken cancellationToken) => GeneratedKind.Unknown;

        public override bool TryGetDiagnosticValue(SyntaxTree tree, string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity) =>
            severities.TryGetValue(diagnosticId, out severity);

        public override bool TryGetGlobalDiagnosticValue(string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
        {
            severity = ReportDiagnostic.Default;
            return false;
        }
    }
}
