using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DslNet.Generator.Analyzers
{
    /// <summary>Where a call sits: its loops, the branch it runs in, the accumulation region around it (across call sites).</summary>
    internal sealed partial class TrainingBody
    {
        /// <summary>
        /// Loops around <paramref name="operation"/> in its own function (lambdas and local functions end the search),
        /// innermost first. A <c>foreach</c> over a collection of schedules is not a loop of training steps.
        /// </summary>
        public static List<ILoopOperation> LoopsAround(IOperation operation)
        {
            var loops = new List<ILoopOperation>();
            for (var parent = operation.Parent; parent is not null; parent = parent.Parent)
            {
                if (parent is IAnonymousFunctionOperation lambda && !RunsInPlace(lambda) || parent is ILocalFunctionOperation) break;
                if (parent is ILoopOperation loop && !IteratesSchedules(loop)) loops.Add(loop);
            }
            return loops;
        }

        /// <summary>
        /// A lambda handed to a framework <c>ForEach</c> (<c>schedules.ForEach(s => s.Step())</c>, <c>Array.ForEach</c>): it
        /// runs right there, once per element, like the body of a foreach loop.
        /// </summary>
        public static bool RunsInPlace(IAnonymousFunctionOperation lambda) => InPlaceForEach(lambda) is not null;

        /// <summary>The <c>ForEach</c> call a lambda is handed to, or null.</summary>
        public static IInvocationOperation? InPlaceForEach(IAnonymousFunctionOperation lambda)
        {
            var parent = lambda.Parent is IDelegateCreationOperation creation ? creation.Parent : lambda.Parent;
            if (parent is not IArgumentOperation { Parent: IInvocationOperation invocation }) return null;
            var method = invocation.TargetMethod;
            return method.Name == "ForEach" && (KnownTypes.IsNamespace(method.ContainingNamespace, "System") || KnownTypes.IsNamespace(method.ContainingNamespace, "System.Collections.Generic"))
                ? invocation : null;
        }

        private static bool IteratesSchedules(ILoopOperation loop) =>
            loop is IForEachLoopOperation forEach && IterationVariable(forEach) is { Type: { } type }
            && (IsSchedulerInterface(type) || type.AllInterfaces.Any(IsSchedulerInterface));

        private static bool IsSchedulerInterface(ITypeSymbol type) =>
            type.Name == "ILearningRateScheduler" && KnownTypes.IsNamespace(type.ContainingNamespace, "DslNet");

        /// <summary>The variable of <c>foreach (var x in …)</c>, or null for a deconstruction.</summary>
        public static ILocalSymbol? IterationVariable(IForEachLoopOperation forEach) =>
            forEach.LoopControlVariable is IVariableDeclaratorOperation declarator ? declarator.Symbol
            : forEach.LoopControlVariable is IDeclarationExpressionOperation { Expression: ILocalReferenceOperation local } ? local.Local
            : null;

        /// <summary>The (child, parent) pairs from a call up to its entry, jumping from each callee's root to its call site.</summary>
        public static IEnumerable<(IOperation Child, IOperation Parent)> Ancestry(CallFact call)
        {
            IOperation child = call.Operation;
            var level = 0;
            while (true)
            {
                var stop = level < call.Sites.Length ? call.Sites[level].CalleeRoot : null;
                for (var parent = child.Parent; parent is not null && parent != stop; child = parent, parent = parent.Parent)
                    yield return (child, parent);
                if (level >= call.Sites.Length) yield break;
                child = call.Sites[level].Invocation;
                level++;
            }
        }

        /// <summary>
        /// The branch of an <c>if</c> (or switch case) that the call sits in, the nearest one inside
        /// <paramref name="loop"/>; the loop itself when the call runs on every iteration. <c>schedule?.Step()</c> runs on
        /// every iteration (the schedule is either there or not at all).
        /// </summary>
        public static IOperation BranchOf(CallFact call, IOperation loop)
        {
            foreach (var (child, parent) in Ancestry(call))
            {
                if (parent == loop) return loop;
                var branch = BranchStep(child, parent);
                if (branch is not null) return branch;
            }
            return loop;
        }

        private static IOperation? BranchStep(IOperation child, IOperation parent)
        {
            if (parent is IConditionalOperation conditional && child != conditional.Condition) return child;
            if (parent is ISwitchCaseOperation || parent is ICatchClauseOperation) return parent;
            if (parent is IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } logical
                && child == logical.RightOperand) return child;
            if (parent is ICoalesceOperation coalesce && child == coalesce.WhenNull) return child;
            if (parent is IAnonymousFunctionOperation || parent is ILocalFunctionOperation) return parent;
            return null;
        }

        /// <summary>Whether <paramref name="operation"/> is <paramref name="ancestor"/> or inside it.</summary>
        public static bool IsWithin(IOperation operation, IOperation ancestor)
        {
            for (var current = operation; current is not null; current = current.Parent)
                if (current == ancestor) return true;
            return false;
        }

        /// <summary>
        /// The gradient-accumulation region around <paramref name="call"/> inside its loop: the true branch of an
        /// <c>if (accumulator.Add())</c>, <c>if (sync)</c> with <c>var sync = accumulator.Add()</c>, or
        /// <c>if ((i + 1) % n == 0)</c>; or what follows a guard <c>if (!accumulator.Add()) continue;</c> /
        /// <c>if (++i % n != 0) continue;</c> in the loop body.
        /// </summary>
        public Accumulation? AccumulationAround(CallFact call)
        {
            var loop = call.Loop;
            if (loop is null) return null;
            foreach (var (child, parent) in Ancestry(call))
            {
                if (parent == loop) break;
                if (parent is IConditionalOperation conditional && child == conditional.WhenTrue)
                {
                    var count = AccumulationCondition(conditional.Condition, negated: false);
                    if (count is not null) return new Accumulation(conditional, conditional.WhenTrue, null, count.Value.Count, count.Value.Display);
                }
                if (parent is IBlockOperation block)
                {
                    foreach (var sibling in block.Operations)
                    {
                        if (sibling == child) break;
                        if (sibling is IConditionalOperation { WhenFalse: null } guard && IsContinue(guard.WhenTrue))
                        {
                            var count = AccumulationCondition(guard.Condition, negated: true);
                            if (count is not null) return new Accumulation(guard, null, block, count.Value.Count, count.Value.Display);
                        }
                    }
                }
            }
            return null;
        }

        private static bool IsContinue(IOperation operation)
        {
            if (operation is IBlockOperation { Operations.Length: 1 } block) operation = block.Operations[0];
            return operation is IBranchOperation { BranchKind: BranchKind.Continue }
                   || operation is IReturnOperation { ReturnedValue: null };
        }

        /// <summary>The accumulation count of <c>accumulator.Add()</c> / <c>k % n == 0</c> (or of their negations when <paramref name="negated"/>).</summary>
        private (IOperation? Count, string Display)? AccumulationCondition(IOperation condition, bool negated, int depth = 0)
        {
            if (depth > 3) return null;
            condition = Unwrap(condition);
            if (condition is ILocalReferenceOperation flag && !IsReassigned(flag.Local) && InitializerOf(flag.Local) is { } flagValue)
                return AccumulationCondition(flagValue, negated, depth + 1);
            if (negated)
            {
                if (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
                    return AccumulationCondition(not.Operand, negated: false, depth + 1);
                if (condition is IBinaryOperation { OperatorKind: BinaryOperatorKind.NotEquals } notEquals) return Remainder(notEquals);
                return null;
            }
            if (condition is IInvocationOperation { TargetMethod.Name: "Add" } add && KnownTypes.Is(add.Instance?.Type, Types.GradientAccumulator))
            {
                var accumulator = Resolve(add.Instance);
                var steps = accumulator is null ? null : Argument(CreationOf(accumulator), "steps");
                return (steps, steps is null ? "the accumulator's steps" : Amount(steps));
            }
            if (condition is IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals } equals) return Remainder(equals);
            return null;
        }

        private (IOperation? Count, string Display)? Remainder(IBinaryOperation comparison)
        {
            var left = Unwrap(comparison.LeftOperand);
            var right = Unwrap(comparison.RightOperand);
            var remainder = left as IBinaryOperation ?? right as IBinaryOperation;
            var other = remainder == left ? right : left;
            if (remainder is { OperatorKind: BinaryOperatorKind.Remainder } && other.ConstantValue.HasValue)
                return (remainder.RightOperand, Amount(remainder.RightOperand));
            return null;
        }
    }

    /// <summary>
    /// A gradient-accumulation region: the true branch of <see cref="Condition"/>, or (for a guard that continues)
    /// the rest of <see cref="GuardedBlock"/> after the guard. The count is the accumulation count's expression.
    /// </summary>
    internal sealed class Accumulation
    {
        public Accumulation(IConditionalOperation condition, IOperation? branch, IBlockOperation? guardedBlock, IOperation? count, string countDisplay)
        {
            Condition = condition;
            Branch = branch;
            GuardedBlock = guardedBlock;
            CountOperation = count;
            CountDisplay = countDisplay;
        }

        public IConditionalOperation Condition { get; }
        public IOperation? Branch { get; }
        public IBlockOperation? GuardedBlock { get; }
        public IOperation? CountOperation { get; }
        public string CountDisplay { get; }

        /// <summary>Whether <paramref name="operation"/> runs only once per optimizer step.</summary>
        public bool Covers(IOperation operation) =>
            Branch is not null
                ? TrainingBody.IsWithin(operation, Branch)
                : TrainingBody.IsWithin(operation, GuardedBlock!) && operation.Syntax.SpanStart >= Condition.Syntax.Span.End;

        /// <summary>Whether the call (or a call site it was reached through) runs only once per optimizer step.</summary>
        public bool Covers(CallFact call) => call.Chain.Any(Covers);

        /// <summary>The operations that run once per optimizer step.</summary>
        public IEnumerable<IOperation> Region()
        {
            if (Branch is not null) return Branch.DescendantsAndSelf();
            var end = Condition.Syntax.Span.End;
            return GuardedBlock!.Operations.Where(o => o.Syntax.SpanStart >= end).SelectMany(o => o.DescendantsAndSelf());
        }
    }
}
