using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DslNet.Generator.Analyzers
{
    /// <summary>
    /// The rules about the Trainer path, read from <c>new Trainer(model, options)</c> and its <c>TrainerOptions</c>
    /// initializer: DSL3001 for an fp16 model trained without loss scaling, and DSL1002/DSL1003 for a schedule factory
    /// (<c>Schedule = (optimizer, context) =&gt; …</c>) whose horizon is counted in the wrong unit (the Trainer steps a
    /// per-batch schedule after every optimizer step and a per-epoch one after every epoch).
    /// </summary>
    internal static class TrainerRules
    {
        /// <summary>Diagnostic property the DSL3001 code fix reads: set <c>LossScaling = true</c>.</summary>
        public const string FixKey = "Fix", FixLossScaling = "LossScaling";

        public static void Run(TrainingBody body, Reporter report)
        {
            var types = body.Types;
            if (types.Trainer is null || types.TrainerOptions is null) return;
            foreach (var creation in body.Creations)
            {
                if (KnownTypes.Is(creation.Type, types.Trainer)) CheckLossScaling(body, creation, report);
                else if (KnownTypes.Is(creation.Type, types.TrainerOptions)) CheckScheduleFactory(body, creation, report);
            }
        }

        // ---------------------------------------------------------------- DSL3001

        private static void CheckLossScaling(TrainingBody body, IObjectCreationOperation trainer, Reporter report)
        {
            var modelArgument = TrainingBody.Argument(trainer, "model");
            var precision = PrecisionRules.PrecisionOf(body, body.CreationOf(modelArgument));
            if (precision is null || precision.Value.Name != "Fp16") return;
            var optionsArgument = TrainingBody.Argument(trainer, "options");
            var options = body.CreationOf(optionsArgument);
            // Options from where this analysis cannot see (a helper's parameters, a caller): whether they scale is unknown.
            if (options is null && optionsArgument is not null
                && TrainingBody.Unwrap(optionsArgument).ConstantValue is not { HasValue: true, Value: null }) return;
            var setting = options is null ? null : Setting(options, "LossScaling");
            if (setting is not null)
            {
                var value = TrainingBody.Unwrap(setting.Value).ConstantValue;
                if (!value.HasValue || value.Value is not false) return; // true, or decided at run time
            }
            var at = setting?.Syntax ?? trainer.Syntax;
            var properties = setting is null ? null : ImmutableDictionary<string, string?>.Empty.Add(FixKey, FixLossScaling);
            report.Report(Diagnostics.Fp16WithoutGradScaler, at, null, properties,
                PrecisionRules.Shown(precision.Value.Argument, precision.Value.Name) + " of '" + modelArgument!.Syntax + "', handed to the Trainer",
                setting is null
                    ? "the Trainer's LossScaling is off by default: set 'LossScaling = true' in its TrainerOptions"
                    : "set 'LossScaling = true': the Trainer then scales the loss, unscales before clipping and skips overflowing steps");
        }

        private static ISimpleAssignmentOperation? Setting(IObjectCreationOperation options, string property)
        {
            if (options.Initializer is null) return null;
            foreach (var initializer in options.Initializer.Initializers)
                if (initializer is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation target } assignment && target.Property.Name == property)
                    return assignment;
            return null;
        }

        // ---------------------------------------------------------------- DSL1002, DSL1003 in a schedule factory

        private static void CheckScheduleFactory(TrainingBody body, IObjectCreationOperation options, Reporter report)
        {
            var factory = Setting(options, "Schedule");
            if (factory is null) return;
            var value = TrainingBody.Unwrap(factory.Value);
            if (value is IDelegateCreationOperation delegateCreation) value = TrainingBody.Unwrap(delegateCreation.Target);
            if (value is not IAnonymousFunctionOperation lambda) return;
            var context = lambda.Symbol.Parameters.FirstOrDefault(p => KnownTypes.Is(p.Type, body.Types.ScheduleContext));
            var nested = new HashSet<IObjectCreationOperation>();
            foreach (var creation in lambda.Body.Descendants().OfType<IObjectCreationOperation>())
            {
                if (!body.Types.IsScheduler(creation.Type) || nested.Contains(creation)) continue;
                foreach (var inner in creation.Descendants().OfType<IObjectCreationOperation>()) nested.Add(inner);
                CheckFactorySchedule(body, creation, context, report);
            }
        }

        private static void CheckFactorySchedule(TrainingBody body, IObjectCreationOperation schedule, IParameterSymbol? context, Reporter report)
        {
            var unit = SchedulerRules.UnitOf(body, schedule, schedule.Type, 0);
            if (unit == Unit.Unknown) return;
            foreach (var (argument, value) in Horizons(body, schedule, 0))
            {
                var leaves = body.Leaves(value);
                if (leaves is null || leaves.Count == 0) continue;
                var readsEpochs = leaves.Any(l => IsContextProperty(l, context, "Epochs") || HorizonRules.IsEpochName(l.Name));
                var readsSteps = leaves.Any(l => IsContextProperty(l, context, "TotalSteps") || IsContextProperty(l, context, "StepsPerEpoch"));
                var name = argument.Parameter?.Name ?? "horizon";
                if (unit == Unit.Batch && readsEpochs && !readsSteps)
                {
                    report.Report(Diagnostics.HorizonIsEpochCount, argument.Syntax,
                        "'" + name + ": " + value.Syntax + "' of the " + schedule.Type?.Name + " counts epochs, but the Trainer steps a per-batch schedule after every optimizer step: it ends in the first epoch; use the context's TotalSteps (epochs × optimizer steps per epoch)");
                    return;
                }
                if (unit == Unit.Epoch && readsSteps && !readsEpochs)
                {
                    report.Report(Diagnostics.HorizonDiffersFromStepCount, argument.Syntax,
                        name, value.Syntax.ToString(), "optimizer",
                        "the Trainer steps a per-epoch " + schedule.Type?.Name + " once per epoch (context.Epochs times)",
                        ": counted in optimizer steps, its " + name + " is more than a whole run of epochs, so the rate (almost) never changes; count it in epochs (context.Epochs), or build a per-batch schedule");
                    return;
                }
            }
            CheckFactoryComposition(body, schedule, context, report);
        }

        /// <summary><c>new LinearWarmup(o, w, then: new CosineAnnealingLR(o, tMax: context.TotalSteps, …))</c>: the cosine gets TotalSteps − w calls.</summary>
        private static void CheckFactoryComposition(TrainingBody body, IObjectCreationOperation schedule, IParameterSymbol? context, Reporter report)
        {
            if (!KnownTypes.Is(schedule.Type, body.Types.LinearWarmup)) return;
            var then = body.CreationOf(TrainingBody.Argument(schedule, "then"));
            var warmup = TrainingBody.Argument(schedule, "warmupSteps");
            var horizon = HorizonRules.Horizon(body, then, then?.Type);
            if (then is null || warmup is null || horizon is null) return;
            if (TrainingBody.Unwrap(horizon.Value) is not IPropertyReferenceOperation { Property.Name: "TotalSteps" } total
                || !IsContextProperty(total.Property, context, "TotalSteps")) return;
            if (body.NumberOf(warmup) is 0) return;
            report.Report(Diagnostics.HorizonDiffersFromStepCount, horizon.Syntax,
                horizon.Parameter?.Name ?? "horizon", horizon.Value.Syntax.ToString(), "context.TotalSteps",
                "the Trainer steps the LinearWarmup TotalSteps times",
                ", and the " + then.Type?.Name + " after the warmup only gets TotalSteps - " + body.Amount(warmup) + " of them; give it 'tMax: " + horizon.Value.Syntax + " - " + warmup.Syntax + "'");
        }

        private static IEnumerable<(IArgumentOperation Argument, IOperation Value)> Horizons(TrainingBody body, IObjectCreationOperation creation, int depth)
        {
            if (depth > 3) yield break;
            foreach (var name in new[] { "totalSteps", "tMax", "stepSize", "t0" })
            {
                var argument = TrainingBody.ArgumentOperation(creation, name);
                if (argument is not null && argument.ArgumentKind != ArgumentKind.DefaultValue) yield return (argument, argument.Value);
            }
        }

        private static bool IsContextProperty(ISymbol symbol, IParameterSymbol? context, string name) =>
            context is not null && symbol is IPropertySymbol property && property.Name == name
            && SymbolEqualityComparer.Default.Equals(property.ContainingType, context.Type);
    }
}
