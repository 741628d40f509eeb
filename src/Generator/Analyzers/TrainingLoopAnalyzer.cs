using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DslNet.Generator.Analyzers
{
    /// <summary>
    /// The training-loop analyzer: schedulers (DSL1xxx), optimizers and clipping (DSL2xxx), precision (DSL3xxx).
    /// Each method body is walked once (<see cref="TrainingBody"/>); the rules then only look facts up. Nothing runs
    /// unless the compilation references the DslNet runtime.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class TrainingLoopAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Diagnostics.PerBatchScheduleSteppedPerEpoch,
            Diagnostics.HorizonIsEpochCount,
            Diagnostics.HorizonDiffersFromStepCount,
            Diagnostics.ScheduleSteppedPerMicroBatch,
            Diagnostics.SchedulerStepBeforeOptimizerStep,
            Diagnostics.TwoSchedulesOneOptimizer,
            Diagnostics.InvalidScheduleConstant,
            Diagnostics.AdamWithWeightDecay,
            Diagnostics.AdamWDecayInL2Range,
            Diagnostics.ClipAtWrongPoint,
            Diagnostics.SummedLossNotAveraged,
            Diagnostics.OptimizerStepWithoutGradients,
            Diagnostics.TrainStepInEvaluation,
            Diagnostics.Fp16WithoutGradScaler,
            Diagnostics.PrecisionNotSupportedByDevice,
            Diagnostics.LossScalingNotNeeded);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Create(start.Compilation);
                if (types is null) return;
                // One class at a time: its blocks are gathered, then walked together, so that a schedule held in a
                // field and stepped in a helper is seen from the loop that calls the helper.
                start.RegisterSymbolStartAction(symbolStart =>
                {
                    var type = (INamedTypeSymbol)symbolStart.Symbol;
                    if (types.IsModel(type)) return;
                    var blocks = new List<MemberBlock>();
                    symbolStart.RegisterOperationBlockAction(block =>
                    {
                        if (!SymbolEqualityComparer.Default.Equals(block.OwningSymbol.ContainingType, type)) return;
                        lock (blocks) blocks.Add(new MemberBlock(block.OwningSymbol, block.OperationBlocks));
                    });
                    symbolStart.RegisterSymbolEndAction(end =>
                    {
                        MemberBlock[] snapshot;
                        lock (blocks) snapshot = blocks.OrderBy(b => b.Owner.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0).ToArray();
                        Analyze(types, type, snapshot, end.ReportDiagnostic, end.CancellationToken);
                    });
                }, SymbolKind.NamedType);
            });
        }

        internal static void Analyze(KnownTypes types, INamedTypeSymbol type, IReadOnlyList<MemberBlock> blocks,
            System.Action<Diagnostic> reportDiagnostic, System.Threading.CancellationToken cancellationToken)
        {
            if (blocks.Count == 0) return;
            var body = TrainingBody.Collect(types, type, blocks);
            if (!body.TouchesTraining || body.Calls.Count == 0 && body.Creations.Count == 0 && body.PrecisionArguments.Count == 0) return;

            var report = new Reporter(reportDiagnostic, cancellationToken);
            SchedulerRules.Run(body, report);
            OptimizerRules.Run(body, report);
            PrecisionRules.Run(body, report);
            TrainerRules.Run(body, report);
        }
    }

    /// <summary>Reports each (ID, location) once and honours cancellation.</summary>
    internal sealed class Reporter
    {
        private readonly System.Action<Diagnostic> _report;
        private readonly HashSet<(string, string?, int)> _reported = new HashSet<(string, string?, int)>();

        public Reporter(System.Action<Diagnostic> report, System.Threading.CancellationToken cancellationToken)
        {
            _report = report;
            CancellationToken = cancellationToken;
        }

        public System.Threading.CancellationToken CancellationToken { get; }

        /// <summary>'schedule?.Step()': the call is the '.Step()' inside the conditional access; the user reads the whole expression.</summary>
        private static SyntaxNode Widen(SyntaxNode node) =>
            node.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.ConditionalAccessExpressionSyntax access && access.WhenNotNull == node ? access : node;

        public void Report(DiagnosticDescriptor descriptor, SyntaxNode node, params object[] arguments) =>
            Report(descriptor, node, null, null, arguments);

        public void Report(DiagnosticDescriptor descriptor, SyntaxNode node, IEnumerable<Location>? additionalLocations,
            ImmutableDictionary<string, string?>? properties, params object[] arguments)
        {
            CancellationToken.ThrowIfCancellationRequested();
            node = Widen(node);
            if (!_reported.Add((descriptor.Id, node.SyntaxTree.FilePath, node.SpanStart))) return;
            _report(Diagnostic.Create(descriptor, node.GetLocation(), additionalLocations, properties, arguments));
        }
    }
}
