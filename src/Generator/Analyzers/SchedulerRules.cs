using System.Collections.Generic;
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
                var creation = body.CreationOf(step.Target);
                var type = step.Operation.Instance?.Type;
                var optimizer = TrainingBody.SymbolOf(TrainingBody.Argument(creation, "optimizer"));
                var ownSteps = optimizerSteps.Where(o => optimizer is null || SymbolEqualityComparer.Default.Equals(o.Target, optimizer)).ToList();

                if (CheckSteppedPerEpoch(body, step, creation, type, ownSteps, report)) continue;

                var accumulated = ownSteps
                    .Where(o => o.Loop == step.Loop)
                    .Select(o => (Step: o, Accumulation: body.AccumulationAround(o)))
                    .FirstOrDefault(o => o.Accumulation is not null);
                var horizon = Horizon(body, creation, type);

                if (accumulated.Accumulation is { } accumulation)
                {
                    if (CheckAccumulation(body, step, accumulated.Step, accumulation, horizon, report)) continue;
                }
                else if (horizon is not null)
                {
                    if (!CheckEpochHorizon(body, step, horizon, report))
                        CheckHorizonCount(body, step, horizon, report);
                }

                CheckOrder(step, ownSteps, report);
                CheckWarmupLength(body, step, creation, type, report);
            }

            CheckTwoSchedules(body, schedulerSteps, report);
        }

        // ---------------------------------------------------------------- DSL1001

        private static bool CheckSteppedPerEpoch(TrainingBody body, CallFact step, IObjectCreationOperation? creation, ITypeSymbol? type,
            List<CallFact> ownSteps, Reporter report)
        {
            if (UnitOf(body, creation, type, 0) != Unit.Batch) return false;
            var loop = step.Loop!;

            // The optimizer steps in a loop nested inside the one that steps the schedule: per batch vs per epoch.
            var inner = ownSteps.FirstOrDefault(o => o.Loop is not null && o.Loop != loop && o.Loops.Contains(loop));
            if (inner is not null)
            {
                report.Report(Diagnostics.PerBatchScheduleSteppedPerEpoch, step.Operation.Syntax,
                    new[] { inner.Operation.Syntax.GetLocation() }, null,
                    Name(step), type?.Name ?? "the schedule", inner.Operation.Syntax.ToString());
                return true;
            }
            if (ownSteps.Any(o => o.Loop == loop)) return false;

            // No optimizer step in sight (it may be inside a helper), but the batch loop is: TrainStep nested deeper.
            var train = body.Calls.FirstOrDefault(c => c.Kind == CallKind.TrainStep && c.Loop is not null && c.Loop != loop && c.Loops.Contains(loop));
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

        private static void CheckOrder(CallFact step, List<CallFact> ownSteps, Reporter report)
        {
            var loop = step.Loop!;
            var branch = TrainingBody.BranchOf(step.Operation, loop);
            var later = ownSteps.FirstOrDefault(o => o.Loop == loop && o.Position > step.Position
                                                     && TrainingBody.BranchOf(o.Operation, loop) == branch);
            if (later is null) return;
            report.Report(Diagnostics.SchedulerStepBeforeOptimizerStep, step.Operation.Syntax,
                new[] { later.Operation.Syntax.GetLocation() }, null, Name(step), Describe(later));
        }

        // ---------------------------------------------------------------- DSL1004

        /// <summary>True when the schedule is stepped per micro-batch (then the order of the calls is beside the point).</summary>
        private static bool CheckAccumulation(TrainingBody body, CallFact step, CallFact optimizerStep, Accumulation accumulation,
            IArgumentOperation? horizon, Reporter report)
        {
            if (!accumulation.Covers(step.Operation))
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

        // ---------------------------------------------------------------- DSL1002, DSL1003

        /// <summary>The explicit horizon argument: <c>totalSteps</c> (one-cycle and alike) or a cosine's <c>tMax</c>.</summary>
        private static IArgumentOperation? Horizon(TrainingBody body, IObjectCreationOperation? creation, ITypeSymbol? type)
        {
            if (creation is null) return null;
            var argument = TrainingBody.ArgumentOperation(creation, "totalSteps");
            if (argument is null && KnownTypes.Is(type, body.Types.CosineAnnealingLR))
                argument = TrainingBody.ArgumentOperation(creation, "tMax");
            return argument is null || argument.ArgumentKind == ArgumentKind.DefaultValue ? null : argument;
        }

        private static bool CheckEpochHorizon(TrainingBody body, CallFact step, IArgumentOperation horizon, Reporter report)
        {
            // The horizon is exactly the bound of a loop around the batch loop that steps the schedule.
            var count = body.Count(horizon.Value);
            if (count is null || count.IsConstant || step.Loops.Count < 2) return false;
            for (var i = 1; i < step.Loops.Count; i++)
            {
                var trips = body.TripCount(step.Loops[i]);
                if (trips is null || !trips.Equals(count)) continue;
                report.Report(Diagnostics.HorizonIsEpochCount, horizon.Syntax,
                    horizon.Parameter?.Name ?? "horizon", horizon.Value.Syntax.ToString(), Name(step));
                return true;
            }
            return false;
        }

        private static void CheckHorizonCount(TrainingBody body, CallFact step, IArgumentOperation horizon, Reporter report)
        {
            // Only a Step() that runs on every iteration has a count that is the product of the loop counts.
            if (TrainingBody.BranchOf(step.Operation, step.Loop!) != step.Loop) return;
            var stated = body.Count(horizon.Value);
            var calls = body.TripCount(step.Loops);
            if (stated is null || calls is null || stated.Equals(calls)) return;

            string detail;
            if (stated.IsConstant && calls.IsConstant)
                detail = stated.Coefficient < calls.Coefficient
                    ? ": the schedule runs out after step " + stated.Display
                    : ": the schedule never reaches its end";
            else
            {
                var onlyStated = stated.Without(calls);
                var onlyCalls = calls.Without(stated);
                if (onlyStated.Count == 0 && onlyCalls.Count == 0)
                    detail = "";
                else if (onlyStated.Count == 1 && onlyCalls.Count == 1 && stated.Coefficient == calls.Coefficient
                         && onlyStated[0].DataSetKey is not null && onlyStated[0].DataSetKey == onlyCalls[0].DataSetKey)
                    detail = " (the horizon counts '" + onlyStated[0].Display + "', the loop iterates '" + onlyCalls[0].Display + "')";
                else
                    return; // different symbols: not provably different
            }
            report.Report(Diagnostics.HorizonDiffersFromStepCount, horizon.Syntax,
                horizon.Parameter?.Name ?? "horizon", horizon.Value.Syntax.ToString(), stated.Display, Name(step), calls.Display, detail);
        }

        // ---------------------------------------------------------------- DSL1006

        private static void CheckTwoSchedules(TrainingBody body, List<CallFact> schedulerSteps, Reporter report)
        {
            var seen = new List<(CallFact Step, ISymbol Optimizer, IOperation Branch)>();
            foreach (var step in schedulerSteps.OrderBy(s => s.Position))
            {
                if (step.Loop is null || step.Target is null) continue;
                var optimizer = TrainingBody.SymbolOf(TrainingBody.Argument(body.CreationOf(step.Target), "optimizer"));
                if (optimizer is null) continue;
                var branch = TrainingBody.BranchOf(step.Operation, step.Loop);
                var first = seen.FirstOrDefault(s => s.Step.Loop == step.Loop && s.Branch == branch
                                                     && SymbolEqualityComparer.Default.Equals(s.Optimizer, optimizer)
                                                     && !SymbolEqualityComparer.Default.Equals(s.Step.Target, step.Target));
                if (first.Step is not null)
                    report.Report(Diagnostics.TwoSchedulesOneOptimizer, step.Operation.Syntax, Name(first.Step), Name(step), optimizer.Name);
                else
                    seen.Add((step, optimizer, branch));
            }
        }

        // ---------------------------------------------------------------- DSL1007

        private static void CheckConstants(TrainingBody body, IObjectCreationOperation creation, Reporter report)
        {
            var types = body.Types;
            if (KnownTypes.Is(creation.Type, types.OneCycleLR))
            {
                if (Constant(creation, "pctStart") is { } pct && !(pct.Value > 0 && pct.Value < 1))
                    report.Report(Diagnostics.InvalidScheduleConstant, pct.Argument.Syntax,
                        "pctStart " + Format(pct.Value) + " is outside (0, 1): it is the fraction of the steps spent raising the rate to maxLr; use e.g. 0.3");
                if (Constant(creation, "divFactor") is { } div && !(div.Value > 1))
                    report.Report(Diagnostics.InvalidScheduleConstant, div.Argument.Syntax,
                        "divFactor " + Format(div.Value) + " must be greater than 1: the schedule starts at maxLr / divFactor and rises to maxLr; use e.g. 25");
                if (Constant(creation, "totalSteps") is { } total && !(total.Value > 0))
                    report.Report(Diagnostics.InvalidScheduleConstant, total.Argument.Syntax,
                        "totalSteps " + Format(total.Value) + " must be positive: it is the number of optimizer steps of the whole run");
            }
            if (KnownTypes.Is(creation.Type, types.LinearWarmup) && Constant(creation, "warmupSteps") is { } warmup && !(warmup.Value > 0))
                report.Report(Diagnostics.InvalidScheduleConstant, warmup.Argument.Syntax,
                    "warmupSteps " + Format(warmup.Value) + " must be positive");
        }

        /// <summary>A LinearWarmup whose warmup is at least as long as all the Step() calls the loops make.</summary>
        private static void CheckWarmupLength(TrainingBody body, CallFact step, IObjectCreationOperation? creation, ITypeSymbol? type, Reporter report)
        {
            if (creation is null || !KnownTypes.Is(type, body.Types.LinearWarmup)) return;
            if (TrainingBody.BranchOf(step.Operation, step.Loop!) != step.Loop) return;
            var warmup = TrainingBody.ArgumentOperation(creation, "warmupSteps");
            if (warmup is null || warmup.ArgumentKind == ArgumentKind.DefaultValue) return;
            var stated = body.Count(warmup.Value);
            var calls = body.TripCount(step.Loops);
            if (stated is null || calls is null) return;
            var tooLong = stated.IsConstant && calls.IsConstant ? stated.Coefficient >= calls.Coefficient : stated.Equals(calls);
            if (!tooLong) return;
            report.Report(Diagnostics.InvalidScheduleConstant, warmup.Syntax,
                "warmupSteps " + stated.Display + " is not shorter than the " + calls.Display + " Step() calls the loops make: training ends before the warmup does; make the warmup a small part of the run (e.g. 5%)");
        }

        private static (IArgumentOperation Argument, double Value)? Constant(IObjectCreationOperation creation, string name)
        {
            var argument = TrainingBody.ArgumentOperation(creation, name);
            if (argument is null || argument.ArgumentKind == ArgumentKind.DefaultValue || !argument.Value.ConstantValue.HasValue) return null;
            var value = TrainingBody.ToDouble(argument.Value.ConstantValue.Value);
            return value is null ? null : (argument, value.Value);
        }

        internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

        internal static string Name(CallFact call) => call.Operation.Instance?.Syntax.ToString() ?? call.Operation.TargetMethod.ContainingType.Name;

        internal static string Describe(CallFact call) => call.Operation.Syntax.ToString();
    }
}
