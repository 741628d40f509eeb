using System.Collections.Generic;
using System.Collections.Immutable;
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
                start.RegisterOperationBlockAction(block => Analyze(block, types));
            });
        }

        private static void Analyze(OperationBlockAnalysisContext context, KnownTypes types)
        {
            var body = TrainingBody.Collect(types, context.OwningSymbol, context.OperationBlocks);
            if (body.Calls.Count == 0 && body.Creations.Count == 0 && body.PrecisionArguments.Count == 0) return;

            var report = new Reporter(context);
            SchedulerRules.Run(body, report);
            OptimizerRules.Run(body, report);
            PrecisionRules.Run(body, report);
        }
    }

    /// <summary>Reports each (ID, location) once and honours cancellation.</summary>
    internal sealed class Reporter
    {
        private readonly OperationBlockAnalysisContext _context;
        private readonly HashSet<(string, int)> _reported = new HashSet<(string, int)>();

        public Reporter(OperationBlockAnalysisContext context) => _context = context;

        public System.Threading.CancellationToken CancellationToken => _context.CancellationToken;

        public void Report(DiagnosticDescriptor descriptor, SyntaxNode node, params object[] arguments) =>
            Report(descriptor, node, null, null, arguments);

        public void Report(DiagnosticDescriptor descriptor, SyntaxNode node, IEnumerable<Location>? additionalLocations,
            ImmutableDictionary<string, string?>? properties, params object[] arguments)
        {
            _context.CancellationToken.ThrowIfCancellationRequested();
            if (!_reported.Add((descriptor.Id, node.SpanStart))) return;
            _context.ReportDiagnostic(Diagnostic.Create(descriptor, node.GetLocation(), additionalLocations, properties, arguments));
        }
    }
}
