using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DslNet.Generator.Analyzers
{
    /// <summary>DSL2001–DSL2006: optimizer settings, clipping order, loss averaging, stale gradients, TrainStep in evaluation.</summary>
    internal static class OptimizerRules
    {
        /// <summary>Diagnostic property keys the DSL2003 code fix reads.</summary>
        public const string FixKey = "Fix", FixMove = "MoveUnscale", FixInsert = "InsertUnscale", ScalerKey = "Scaler", OptimizerKey = "Optimizer";

        public static void Run(TrainingBody body, Reporter report)
        {
            foreach (var creation in body.Creations)
                CheckWeightDecay(body, creation, report);
            foreach (var call in body.Calls)
            {
                switch (call.Kind)
                {
                    case CallKind.Clip: CheckClip(body, call, report); break;
                    case CallKind.OptimizerStep: CheckStaleGradients(body, call, report); break;
                    case CallKind.TrainStep: CheckEvaluation(body, call, report); break;
                }
            }
            foreach (var sum in body.LossSums)
                CheckLossSum(body, sum, report);
        }

        // ---------------------------------------------------------------- DSL2001, DSL2002

        private static void CheckWeightDecay(TrainingBody body, IObjectCreationOperation creation, Reporter report)
        {
            var isAdam = KnownTypes.Is(creation.Type, body.Types.Adam);
            var isAdamW = KnownTypes.Is(creation.Type, body.Types.AdamW);
            if (!isAdam && !isAdamW) return;
            var argument = TrainingBody.ArgumentOperation(creation, "weightDecay");
            if (argument is null || argument.ArgumentKind == ArgumentKind.DefaultValue) return;
            if (body.NumberOf(argument.Value) is not double decay) return;
            var text = body.Amount(argument.Value);
            if (isAdam && decay != 0)
                report.Report(Diagnostics.AdamWithWeightDecay, creation.Syntax, text);
            else if (isAdamW && decay > 0 && decay <= 1e-4)
                report.Report(Diagnostics.AdamWDecayInL2Range, creation.Syntax, text);
        }

        // ---------------------------------------------------------------- DSL2003

        private static void CheckClip(TrainingBody body, CallFact clip, Reporter report)
        {
            var loop = clip.Loop;
            if (loop is null) return;
            var limit = clip.Operation.Arguments.FirstOrDefault(a => a.ArgumentKind != ArgumentKind.DefaultValue
                                                                     && a.Parameter?.Name is "maxNorm" or "clipValue");
            var clipName = "GradClip." + clip.Operation.TargetMethod.Name;
            // "'GradClip.ByNorm' (maxNorm 1 ('MaxNorm')) runs after ...": the limit's value, wherever it is declared.
            var runs = (limit is null ? "" : "(" + limit.Parameter!.Name + " " + body.Amount(limit.Value) + ") ") + "runs";
            var sameIteration = body.Calls.Where(c => CallFact.SameLoop(c, clip)).ToList();

            if (UsesScaler(body, loop))
            {
                if (sameIteration.Any(c => c.Kind == CallKind.Unscale && c.Position < clip.Position)) return;
                var unscaleAfter = sameIteration.Where(c => c.Kind == CallKind.Unscale && c.Position > clip.Position).OrderBy(c => c.Position).FirstOrDefault();
                var scalerCall = body.Calls.FirstOrDefault(c => c.InLoop(loop, clip.LoopFrame) && c.Operation.Instance is not null
                                                                 && KnownTypes.Is(c.Operation.Instance.Type, body.Types.GradScaler));
                var scalerName = scalerCall?.Operation.Instance?.Syntax.ToString() ?? "scaler";
                var optimizer = sameIteration.Where(c => c.Kind == CallKind.OptimizerStep)
                    .Select(c => c.IsScalerStep ? c.Operation.Arguments.FirstOrDefault()?.Value.Syntax.ToString() : c.Operation.Instance?.Syntax.ToString())
                    .FirstOrDefault(n => n is not null);

                var properties = ImmutableDictionary<string, string?>.Empty;
                IEnumerable<Location>? additional = null;
                if (unscaleAfter is not null)
                {
                    properties = properties.Add(FixKey, FixMove);
                    additional = new[] { unscaleAfter.Operation.Syntax.GetLocation() };
                }
                else if (scalerCall is not null && optimizer is not null)
                    properties = properties.Add(FixKey, FixInsert).Add(ScalerKey, scalerName).Add(OptimizerKey, optimizer);

                report.Report(Diagnostics.ClipAtWrongPoint, clip.Operation.Syntax, additional, properties,
                    clipName,
                    runs + " before '" + scalerName + ".Unscale(" + (optimizer ?? "optimizer") + ")': it clips gradients still multiplied by the loss scale (up to 65536x), so every step's gradients shrink to almost nothing",
                    "unscale first, then clip");
                return;
            }

            var stepBefore = sameIteration.Where(c => c.Kind == CallKind.OptimizerStep && c.Position < clip.Position).OrderByDescending(c => c.Position).FirstOrDefault();
            if (stepBefore is null) return;
            if (sameIteration.Any(c => (c.Kind == CallKind.TrainStep || c.Kind == CallKind.Opaque) && c.Position > stepBefore.Position && c.Position < clip.Position)) return;
            report.Report(Diagnostics.ClipAtWrongPoint, clip.Operation.Syntax,
                clipName,
                runs + " after '" + stepBefore.Operation.Syntax + "', which has already applied the unclipped gradients (and the next TrainStep overwrites them)",
                "clip between TrainStep and the optimizer's Step()");
        }

        private static bool UsesScaler(TrainingBody body, ILoopOperation loop)
        {
            if (body.Types.GradScaler is null || !body.UsesGradScaler) return false;
            foreach (var operation in loop.Body.DescendantsAndSelf())
                if (operation.Type is not null && KnownTypes.Is(operation.Type, body.Types.GradScaler)) return true;
            return false;
        }

        // ---------------------------------------------------------------- DSL2004

        private static void CheckLossSum(TrainingBody body, ICompoundAssignmentOperation sum, Reporter report)
        {
            if (sum.Target is not ILocalReferenceOperation target) return;
            var local = target.Local;
            var loops = TrainingBody.LoopsAround(sum);
            if (loops.Count == 0) return;
            var loop = loops[0];

            // The accumulation branch of this loop: the if that steps the optimizer every n micro-batches.
            Accumulation? accumulation = null;
            foreach (var call in body.Calls)
                if (call.Kind == CallKind.OptimizerStep && call.Loop == loop && (accumulation = body.AccumulationAround(call)) is not null) break;
            if (accumulation is null || accumulation.Covers(sum) || TrainingBody.IsWithin(sum, accumulation.Condition)) return;

            ILocalReferenceOperation? firstRead = null;
            foreach (var operation in accumulation.Region())
            {
                if (operation is IBinaryOperation { OperatorKind: BinaryOperatorKind.Divide or BinaryOperatorKind.Multiply } scaled
                    && (Reads(scaled.LeftOperand, local) || Reads(scaled.RightOperand, local))) return;
                if (operation is ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Divide or BinaryOperatorKind.Multiply } scaledInPlace
                    && Reads(scaledInPlace.Target, local)) return;
                if (firstRead is null && operation is ILocalReferenceOperation reference
                    && SymbolEqualityComparer.Default.Equals(reference.Local, local) && !IsWriteTarget(reference))
                    firstRead = reference;
            }
            if (firstRead is null) return;
            report.Report(Diagnostics.SummedLossNotAveraged, firstRead.Syntax, local.Name, accumulation.CountDisplay);
        }

        private static bool Reads(IOperation operation, ILocalSymbol local) =>
            TrainingBody.Unwrap(operation) is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local);

        private static bool IsWriteTarget(IOperation reference)
        {
            var parent = reference.Parent;
            while (parent is IConversionOperation) { reference = parent; parent = parent.Parent; }
            return parent is IAssignmentOperation assignment && assignment.Target == reference
                   || parent is IIncrementOrDecrementOperation;
        }

        // ---------------------------------------------------------------- DSL2005

        private static void CheckStaleGradients(TrainingBody body, CallFact step, Reporter report)
        {
            if (CheckZeroGradBeforeStep(body, step, report)) return;
            var loop = step.Loop;
            if (loop is null) return;
            foreach (var call in body.Calls)
                if (call.InLoop(loop, step.LoopFrame) && (call.Kind == CallKind.TrainStep || call.Kind == CallKind.Opaque)) return;
            // Gradients written by hand in the loop (a custom loss, a test) are fresh too.
            foreach (var operation in loop.Body.Descendants())
                if (operation is IPropertyReferenceOperation { Property.Name: "Gradients" } gradients && !IsClipArgument(body, gradients) && !IsCleared(gradients)) return;
            report.Report(Diagnostics.OptimizerStepWithoutGradients, step.Operation.Syntax, step.TargetName,
                "runs in a loop with no TrainStep: every step applies the same stale gradients",
                "call the model's TrainStep in the loop before '" + step.TargetName + ".Step()'");
        }

        /// <summary><c>model.TrainStep(…); optimizer.ZeroGrad(); optimizer.Step();</c>: the step applies zeroed gradients.</summary>
        private static bool CheckZeroGradBeforeStep(TrainingBody body, CallFact step, Reporter report)
        {
            var before = body.Calls
                .Where(c => CallFact.SameLoop(c, step) && c.Position < step.Position
                            && (c.Kind == CallKind.TrainStep || c.Kind == CallKind.Opaque || c.Kind == CallKind.ZeroGrad))
                .OrderByDescending(c => c.Position)
                .FirstOrDefault();
            if (before is null || before.Kind != CallKind.ZeroGrad) return false;
            if (before.Target is not null && step.Target is not null && !SymbolEqualityComparer.Default.Equals(before.Target, step.Target)) return false;
            // Only when gradients were computed before it in the same iteration (a ZeroGrad at the top of the loop is the usual one).
            var trained = body.Calls.Any(c => CallFact.SameLoop(c, step)
                                              && c.Position < before.Position && c.Kind == CallKind.TrainStep);
            if (!trained) return false;
            var branch = step.Loop is null ? null : TrainingBody.BranchOf(step, step.Loop);
            if (step.Loop is not null && TrainingBody.BranchOf(before, step.Loop) != branch) return false;
            var zero = before.Operation.Syntax.ToString();
            report.Report(Diagnostics.OptimizerStepWithoutGradients, step.Operation.Syntax, new[] { before.Operation.Syntax.GetLocation() }, null,
                step.TargetName,
                "runs right after '" + zero + "', which zeroed the gradients TrainStep had just computed: " + WhatAZeroStepApplies(body, step),
                "call '" + zero + "' after '" + step.TargetName + ".Step()' (or before TrainStep), not between them");
            return true;
        }

        /// <summary>An optimizer step on zero gradients only applies the optimizer's weight decay, if it has one.</summary>
        private static string WhatAZeroStepApplies(TrainingBody body, CallFact step)
        {
            var optimizer = body.CreationOf(step.Target);
            var decay = TrainingBody.ArgumentOperation(optimizer, "weightDecay");
            if (optimizer is null) return "the step applies nothing (only weight decay)";
            if (decay is null) return "the step applies nothing";
            var value = body.NumberOf(decay.Value);
            if (value is null) return "the step applies nothing but " + optimizer.Type?.Name + "'s weight decay";
            if (value == 0) return "the step applies nothing";
            var shown = decay.ArgumentKind == ArgumentKind.DefaultValue ? SchedulerRules.Format(value.Value) + " (its default)" : body.Amount(decay.Value);
            return "the step applies nothing but " + optimizer.Type?.Name + "'s weight decay " + shown;
        }

        private static bool IsCleared(IPropertyReferenceOperation gradients) =>
            gradients.Parent is IInvocationOperation { TargetMethod.Name: "Clear" };

        private static bool IsClipArgument(TrainingBody body, IOperation operation)
        {
            for (var parent = operation.Parent; parent is not null; parent = parent.Parent)
            {
                if (parent is IInvocationOperation invocation)
                    return KnownTypes.Is(invocation.TargetMethod.ContainingType, body.Types.GradClip);
                if (parent is IBlockOperation) return false;
            }
            return false;
        }

        // ---------------------------------------------------------------- DSL2006

        private static readonly HashSet<string> EvaluationWords = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "val", "valid", "validation", "test", "testing", "eval", "evaluation", "holdout", "heldout", "dev",
        };

        /// <summary>Words that make a split a training split even with an evaluation word in it (<c>trainVal</c>, <c>fullDev</c>).</summary>
        private static readonly HashSet<string> TrainingWords = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "train", "training", "trainval", "full", "all", "combined", "merged",
        };

        private static void CheckEvaluation(TrainingBody body, CallFact train, Reporter report)
        {
            var model = train.TargetName;
            var method = train.MethodName;
            if (StartsWithWord(method, "Evaluate") || StartsWithWord(method, "Validate") || StartsWithWord(method, "Validation") || StartsWithWord(method, "Eval"))
            {
                report.Report(Diagnostics.TrainStepInEvaluation, train.Operation.Syntax, model, "method '" + method + "'");
                return;
            }
            foreach (var loop in train.Loops)
            {
                var batches = body.BatchesCall(loop);
                if (batches is not null && DataSetName(body, batches.Instance) is { } name && IsEvaluationName(name))
                {
                    report.Report(Diagnostics.TrainStepInEvaluation, train.Operation.Syntax, model, "the loop over '" + batches.Syntax + "'" + (name == TrainingBody.Unwrap(batches.Instance!).Syntax.ToString() ? "" : " ('" + name + "')"));
                    return;
                }
            }
            foreach (var argument in train.Operation.Arguments)
            {
                if (TrainingBody.Unwrap(argument.Value) is IPropertyReferenceOperation { Property.Name: "Features" or "Labels" } data
                    && KnownTypes.Is(data.Instance?.Type, body.Types.DataSet)
                    && DataSetName(body, data.Instance) is { } dataSet && IsEvaluationName(dataSet))
                {
                    report.Report(Diagnostics.TrainStepInEvaluation, train.Operation.Syntax, model, "a call on the data set '" + dataSet + "'");
                    return;
                }
            }
        }

        /// <summary>The name of the data set variable, following a helper's parameter to what its one caller passes.</summary>
        private static string? DataSetName(TrainingBody body, IOperation? instance) => body.Resolve(instance)?.Name;

        private static bool StartsWithWord(string name, string word) =>
            name.StartsWith(word, StringComparison.Ordinal) && (name.Length == word.Length || !char.IsLower(name[word.Length]));

        /// <summary>Whether an identifier has a word like val, validation, test or holdout (camelCase or snake_case words).</summary>
        internal static bool IsEvaluationName(string name)
        {
            var words = Words(name).ToList();
            if (words.Any(w => TrainingWords.Contains(w))) return false;
            foreach (var word in words)
                if (EvaluationWords.Contains(word)) return true;
            return false;
        }

        private static IEnumerable<string> Words(string name)
        {
            var start = 0;
            for (var i = 1; i <= name.Length; i++)
            {
                var boundary = i == name.Length || name[i] == '_' || char.IsDigit(name[i]) != char.IsDigit(name[i - 1])
                               || (char.IsUpper(name[i]) && !char.IsUpper(name[i - 1]));
                if (!boundary) continue;
                var word = name.Substring(start, i - start).Trim('_');
                if (word.Length > 0) yield return word;
                start = i;
            }
        }
    }
}
