using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
#pragma warning disable RS1041, RS1036 // a benchmark stand-in loaded in-process, never shipped as a compiler extension

namespace DslNet.Benchmarks;

/// <summary>
/// Stands for the operation-based analyzers a build already runs (the SDK's default CA rules register operation
/// actions): it asks for every method's operation tree and walks it, reporting nothing. With it in both runs, the
/// compiler's semantic models are bound and the operation trees built either way, so the difference is the
/// training-loop analyzer's own cost.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class OperationWalkerAnalyzer : DiagnosticAnalyzer
{
#pragma warning disable RS2008
    private static readonly DiagnosticDescriptor Never = new("BENCH0001", "Never reported", "Never reported", "Benchmark", DiagnosticSeverity.Hidden, true);
#pragma warning restore RS2008

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Never);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterOperationBlockAction(block =>
        {
            var count = 0;
            foreach (var root in block.OperationBlocks)
                foreach (var _ in root.DescendantsAndSelf()) count++;
            GC.KeepAlive(count);
        });
    }
}
