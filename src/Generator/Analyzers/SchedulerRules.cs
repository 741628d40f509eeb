using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DslNet.Generator.Analyzers
{
    internal enum Unit { Unknown, Batch, Epoch }

    /// <summary>DSL1001–DSL1007: where and how a learning-rate schedule is stepped, and its constant settings.</summary>
    internal static class SchedulerRules
    {
        public static void Run(TrainingBody body, Reporter report)
        {
            foreach (var creation in body.Creations)
                CheckConstants(body, creation, report);

            var schedulerSteps = body.Calls.Where(c => c.Kind == CallKind.SchedulerStep).ToList();
            if (schedulerSteps.Count == 0) return;
            var optimizerSteps = body.Calls.Where(c => c.Kind == CallKind.OptimizerStep).ToList();

            foreach (var step in schedulerSteps)
            {
                if (step.Loop is null) continue;
                var creation = step.Created ?? body.CreationOf(step.Target);
                var type = ScheduleType(step, creation);
                var optimizer = body.OptimizerOf(creation);
                var ownSteps = optimizerSteps.Where(o => SymbolEqualityComparer.Default.Equals(o.Entry, step.Entry)
                                                         && (optimizer is null || SymbolEqualityComparer.Default.Equals(o.Target, optimizer))).ToList();

                if (CheckSteppedPerEpoch(body, step, creation, type, ownSteps, report)) continue;

                var accumulated = ownSteps
                    .Where(o => CallFact.SameLoop(o, step))
                    .Select(o => (Step: o, Accumulation: body.AccumulationAround(o)))
                    .FirstOrDefault(o => o.Accumulation is not null);
                var horizon = HorizonRules.Horizon(body, creation, type);
                // Stepped from more than one place (a helper called from two loops): its count is a sum, not a product of loops.
                var counted = creation is null || schedulerSteps.Count(s => (s.Created ?? body.CreationOf(s.Target)) == creation) == 1;

                if (accumulated.Accumulation is { } accumulation)
                {
                    if (CheckAccumulation(body, step, accumulated.Step, accumulation, horizon, report)) continue;
                    HorizonRules.CheckEpochHorizon(body, step, creation, report);
                }
                else if (!HorizonRules.CheckEpochHorizon(body, step, creation, report)
                         && counted
                         && !HorizonRules.CheckComposedHorizon(body, step, creation, report)
                         && horizon is not null)
                    HorizonRules.CheckHorizonCount(body, step, horizon, report);

                CheckOrder(step, type, ownSteps, report);
                if (counted) HorizonRules.CheckWarmupLength(body, step, creation, type, report);
            }

            CheckTwoSchedules(body, schedulerSteps, optimizerSteps, report);
        }

        /// <summary>The schedule's type: the created one when known (a variable typed as the interface holds a OneCycleLR).</summary>
        internal static ITypeSymbol? ScheduleType(CallFact step, IObjectCreationOperation? creation) =>
            creation?.Type ?? (step.Operation.Instance is null ? null : TrainingBody.Unwrap(step.Operation.Instance).Type);

        // ---------------------------------------------------------------- DSL1001

        private static bool CheckSteppedPerEpoch(TrainingBody body, CallFact step, IObjectCreationOperation? creation, ITypeSymbol? type,
            List<CallFact> ownSteps, Reporter report)
        {
            if (UnitOf(body, creation, type, 0) != Unit.Batch) return false;
            var loop = step.Loop!;

            // The optimizer steps in a loop nested inside the one that steps the schedule: per batch vs per epoch.
            var inner = ownSteps.FirstOrDefault(o => o.Loop is not null && !CallFact.SameLoop(o, step) && o.InLoop(loop, step.LoopFrame));
            if (inner is not null)
            {
                report.Report(Diagnostics.PerBatchScheduleSteppedPerEpoch, step.Operation.Syntax,
                    new[] { inner.Operation.Syntax.GetLocation() }, null,
                    Name(step), type?.Name ?? "the schedule", inner.Operation.Syntax.ToString());
                return true;
            }
            if (ownSteps.Any(o => CallFact.SameLoop(o, step))) return false;

            // No optimizer step in sight (it may be inside a helper), but the batch loop is: TrainStep nested deeper.
            var train = body.Calls.FirstOrDefault(c => c.Kind == CallKind.TrainStep && c.Loop is not null && !CallFact.SameLoop(c, step) && c.InLoop(loop, step.LoopFrame));
            if (train is null) return false;
            report.Report(Diagnostics.PerBatchScheduleSteppedPerEpoch, step.Operation.Syntax,
                Name(step), type?.Name ?? "the schedule", "the optimizer's Step()");
            return true;
        }

        /// <summary>When Step() is meant to be called: OneCycleLR and warmups per batch, StepLR per epoch, cosines by their unit argument.</summary>
        internal static Unit UnitOf(TrainingBody body, IObjectCreationOperation? creation, ITypeSymbol? type, int depth)
        {
            var types = body.Types;
            if (depth > 4) return Unit.Unknown;
            if (KnownTypes.Is(type, types.OneCycleLR)) return Unit.Batch;
            if (KnownTypes.Is(type, types.StepLR)) return Unit.Epoch;
            if (creation is null) return Unit.Unknown;

            var unit = TrainingBody.ArgumentOperation(creation, "unit");
            if (unit is not null && KnownTypes.Is(unit.Parameter?.Type, types.ScheduleUnit) && unit.Value.ConstantValue.HasValue)
            {
                var name = EnumMemberName(unit.Parameter!.Type, unit.Value.ConstantValue.Value);
                return name == "Batch" ? Unit.Batch : name == "Epoch" ? Unit.Epoch : Unit.Unknown;
            }
            if (KnownTypes.Is(creation.Type, types.LinearWarmup))
            {
                var then = TrainingBody.ArgumentOperation(creation, "then");
                if (then is null || then.ArgumentKind == ArgumentKind.DefaultValue
                    || (then.Value.ConstantValue.HasValue && then.Value.ConstantValue.Value is null)) return Unit.Batch;
                var wrapped = body.CreationOf(then.Value);
                return wrapped is null ? Unit.Unknown : UnitOf(body, wrapped, wrapped.Type, depth + 1);
            }
            if (KnownTypes.Is(creation.Type, types.SequentialLR))
            {
                var children = TrainingBody.Argument(creation, "schedulers");
                var elements = children is null ? null : body.ElementsThrough(children);
                var first = elements is { Count: > 0 } ? body.CreationOf(elements[0]) : null;
                return first is null ? Unit.Unknown : UnitOf(body, first, first.Type, depth + 1);
            }
            // Any other schedule built with a step horizon counts optimizer steps.
            return TrainingBody.Argument(creation, "totalSteps") is not null ? Unit.Batch : Unit.Unknown;
        }

        internal static string? EnumMemberName(ITypeSymbol enumType, object? value)
        {
            foreach (var member in enumType.GetMembers())
                if (member is IFieldSymbol { HasConstantValue: true } field && Equals(field.ConstantValue, value)) return field.Name;
            return null;
        }

        // ---------------------------------------------------------------- DSL1005

        private static void CheckOrder(CallFact step, ITypeSymbol? type, List<CallFact> ownSteps, Reporter report)
        {
            var loop = step.Loop!;
            var branch = TrainingBody.BranchOf(step, loop);
            var later = ownSteps.FirstOrDefault(o => CallFact.SameLoop(o, step) && o.Position > step.Position
                                                     && TrainingBody.BranchOf(o, loop) == branch);
            if (later is null) return;
            report.Report(Diagnostics.SchedulerStepBeforeOptimizerStep, step.Operation.Syntax,
                new[] { later.Operation.Syntax.GetLocation() }, null, Name(step), Describe(later), type?.Name ?? "schedule");
        }

        // ---------------------------------------------------------------- DSL1004

        /// <summary>True when the schedule is stepped per micro-batch (then the order of the calls is beside the point).</summary>
        private static bool CheckAccumulation(TrainingBody body, CallFact step, CallFact optimizerStep, Accumulation accumulation,
            IArgumentOperation? horizon, Reporter report)
        {
            if (!accumulation.Covers(step))
            {
                report.Report(Diagnostics.ScheduleSteppedPerMicroBatch, step.Operation.Syntax,
                    new[] { optimizerStep.Operation.Syntax.GetLocation() }, null,
                    "'" + Name(step) + ".Step()' runs for every micro-batch", accumulation.CountDisplay,
                    "move it next to '" + optimizerStep.Operation.Syntax + "', so it runs once per optimizer step");
                return true;
            }
            if (horizon is null || UnitOf(body, body.CreationOf(step.Target), step.Operation.Instance?.Type, 0) == Unit.Epoch) return false;
            var horizonCount = body.Count(horizon.Value);
            var microBatches = body.TripCount(step.Loops);
            if (horizonCount is null || microBatches is null || horizonCount.IsConstant || !horizonCount.Equals(microBatches)) return false;
            report.Report(Diagnostics.ScheduleSteppedPerMicroBatch, horizon.Syntax,
                "'" + horizon.Syntax + "' counts micro-batches", accumulation.CountDisplay,
                "divide the horizon by " + accumulation.CountDisplay);
            return false;
        }

        // ---------------------------------------------------------------- DSL1006

        private static void CheckTwoSchedules(TrainingBody body, List<CallFact> schedulerSteps, List<CallFact> optimizerSteps, Reporter report)
        {
            var seen = new List<(CallFact Step, ISymbol Optimizer, IOperation Branch)>();
            foreach (var step in schedulerSteps.OrderBy(s => s.Position))
            {
                if (step.Loop is null || step.Target is null) continue;
                var optimizer = body.OptimizerOf(body.CreationOf(step.Target));
                if (optimizer is null) continue;
                var branch = TrainingBody.BranchOf(step, step.Loop);
                var first = seen.FirstOrDefault(s => CallFact.SameLoop(s.Step, step) && s.Branch == branch
                                                     && SymbolEqualityComparer.Default.Equals(s.Optimizer, optimizer)
                                                     && !SymbolEqualityComparer.Default.Equals(s.Step.Target, step.Target));
                if (first.Step is null)
                {
                    seen.Add((step, optimizer, branch));
                    continue;
                }
                var firstCreation = body.CreationOf(first.Step.Target);
                var secondCreation = body.CreationOf(step.Target);
                var (fix, orphan) = TwoSchedulesFix(body, first.Step, firstCreation, step, secondCreation, optimizer, schedulerSteps, optimizerSteps);
                // The code fix rebuilds the second schedule on the optimizer nobody schedules: it needs where its optimizer argument is.
                var optimizerArgument = orphan is null ? null : TrainingBody.Argument(secondCreation, "optimizer");
                report.Report(Diagnostics.TwoSchedulesOneOptimizer, step.Operation.Syntax,
                    optimizerArgument is null ? null : new[] { optimizerArgument.Syntax.GetLocation() },
                    optimizerArgument is null ? null : ImmutableDictionary<string, string?>.Empty.Add(OptimizerKey, orphan),
                    Name(first.Step), TypeName(first.Step, firstCreation), Name(step), TypeName(step, secondCreation), optimizer.Name, fix);
            }
        }

        /// <summary>
        /// The fix for two schedules on one optimizer depends on the mistake: a schedule built on the wrong optimizer (another
        /// optimizer is stepped with no schedule), a warmup meant to run before the other schedule, or two phases to compose.
        /// </summary>
        /// <summary>Diagnostic property the DSL1006 code fix reads: the optimizer the second schedule should be built on.</summary>
        public const string OptimizerKey = "Optimizer";

        private static (string Fix, string? Orphan) TwoSchedulesFix(TrainingBody body, CallFact first, IObjectCreationOperation? firstCreation, CallFact second,
            IObjectCreationOperation? secondCreation, ISymbol optimizer, List<CallFact> schedulerSteps, List<CallFact> optimizerSteps)
        {
            var scheduled = schedulerSteps.Select(s => body.OptimizerOf(body.CreationOf(s.Target))).Where(o => o is not null).ToList();
            var unscheduled = optimizerSteps
                .Where(o => o.Target is not null && !scheduled.Contains(o.Target, SymbolEqualityComparer.Default)
                            && SymbolEqualityComparer.Default.Equals(o.Entry, second.Entry))
                .ToList();
            var inLoop = unscheduled.Where(o => CallFact.SameLoop(o, second)).Select(o => o.TargetName).Distinct().ToList();
            var orphan = inLoop.Count > 0 ? inLoop : unscheduled.Select(o => o.TargetName).Distinct().ToList();
            if (orphan.Count == 1)
                return ("'" + orphan[0] + "' is stepped with no schedule: build '" + Name(second) + "' on '" + orphan[0] + "' instead of '" + optimizer.Name + "'", orphan[0]);

            var warmup = IsBareWarmup(body, secondCreation) ? (Step: second, Other: first) : IsBareWarmup(body, firstCreation) ? (Step: first, Other: second) : default;
            if (warmup.Step is not null)
            {
                var warmupCreation = body.CreationOf(warmup.Step.Target)!;
                var steps = TrainingBody.Argument(warmupCreation, "warmupSteps");
                return ("the warmup is meant to run first: build it as 'new LinearWarmup(" + optimizer.Name + ", "
                        + (steps?.Syntax.ToString() ?? "warmupSteps") + ", then: " + Name(warmup.Other)
                        + ")', give '" + Name(warmup.Other) + "' the steps after the warmup, and step only the warmup", null);
            }
            var ordered = (firstCreation?.Syntax.SpanStart ?? 0) <= (secondCreation?.Syntax.SpanStart ?? 0) ? new[] { first, second } : new[] { second, first };
            return ("to run one after the other, compose them with 'new SequentialLR(" + optimizer.Name + ", new ILearningRateScheduler[] { "
                    + Name(ordered[0]) + ", " + Name(ordered[1]) + " }, milestones)' (milestones: the step at which '" + Name(ordered[1])
                    + "' takes over) and step only that", null);
        }

        /// <summary>A LinearWarmup with nothing after it (no 'then:'): the warmup half of a warmup-then-decay pair.</summary>
        private static bool IsBareWarmup(TrainingBody body, IObjectCreationOperation? creation)
        {
            if (creation is null || !KnownTypes.Is(creation.Type, body.Types.LinearWarmup)) return false;
            var then = TrainingBody.ArgumentOperation(creation, "then");
            return then is null || then.ArgumentKind == ArgumentKind.DefaultValue || then.Value.ConstantValue is { HasValue: true, Value: null };
        }

        private static string TypeName(CallFact step, IObjectCreationOperation? creation) =>
            creation?.Type?.Name ?? ScheduleType(step, creation)?.Name ?? "schedule";

        // ---------------------------------------------------------------- DSL1007

        private static void CheckConstants(TrainingBody body, IObjectCreationOperation creation, Reporter report)
        {
            var types = body.Types;
            if (KnownTypes.Is(creation.Type, types.OneCycleLR))
            {
                if (Constant(body, creation, "pctStart") is { } pct && !(pct.Value > 0 && pct.Value < 1))
                    report.Report(Diagnostics.InvalidScheduleConstant, pct.Argument.Syntax,
                        "pctStart " + pct.Shown + " is outside (0, 1): it is the fraction of the steps spent raising the rate to maxLr; use e.g. 0.3");
                if (Constant(body, creation, "divFactor") is { } div && !(div.Value > 1))
                    report.Report(Diagnostics.InvalidScheduleConstant, div.Argument.Syntax,
                        "divFactor " + div.Shown + " must be greater than 1: the schedule starts at maxLr / divFactor and rises to maxLr; use e.g. 25");
                if (Constant(body, creation, "totalSteps") is { } total && !(total.Value > 0))
                    report.Report(Diagnostics.InvalidScheduleConstant, total.Argument.Syntax,
                        "totalSteps " + total.Shown + " must be positive: it is the number of optimizer steps of the whole run");
            }
            if (KnownTypes.Is(creation.Type, types.LinearWarmup) && Constant(body, creation, "warmupSteps") is { } warmup && !(warmup.Value > 0))
                report.Report(Diagnostics.InvalidScheduleConstant, warmup.Argument.Syntax,
                    "warmupSteps " + warmup.Shown + " must be positive");
        }

        /// <summary>An explicit argument with a known number: a literal, a constant, or a variable stored once from one.</summary>
        private static (IArgumentOperation Argument, double Value, string Shown)? Constant(TrainingBody body, IObjectCreationOperation creation, string name)
        {
            var argument = TrainingBody.ArgumentOperation(creation, name);
            if (argument is null || argument.ArgumentKind == ArgumentKind.DefaultValue) return null;
            var value = body.NumberOf(argument.Value);
            return value is null ? null : (argument, value.Value, body.Amount(argument.Value));
        }

        internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

        internal static string Name(CallFact call) => call.TargetName;

        internal static string Describe(CallFact call) => call.Operation.Syntax.ToString();
    }
}
