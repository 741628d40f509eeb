using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DslNet.Benchmarks;

/// <summary>What a build does with a compilation: its own diagnostics, alone or with analyzers, on a fresh clone.</summary>
internal static class Compiler
{
    /// <summary>The compiler's diagnostics (declarations and every method body bound), no analyzer.</summary>
    public static int CompileOnly(Compilation compilation) => compilation.Clone().GetDiagnostics().Length;

    /// <summary>
    /// The compiler's and the analyzers' diagnostics, with Roslyn's per-analyzer execution times. The analyzer driver
    /// binds the method bodies again through its own semantic models, as it does in a build.
    /// </summary>
    public static AnalyzedCompilation CompileWith(Compilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: null, concurrentAnalysis: true, logAnalyzerExecutionTime: true, reportSuppressedDiagnostics: false);
        var clone = compilation.Clone();
        var compilerDiagnostics = clone.GetDiagnostics();
        var result = clone.WithAnalyzers(analyzers, options).GetAnalysisResultAsync(CancellationToken.None).GetAwaiter().GetResult();
        return new AnalyzedCompilation(result, compilerDiagnostics.AddRange(result.GetAllDiagnostics()));
    }
}

internal sealed record AnalyzedCompilation(AnalysisResult Result, ImmutableArray<Diagnostic> Diagnostics)
{
    public int Count => Diagnostics.Length;

    /// <summary>The analyzer's execution time as Roslyn measures it (what <c>dotnet build -p:ReportAnalyzer=true</c> prints).</summary>
    public TimeSpan ExecutionTime(DiagnosticAnalyzer analyzer) => Result.AnalyzerTelemetryInfo[analyzer].ExecutionTime;
}
