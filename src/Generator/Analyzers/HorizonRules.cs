using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace DslNet.Generator.Analyzers
{
    /// <summary>
    /// DSL1002, DSL1003 and the warmup length of DSL1007: whether a schedule's horizon (totalSteps, tMax, stepSize,
    /// t0, warmupSteps, SequentialLR milestones, and those of the schedules it composes) is counted in the unit it is
    /// stepped in.
    /// </summary>
    internal static class HorizonRules
    {
        /// <summary>Diagnostic property the DSL1002 code fix reads: the horizon counted in optimizer steps.</summary>
        public const string ReplacementKey = "Replacement";

        private static readonly string[] HorizonParameters = { "totalSteps", "tMax", "stepSize", "t0", "warmupSteps" };

        /// <summary>The explicit horizon argument: <c>totalSteps</c> (one-cycle and alike) or a cosine's <c>tMax</c>.</summary>
        public static IArgumentOperation? Horizon(TrainingBody body, IObjectCreationOperation? creation, ITypeSymbol? type)
        {
            if (creation is null) return null;
            var argument = TrainingBody.ArgumentOperation(creation, "totalSteps");
            if (argument is null && KnownTypes.Is(creation.Type, body.Types.CosineAnnealingLR))
                argument = TrainingBody.ArgumentOperation(creation, "tMax");
            return argument is null || argument.ArgumentKind == ArgumentKind.DefaultValue ? null : argument;
        }

        // ---------------------------------------------------------------- DSL1002

        /// <summary>
        /// A schedule stepped once per batch whose horizon is computed only from the epoch count (the bound of a loop
        /// around the batch loop, or a variable named for epochs) and constants.
        /// </summary>
        public static bool CheckEpochHorizon(TrainingBody body, CallFact step, IObjectCreationOperation? creation, Reporter report)
        {
            if (creation is null || !IsPerBatch(body, step)) return false;
            var epochSymbols = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            var epochConstants = new HashSet<long>();
            for (var i = 1; i < step.Loops.Count; i++)
            {
                if (body.Leaves(body.BoundOf(step.Loops[i])) is { } leaves) epochSymbols.UnionWith(leaves);
                if (body.TripCount(step.Loops[i]) is { IsConstant: true } trips) epochConstants.Add(trips.Coefficient);
            }

            foreach (var (argument, value, owner) in HorizonArguments(body, creation, 0))
            {
                if (!CountsEpochs(body, value, epochSymbols, epochConstants)) continue;
                var at = argument.Value == value ? argument.Syntax : value.Syntax;
                var replacement = Replacement(body, step, value);
                report.Report(Diagnostics.HorizonIsEpochCount, at, null, replacement,
                    Message(body, step, creation, argument, value, owner, replacement));
                return true;
            }
            return false;
        }

        /// <summary>Whether the step runs once per batch: inside a loop over batches, or in a loop nested in the epoch loop.</summary>
        private static bool IsPerBatch(TrainingBody body, CallFact step)
        {
            var loop = step.Loop!;
            if (body.BatchesCall(loop) is not null) return true;
            if (body.TripCount(loop) is { } trips && trips.Factors.Any(f => f.DataSetKey is not null)) return true;
            if (step.Loops.Count < 2) return false;
            // Nested: the inner loop is the batch loop unless it is itself bounded by an epoch count.
            var innerLeaves = body.Leaves(body.BoundOf(loop));
            return innerLeaves is null || !innerLeaves.Any(l => IsEpochName(l.Name));
        }

        private static bool CountsEpochs(TrainingBody body, IOperation value, HashSet<ISymbol> epochSymbols, HashSet<long> epochConstants)
        {
            var leaves = body.Leaves(value);
            if (leaves is null) return false;
            if (leaves.Count == 0)
                return body.Count(value) is { IsConstant: true } constant && epochConstants.Contains(constant.Coefficient);
            var evidence = false;
            foreach (var leaf in leaves)
            {
                var epochish = epochSymbols.Contains(leaf) || IsEpochName(leaf.Name);
                if (epochish) { evidence = true; continue; }
                // A non-epoch variable is fine only when it is a constant (a warmup of 2 epochs) or computed from others.
                if (!IsConstantOrDerived(body, leaf)) return false;
            }
            return evidence;
        }

        private static bool IsConstantOrDerived(TrainingBody body, ISymbol leaf)
        {
            if (leaf is IFieldSymbol { HasConstantValue: true } || leaf is ILocalSymbol { HasConstantValue: true }) return true;
            if (body.IsReassigned(leaf)) return false;
            var initializer = leaf is IParameterSymbol parameter ? body.BoundArgument(parameter) : body.InitializerOf(leaf);
            return initializer is not null && (TrainingBody.Unwrap(initializer).ConstantValue.HasValue || body.Leaves(initializer) is { Count: > 0 });
        }

        /// <summary>An identifier that names a number of epochs: <c>epochs</c>, <c>numEpochs</c>, <c>max_epochs</c>, <c>warmupEpochs</c>.</summary>
        internal static bool IsEpochName(string name)
        {
            var words = Words(name).Select(w => w.ToLowerInvariant()).ToList();
            if (words.Any(w => w == "per" || w == "step" || w == "steps" || w == "batch" || w == "batches" || w == "iter" || w == "iters" || w == "iteration" || w == "iterations"))
                return false;
            return words.Contains("epochs") || words.Contains("epoch") && (words.Contains("count") || words.Contains("num") || words.Contains("n") || words.Contains("max"));
        }

        internal static IEnumerable<string> Words(string name)
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

        /// <summary>The horizon arguments of a schedule and of the schedules it composes (LinearWarmup's then, SequentialLR's children and milestones).</summary>
        private static IEnumerable<(IArgumentOperation Argument, IOperation Value, IObjectCreationOperation Owner)> HorizonArguments(
            TrainingBody body, IObjectCreationOperation creation, int depth)
        {
            if (depth > 3) yield break;
            foreach (var name in HorizonParameters)
            {
                var argument = TrainingBody.ArgumentOperation(creation, name);
                if (argument is not null && argument.ArgumentKind != ArgumentKind.DefaultValue)
                    yield return (argument, argument.Value, creation);
            }
            if (KnownTypes.Is(creation.Type, body.Types.LinearWarmup) && body.CreationOf(TrainingBody.Argument(creation, "then")) is { } then)
                foreach (var inner in HorizonArguments(body, then, depth + 1)) yield return inner;
            if (KnownTypes.Is(creation.Type, body.Types.SequentialLR))
            {
                var milestones = TrainingBody.ArgumentOperation(creation, "milestones");
                if (milestones is not null && body.ElementsThrough(milestones.Value) is { } values)
                    foreach (var value in values) yield return (milestones, value, creation);
                var children = TrainingBody.Argument(creation, "schedulers");
                if (children is not null && body.ElementsThrough(children) is { } elements)
                    foreach (var element in elements)
                        if (body.CreationOf(element) is { } child)
                            foreach (var inner in HorizonArguments(body, child, depth + 1)) yield return inner;
            }
        }

        private static string Message(TrainingBody body, CallFact step, IObjectCreationOperation stepped, IArgumentOperation argument,
            IOperation value, IObjectCreationOperation owner, ImmutableDictionary<string, string?>? replacement)
        {
            var name = argument.Parameter?.Name ?? "horizon";
            var shown = body.WithValue(value);
            var count = body.Count(value) is { IsConstant: true } constant ? constant.Display
                : body.NumberOf(value) is double number ? SchedulerRules.Format(number) : "'" + value.Syntax + "'";
            var what = argument.Value == value ? "'" + name + ": " + shown + "'" : "The milestone " + body.Amount(value) + " of '" + name + "'";
            var schedule = owner.Type?.Name ?? "schedule";
            string consequence;
            if (name == "stepSize")
                consequence = "the rate decays every " + count + " batches instead of every " + count + " epochs";
            else if (name == "milestones")
                consequence = "it switches schedules after " + count + " batches instead of " + count + " epochs";
            else if (name == "warmupSteps")
                consequence = "the warmup ends after " + count + " batches";
            else
                consequence = "the " + schedule + " ends after " + count + " batches" + (KnownTypes.Is(owner.Type, body.Types.OneCycleLR) ? " and the next Step() throws" : "");
            var fix = replacement is not null
                ? "count it in optimizer steps ('" + replacement[ReplacementKey] + "')"
                : "count it in optimizer steps (epochs × batches per epoch)";
            if (SchedulerRules.UnitOf(body, stepped, stepped.Type, 0) == Unit.Epoch)
                fix = "step the schedule once per epoch, after the batch loop, or " + fix;
            return what + " of the " + schedule + " counts epochs, but '" + step.TargetName + ".Step()' runs once per batch: " + consequence + "; " + fix;
        }

        /// <summary>The horizon times the batches of the loop the schedule is stepped in, when that data set is in scope at the horizon.</summary>
        private static ImmutableDictionary<string, string?>? Replacement(TrainingBody body, CallFact step, IOperation value)
        {
            var batches = body.BatchesCall(step.Loop!);
            if (batches?.Instance is null) return null;
            var receiver = TrainingBody.Unwrap(batches.Instance);
            var symbol = TrainingBody.SymbolOf(receiver);
            if (symbol is null || !IsInScope(symbol, value.Syntax)) return null;
            var arguments = new List<string>();
            foreach (var argument in batches.Arguments)
            {
                if (argument.ArgumentKind == ArgumentKind.DefaultValue) continue;
                var parameter = argument.Parameter?.Name;
                if (parameter == "batchSize") arguments.Insert(0, argument.Value.Syntax.ToString());
                else if (parameter == "dropLast") arguments.Add("dropLast: " + argument.Value.Syntax);
            }
            if (arguments.Count == 0) return null;
            foreach (var argument in batches.Arguments)
                if (argument.Parameter?.Name == "batchSize" && argument.Value.Syntax.ToString() is { } size
                    && !(TrainingBody.Unwrap(argument.Value).ConstantValue.HasValue || IsVisible(argument.Value, value)))
                    return null;
            var horizon = TrainingBody.Unwrap(value) is IBinaryOperation ? "(" + value.Syntax + ")" : value.Syntax.ToString();
            return ImmutableDictionary<string, string?>.Empty.Add(ReplacementKey,
                horizon + " * " + receiver.Syntax + ".BatchesPerEpoch(" + string.Join(", ", arguments) + ")");
        }

        private static bool IsVisible(IOperation expression, IOperation at)
        {
            var symbol = TrainingBody.SymbolOf(expression);
            return symbol is not null && IsInScope(symbol, at.Syntax);
        }

        /// <summary>
        /// Whether the code at <paramref name="at"/> can name <paramref name="symbol"/> (to write it into a fix), read from
        /// the declarations' syntax instead of a semantic-model lookup (which builds binders for every position asked):
        /// a parameter of a method, lambda or local function around it, a local declared before it in a block around
        /// it, or a member of its class (an instance member not from a static member).
        /// </summary>
        internal static bool IsInScope(ISymbol symbol, SyntaxNode at)
        {
            if (symbol is IFieldSymbol || symbol is IPropertySymbol)
            {
                var member = at.FirstAncestorOrSelf<MemberDeclarationSyntax>(m => m.Parent is TypeDeclarationSyntax);
                var type = member?.Parent as TypeDeclarationSyntax;
                if (type is null || !symbol.ContainingType.DeclaringSyntaxReferences.Any(r => r.SyntaxTree == at.SyntaxTree && r.Span.Contains(type.Span))) return false;
                return symbol.IsStatic || !member!.Modifiers.Any(SyntaxKind.StaticKeyword);
            }
            if (symbol is not IParameterSymbol && symbol is not ILocalSymbol) return false;
            foreach (var reference in symbol.DeclaringSyntaxReferences)
            {
                if (reference.SyntaxTree != at.SyntaxTree) continue;
                var declaration = reference.GetSyntax();
                if (symbol is IParameterSymbol)
                {
                    var owner = declaration.Parent?.Parent; // parameter → parameter list → method, lambda or local function
                    if (declaration.Parent is not null && declaration.Parent is not ParameterListSyntax) owner = declaration.Parent; // 'x => …'
                    if (owner is not null && owner.Span.Contains(at.Span)) return true;
                    continue;
                }
                var scope = declaration.FirstAncestorOrSelf<SyntaxNode>(n => n is BlockSyntax || n is SwitchSectionSyntax || n is CompilationUnitSyntax
                                                                              || n is ForStatementSyntax || n is CommonForEachStatementSyntax || n is UsingStatementSyntax);
                if (scope is not null && scope.Span.Contains(at.Span) && declaration.Span.End <= at.SpanStart) return true;
            }
            return false;
        }

        // ---------------------------------------------------------------- DSL1003

        public static void CheckHorizonCount(TrainingBody body, CallFact step, IArgumentOperation horizon, Reporter report)
        {
            // Only a Step() that runs on every iteration has a count that is the product of the loop counts.
            if (TrainingBody.BranchOf(step, step.Loop!) != step.Loop) return;
            var stated = body.Count(horizon.Value);
            var calls = body.TripCount(step.Loops);
            if (stated is null || calls is null || stated.Equals(calls)) return;

            string detail;
            if (stated.IsConstant && calls.IsConstant)
                detail = stated.Coefficient < calls.Coefficient
                    ? ": the schedule runs out after step " + stated.Display + " and the next Step() throws"
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
                horizon.Parameter?.Name ?? "horizon", body.WithValue(horizon.Value), stated.Display,
                "the loops call '" + step.TargetName + ".Step()' " + calls.Display + " times", detail);
        }

        /// <summary>
        /// A composed schedule whose last part is given the whole run: <c>LinearWarmup(w, then: Cosine(tMax: total))</c> or
        /// <c>SequentialLR([warm, cosine], milestones: [w])</c> stepped <c>total</c> times leaves the cosine only
        /// <c>total − w</c> steps, so it never reaches its end.
        /// </summary>
        public static bool CheckComposedHorizon(TrainingBody body, CallFact step, IObjectCreationOperation? creation, Reporter report)
        {
            if (creation is null || TrainingBody.BranchOf(step, step.Loop!) != step.Loop) return false;
            var calls = body.TripCount(step.Loops);
            if (calls is null) return false;
            var tail = Tail(body, creation);
            if (tail is null) return false;
            var (inner, offset) = tail.Value;
            var horizon = Horizon(body, inner, inner.Type);
            if (horizon is null) return false;
            var stated = body.Count(horizon.Value);
            var before = body.Count(offset);
            if (stated is null || before is null) return false;
            bool wrong;
            if (stated.IsConstant && calls.IsConstant && before.IsConstant) wrong = stated.Coefficient + before.Coefficient != calls.Coefficient;
            else wrong = stated.Equals(calls) && !(before.IsConstant && before.Coefficient == 0);
            if (!wrong) return false;
            var remaining = calls.IsConstant && before.IsConstant
                ? (calls.Coefficient - before.Coefficient).ToString(System.Globalization.CultureInfo.InvariantCulture)
                : calls.Display + " - " + body.Amount(offset);
            report.Report(Diagnostics.HorizonDiffersFromStepCount, horizon.Syntax,
                horizon.Parameter?.Name ?? "horizon", body.WithValue(horizon.Value), stated.Display,
                "the loops call '" + step.TargetName + ".Step()' " + calls.Display + " times",
                ", and the " + (inner.Type?.Name ?? "schedule") + " inside it only gets the " + remaining + " calls after the first " + body.Amount(offset)
                + " (" + (creation.Type?.Name ?? "the composed schedule") + " runs its first part before it)");
            return true;
        }

        /// <summary>The last schedule of a composition and the number of steps that run before it.</summary>
        private static (IObjectCreationOperation Inner, IOperation Offset)? Tail(TrainingBody body, IObjectCreationOperation creation)
        {
            if (KnownTypes.Is(creation.Type, body.Types.LinearWarmup))
            {
                var then = body.CreationOf(TrainingBody.Argument(creation, "then"));
                var warmup = TrainingBody.Argument(creation, "warmupSteps");
                return then is null || warmup is null ? null : (then, warmup);
            }
            if (KnownTypes.Is(creation.Type, body.Types.SequentialLR))
            {
                var children = TrainingBody.Argument(creation, "schedulers");
                var milestones = TrainingBody.Argument(creation, "milestones");
                var elements = children is null ? null : body.ElementsThrough(children);
                var points = milestones is null ? null : body.ElementsThrough(milestones);
                if (elements is null || points is null || elements.Count < 2 || points.Count != elements.Count - 1) return null;
                var last = body.CreationOf(elements[elements.Count - 1]);
                return last is null ? null : (last, points[points.Count - 1]);
            }
            return null;
        }

        // ---------------------------------------------------------------- DSL1007 (warmup length)

        /// <summary>A LinearWarmup whose warmup is at least as long as all the Step() calls the loops make.</summary>
        public static void CheckWarmupLength(TrainingBody body, CallFact step, IObjectCreationOperation? creation, ITypeSymbol? type, Reporter report)
        {
            if (creation is null || !KnownTypes.Is(type, body.Types.LinearWarmup)) return;
            if (TrainingBody.BranchOf(step, step.Loop!) != step.Loop) return;
            var warmup = TrainingBody.ArgumentOperation(creation, "warmupSteps");
            if (warmup is null || warmup.ArgumentKind == ArgumentKind.DefaultValue) return;
            var stated = body.Count(warmup.Value);
            var calls = body.TripCount(step.Loops);
            if (stated is null || calls is null) return;
            var tooLong = stated.IsConstant && calls.IsConstant ? stated.Coefficient >= calls.Coefficient : stated.Equals(calls);
            if (!tooLong) return;
            report.Report(Diagnostics.InvalidScheduleConstant, warmup.Syntax,
                "warmupSteps " + body.Amount(warmup.Value) + " is not shorter than the " + calls.Display + " Step() calls the loops make: training ends before the warmup does; make the warmup a small part of the run (e.g. 5%)");
        }
    }
}
