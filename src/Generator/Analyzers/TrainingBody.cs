using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DslNet.Generator.Analyzers
{
    internal enum CallKind
    {
        Other,
        /// <summary><c>optimizer.Step()</c>, or <c>scaler.Step(optimizer)</c> (Target is the optimizer either way).</summary>
        OptimizerStep,
        SchedulerStep,
        TrainStep,
        Clip,
        Unscale,
        AccumulatorAdd,
        /// <summary>A method of the user's own code, or a delegate: it might compute gradients, so no rule assumes it does not.</summary>
        Opaque,
    }

    /// <summary>One invocation the rules care about, with the loops around it.</summary>
    internal sealed class CallFact
    {
        public CallFact(IInvocationOperation operation, CallKind kind, ISymbol? target, IReadOnlyList<ILoopOperation> loops)
        {
            Operation = operation;
            Kind = kind;
            Target = target;
            Loops = loops;
        }

        public IInvocationOperation Operation { get; }
        public CallKind Kind { get; }

        /// <summary>The optimizer (OptimizerStep, Unscale), scheduler (SchedulerStep) or model (TrainStep) it acts on.</summary>
        public ISymbol? Target { get; }

        /// <summary>Enclosing loops of the same function, innermost first.</summary>
        public IReadOnlyList<ILoopOperation> Loops { get; }

        public ILoopOperation? Loop => Loops.Count > 0 ? Loops[0] : null;
        public int Position => Operation.Syntax.SpanStart;
        public bool IsScalerStep => Kind == CallKind.OptimizerStep && Operation.TargetMethod.Parameters.Length > 0;
    }

    /// <summary>
    /// Everything the rules need from one method body (or field initializer, or top-level program), gathered in one
    /// walk over its operations: the calls with their loops, which variable holds which schedule or optimizer,
    /// which locals are reassigned. Rules then only look things up.
    /// </summary>
    internal sealed class TrainingBody
    {
        private readonly Dictionary<ISymbol, IObjectCreationOperation> _creations = new Dictionary<ISymbol, IObjectCreationOperation>(SymbolEqualityComparer.Default);
        private readonly Dictionary<ISymbol, IOperation> _localInitializers = new Dictionary<ISymbol, IOperation>(SymbolEqualityComparer.Default);
        private readonly HashSet<ISymbol> _reassigned = new HashSet<ISymbol>(SymbolEqualityComparer.Default);

        public TrainingBody(KnownTypes types, ISymbol owner)
        {
            Types = types;
            Owner = owner;
        }

        public KnownTypes Types { get; }
        public ISymbol Owner { get; }
        public List<CallFact> Calls { get; } = new List<CallFact>();
        public List<IObjectCreationOperation> Creations { get; } = new List<IObjectCreationOperation>();
        public List<IArgumentOperation> PrecisionArguments { get; } = new List<IArgumentOperation>();
        public List<ICompoundAssignmentOperation> LossSums { get; } = new List<ICompoundAssignmentOperation>();
        public bool UsesGradScaler { get; private set; }

        public static TrainingBody Collect(KnownTypes types, ISymbol owner, IEnumerable<IOperation> roots)
        {
            var body = new TrainingBody(types, owner);
            foreach (var root in roots)
            {
                if (root is null) continue;
                body.Visit(root);
                foreach (var operation in root.Descendants())
                    body.Visit(operation);
            }
            return body;
        }

        private void Visit(IOperation operation)
        {
            if (operation.Type is not null && KnownTypes.Is(operation.Type, Types.GradScaler))
                UsesGradScaler = true;

            switch (operation)
            {
                case IInvocationOperation invocation:
                    VisitInvocation(invocation);
                    break;
                case IObjectCreationOperation creation:
                    Creations.Add(creation);
                    break;
                case IVariableDeclaratorOperation declarator:
                    if (KnownTypes.Is(declarator.Symbol.Type, Types.GradScaler)) UsesGradScaler = true;
                    var initializer = declarator.Initializer?.Value;
                    if (initializer is not null)
                    {
                        _localInitializers[declarator.Symbol] = initializer;
                        if (Unwrap(initializer) is IObjectCreationOperation created) _creations[declarator.Symbol] = created;
                    }
                    break;
                case ISimpleAssignmentOperation assignment:
                    var assigned = SymbolOf(assignment.Target);
                    if (assigned is not null)
                    {
                        if (Unwrap(assignment.Value) is IObjectCreationOperation createdByAssignment)
                        {
                            // Two different schedules assigned to one variable: which one runs is not known.
                            if (_creations.ContainsKey(assigned)) _reassigned.Add(assigned);
                            _creations[assigned] = createdByAssignment;
                        }
                        if (assigned is ILocalSymbol || assigned is IParameterSymbol) _reassigned.Add(assigned);
                    }
                    break;
                case ICompoundAssignmentOperation compound:
                    MarkReassigned(compound.Target);
                    if (compound.OperatorKind == BinaryOperatorKind.Add && compound.Target is ILocalReferenceOperation
                        && ContainsTrainStep(compound.Value))
                        LossSums.Add(compound);
                    break;
                case IIncrementOrDecrementOperation increment:
                    MarkReassigned(increment.Target);
                    break;
                case IDeconstructionAssignmentOperation deconstruction:
                    foreach (var target in deconstruction.Target.DescendantsAndSelf())
                        if (target is ILocalReferenceOperation local) _reassigned.Add(local.Local);
                    break;
                case IArgumentOperation argument:
                    if (argument.Parameter is { } parameter)
                    {
                        if (parameter.RefKind == RefKind.Ref || parameter.RefKind == RefKind.Out)
                            MarkReassigned(argument.Value);
                        if (Types.Precision is not null && KnownTypes.Is(parameter.Type, Types.Precision)
                            && string.Equals(parameter.Name, "precision", StringComparison.OrdinalIgnoreCase))
                            PrecisionArguments.Add(argument);
                    }
                    break;
            }
        }

        private void MarkReassigned(IOperation target)
        {
            var symbol = SymbolOf(target);
            if (symbol is not null) _reassigned.Add(symbol);
        }

        private bool ContainsTrainStep(IOperation value)
        {
            foreach (var operation in value.DescendantsAndSelf())
                if (operation is IInvocationOperation invocation && IsTrainStep(invocation)) return true;
            return false;
        }

        private bool IsTrainStep(IInvocationOperation invocation) =>
            invocation.TargetMethod.Name == "TrainStep"
            && (Types.IsModel(invocation.TargetMethod.ContainingType) || Types.IsModel(invocation.Instance?.Type));

        private void VisitInvocation(IInvocationOperation invocation)
        {
            var method = invocation.TargetMethod;
            var receiverType = invocation.Instance?.Type;
            var kind = CallKind.Other;
            ISymbol? target = null;

            if (IsTrainStep(invocation))
            {
                kind = CallKind.TrainStep;
                target = SymbolOf(invocation.Instance);
            }
            else if (method.Name == "Step" && method.Parameters.Length == 0 && Types.IsOptimizer(receiverType))
            {
                kind = CallKind.OptimizerStep;
                target = SymbolOf(invocation.Instance);
            }
            else if (method.Name == "Step" && method.Parameters.Length == 0 && Types.IsScheduler(receiverType))
            {
                kind = CallKind.SchedulerStep;
                target = SymbolOf(invocation.Instance);
            }
            else if (KnownTypes.Is(receiverType, Types.GradScaler) && (method.Name == "Step" || method.Name == "Unscale"))
            {
                kind = method.Name == "Step" ? CallKind.OptimizerStep : CallKind.Unscale;
                target = invocation.Arguments.Length > 0 ? SymbolOf(invocation.Arguments[0].Value) : null;
            }
            else if (method.IsStatic && KnownTypes.Is(method.ContainingType, Types.GradClip))
            {
                kind = CallKind.Clip;
            }
            else if (method.Name == "Add" && KnownTypes.Is(receiverType, Types.GradientAccumulator))
            {
                kind = CallKind.AccumulatorAdd;
                target = SymbolOf(invocation.Instance);
            }
            else if (method.MethodKind == MethodKind.DelegateInvoke
                     || (SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, Owner.ContainingAssembly) && !Types.IsModel(method.ContainingType))
                     || invocation.Arguments.Any(a => Types.IsModel(a.Value.Type)))
            {
                // The user's own helper (it may call TrainStep), a delegate, or anything handed the model.
                kind = CallKind.Opaque;
            }

            Calls.Add(new CallFact(invocation, kind, target, LoopsAround(invocation)));
        }

        // ---------------------------------------------------------------- structure

        /// <summary>Loops around <paramref name="operation"/> in its own function (lambdas and local functions end the search), innermost first.</summary>
        public static List<ILoopOperation> LoopsAround(IOperation operation)
        {
            var loops = new List<ILoopOperation>();
            for (var parent = operation.Parent; parent is not null; parent = parent.Parent)
            {
                if (parent is IAnonymousFunctionOperation || parent is ILocalFunctionOperation) break;
                if (parent is ILoopOperation loop) loops.Add(loop);
            }
            return loops;
        }

        /// <summary>
        /// The branch of an <c>if</c> (or switch case) that <paramref name="operation"/> sits in, the nearest one inside
        /// <paramref name="loop"/>; the loop itself when the operation runs on every iteration.
        /// </summary>
        public static IOperation BranchOf(IOperation operation, IOperation loop)
        {
            var child = operation;
            for (var parent = operation.Parent; parent is not null && parent != loop; child = parent, parent = parent.Parent)
            {
                if (parent is IConditionalOperation conditional && child != conditional.Condition) return child;
                if (parent is ISwitchCaseOperation || parent is ICatchClauseOperation) return parent;
                if (parent is IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } logical
                    && child == logical.RightOperand) return child;
                if (parent is ICoalesceOperation coalesce && child == coalesce.WhenNull) return child;
                if (parent is IConditionalAccessOperation access && child == access.WhenNotNull) return child;
                if (parent is IAnonymousFunctionOperation || parent is ILocalFunctionOperation) return parent;
            }
            return loop;
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
        /// <c>if (accumulator.Add())</c> or <c>if (++i % n == 0)</c>, or what follows a guard
        /// <c>if (!accumulator.Add()) continue;</c> / <c>if (++i % n != 0) continue;</c> in the loop body.
        /// </summary>
        public Accumulation? AccumulationAround(CallFact call)
        {
            var loop = call.Loop;
            if (loop is null) return null;
            IOperation child = call.Operation;
            for (var parent = child.Parent; parent is not null && parent != loop; child = parent, parent = parent.Parent)
            {
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
            return operation is IBranchOperation { BranchKind: BranchKind.Continue };
        }

        /// <summary>The accumulation count of <c>accumulator.Add()</c> / <c>k % n == 0</c> (or of their negations when <paramref name="negated"/>).</summary>
        private (IOperation? Count, string Display)? AccumulationCondition(IOperation condition, bool negated)
        {
            condition = Unwrap(condition);
            if (negated)
            {
                if (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not) condition = Unwrap(not.Operand);
                else if (condition is IBinaryOperation { OperatorKind: BinaryOperatorKind.NotEquals } notEquals) return Remainder(notEquals);
                else return null;
            }
            if (condition is IInvocationOperation { TargetMethod.Name: "Add" } add && KnownTypes.Is(add.Instance?.Type, Types.GradientAccumulator))
            {
                var accumulator = SymbolOf(add.Instance);
                var steps = accumulator is null ? null : Argument(CreationOf(accumulator), "steps");
                return (steps, steps?.Syntax.ToString() ?? "the accumulator's steps");
            }
            if (!negated && condition is IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals } equals) return Remainder(equals);
            return null;
        }

        private static (IOperation? Count, string Display)? Remainder(IBinaryOperation comparison)
        {
            var left = Unwrap(comparison.LeftOperand);
            var right = Unwrap(comparison.RightOperand);
            var remainder = left as IBinaryOperation ?? right as IBinaryOperation;
            var other = remainder == left ? right : left;
            if (remainder is { OperatorKind: BinaryOperatorKind.Remainder } && other.ConstantValue.HasValue)
                return (remainder.RightOperand, remainder.RightOperand.Syntax.ToString());
            return null;
        }

        // ---------------------------------------------------------------- symbols and creations

        public static IOperation Unwrap(IOperation operation)
        {
            while (true)
            {
                switch (operation)
                {
                    case IConversionOperation conversion: operation = conversion.Operand; continue;
                    case IParenthesizedOperation parenthesized: operation = parenthesized.Operand; continue;
                    default: return operation;
                }
            }
        }

        /// <summary>The variable, parameter, field or property an expression reads, if it is just that.</summary>
        public static ISymbol? SymbolOf(IOperation? operation)
        {
            if (operation is null) return null;
            switch (Unwrap(operation))
            {
                case ILocalReferenceOperation local: return local.Local;
                case IParameterReferenceOperation parameter: return parameter.Parameter;
                case IFieldReferenceOperation field: return field.Field;
                case IPropertyReferenceOperation property when property.Arguments.IsEmpty: return property.Property;
                default: return null;
            }
        }

        /// <summary>The object a variable was created from in this body (the last creation wins, ambiguous ones are reassigned).</summary>
        public IObjectCreationOperation? CreationOf(ISymbol? symbol) =>
            symbol is not null && _creations.TryGetValue(symbol, out var creation) ? creation : null;

        /// <summary>The creation an expression denotes: inline (<c>new X(…)</c>) or through a variable.</summary>
        public IObjectCreationOperation? CreationOf(IOperation? operation)
        {
            if (operation is null) return null;
            var unwrapped = Unwrap(operation);
            return unwrapped as IObjectCreationOperation ?? CreationOf(SymbolOf(unwrapped));
        }

        public bool IsReassigned(ISymbol symbol) => _reassigned.Contains(symbol);

        public IOperation? InitializerOf(ILocalSymbol local) =>
            _localInitializers.TryGetValue(local, out var initializer) ? initializer : null;

        /// <summary>The argument for the parameter named <paramref name="name"/> (explicit or default), or null.</summary>
        public static IArgumentOperation? ArgumentOperation(IObjectCreationOperation? creation, string name)
        {
            if (creation is null) return null;
            foreach (var argument in creation.Arguments)
                if (argument.Parameter?.Name == name) return argument;
            return null;
        }

        /// <summary>The value passed explicitly for the parameter named <paramref name="name"/>, or null.</summary>
        public static IOperation? Argument(IObjectCreationOperation? creation, string name)
        {
            var argument = ArgumentOperation(creation, name);
            return argument is null || argument.ArgumentKind == ArgumentKind.DefaultValue ? null : argument.Value;
        }

        public static string Describe(IOperation? operation) =>
            operation is null ? "?" : operation.Syntax.ToString();

        // ---------------------------------------------------------------- counting

        /// <summary>The value of an integer expression as a <see cref="StepCount"/>, or null when it is not a product the rules understand.</summary>
        public StepCount? Count(IOperation? operation, int depth = 0)
        {
            if (operation is null || depth > 8) return null;
            operation = Unwrap(operation);
            if (operation.ConstantValue.HasValue)
                return ToLong(operation.ConstantValue.Value) is long constant ? StepCount.Constant(constant) : null;

            switch (operation)
            {
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Multiply } product:
                    var left = Count(product.LeftOperand, depth + 1);
                    var right = left is null ? null : Count(product.RightOperand, depth + 1);
                    return left is null || right is null ? null : left.Times(right);
                case ILocalReferenceOperation local:
                    if (IsReassigned(local.Local)) return null;
                    if (_localInitializers.TryGetValue(local.Local, out var initializer))
                        return Count(initializer, depth + 1) ?? StepCount.Of(new StepFactor("local:" + local.Local.Name, local.Local.Name));
                    return null;
                case IParameterReferenceOperation parameter:
                    return IsReassigned(parameter.Parameter) ? null
                        : StepCount.Of(new StepFactor("param:" + parameter.Parameter.Name, parameter.Parameter.Name));
                case IFieldReferenceOperation field:
                    return StepCount.Of(new StepFactor("field:" + field.Field.ToDisplayString(), operation.Syntax.ToString()));
                case IPropertyReferenceOperation property when property.Arguments.IsEmpty:
                    var owner = property.Instance is null ? property.Property.ContainingType.ToDisplayString() : Key(property.Instance);
                    return owner is null ? null
                        : StepCount.Of(new StepFactor("prop:" + owner + "." + property.Property.Name, operation.Syntax.ToString()));
                case IInvocationOperation invocation when invocation.TargetMethod.Name == "BatchesPerEpoch"
                                                          && KnownTypes.Is(invocation.Instance?.Type, Types.DataSet):
                    var factor = BatchesFactor(invocation);
                    return factor is null ? null : StepCount.Of(factor);
                default:
                    return null;
            }
        }

        /// <summary>How many times a loop runs its body, when it is a counting <c>for</c> or a <c>foreach</c> over batches or a range.</summary>
        public StepCount? TripCount(ILoopOperation loop)
        {
            switch (loop)
            {
                case IForLoopOperation forLoop:
                    return ForTripCount(forLoop);
                case IForEachLoopOperation forEach:
                    var collection = Unwrap(forEach.Collection);
                    if (collection is IInvocationOperation invocation)
                    {
                        if (invocation.TargetMethod.Name == "Batches" && KnownTypes.Is(invocation.Instance?.Type, Types.DataSet))
                        {
                            var factor = BatchesFactor(invocation);
                            return factor is null ? null : StepCount.Of(factor);
                        }
                        if (invocation.TargetMethod.Name == "Range" && invocation.TargetMethod.ContainingType.ToDisplayString() == "System.Linq.Enumerable"
                            && invocation.Arguments.Length == 2)
                            return Count(invocation.Arguments[1].Value);
                    }
                    return null;
                default:
                    return null;
            }
        }

        /// <summary>The product of the trip counts of <paramref name="loops"/>, or null if one is unknown.</summary>
        public StepCount? TripCount(IReadOnlyList<ILoopOperation> loops)
        {
            StepCount? count = StepCount.One;
            foreach (var loop in loops)
            {
                var trips = TripCount(loop);
                if (trips is null) return null;
                count = count.Times(trips);
                if (count is null) return null;
            }
            return count;
        }

        private StepCount? ForTripCount(IForLoopOperation loop)
        {
            if (loop.Before.Length != 1 || loop.AtLoopBottom.Length != 1) return null;
            ILocalSymbol? counter = null;
            long start = 0;
            if (loop.Before[0] is IVariableDeclarationGroupOperation group
                && group.Declarations.Length == 1 && group.Declarations[0].Declarators.Length == 1)
            {
                var declarator = group.Declarations[0].Declarators[0];
                var initial = declarator.Initializer?.Value;
                if (initial is null || !initial.ConstantValue.HasValue || ToLong(initial.ConstantValue.Value) is not long value) return null;
                counter = declarator.Symbol;
                start = value;
            }
            if (counter is null) return null;

            var bottom = loop.AtLoopBottom[0] is IExpressionStatementOperation statement ? statement.Operation : loop.AtLoopBottom[0];
            var increments = bottom switch
            {
                IIncrementOrDecrementOperation { Kind: OperationKind.Increment } increment => IsLocal(increment.Target, counter),
                ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Add } add =>
                    IsLocal(add.Target, counter) && add.Value.ConstantValue.HasValue && ToLong(add.Value.ConstantValue.Value) == 1,
                _ => false,
            };
            if (!increments) return null;

            if (loop.Condition is not IBinaryOperation condition || !IsLocal(condition.LeftOperand, counter)) return null;
            var bound = Count(condition.RightOperand);
            if (bound is null) return null;
            switch (condition.OperatorKind)
            {
                case BinaryOperatorKind.LessThan:
                    if (start == 0) return bound;
                    return bound.IsConstant ? StepCount.Constant(Math.Max(0, bound.Coefficient - start)) : null;
                case BinaryOperatorKind.LessThanOrEqual:
                    return bound.IsConstant ? StepCount.Constant(Math.Max(0, bound.Coefficient - start + 1)) : null;
                default:
                    return null;
            }
        }

        private static bool IsLocal(IOperation operation, ILocalSymbol local) =>
            Unwrap(operation) is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local);

        /// <summary>"Batches of one epoch of data set d at batch size b": from <c>d.Batches(b, …)</c> or <c>d.BatchesPerEpoch(b)</c>.</summary>
        private StepFactor? BatchesFactor(IInvocationOperation invocation)
        {
            var dataSet = Key(invocation.Instance);
            IOperation? batchSize = null;
            string dropLast = "false";
            foreach (var argument in invocation.Arguments)
            {
                var name = argument.Parameter?.Name;
                if (name == "batchSize") batchSize = argument.Value;
                else if (name == "dropLast")
                {
                    if (argument.Value.ConstantValue.HasValue && argument.Value.ConstantValue.Value is bool flag) dropLast = flag ? "true" : "false";
                    else if (Key(argument.Value) is string key) dropLast = key;
                    else return null;
                }
            }
            var batch = Count(batchSize);
            if (dataSet is null || batch is null) return null;
            var batchKey = batch.IsConstant ? batch.Display : string.Join("*", new[] { batch.Coefficient.ToString(CultureInfo.InvariantCulture) }.Concat(batch.Factors.Select(f => f.Key)));
            var receiver = invocation.Instance!.Syntax.ToString();
            var display = receiver + ".BatchesPerEpoch(" + batch.Display + (dropLast == "false" ? "" : ", dropLast: " + dropLast) + ")";
            return new StepFactor("batches:" + dataSet + "|" + batchKey + "|" + dropLast, display, dataSet, batchKey + "|" + dropLast);
        }

        /// <summary>A stable key for a simple expression (variable, field, property chain), or null.</summary>
        private string? Key(IOperation? operation)
        {
            if (operation is null) return null;
            operation = Unwrap(operation);
            switch (operation)
            {
                case IInstanceReferenceOperation: return "this";
                case ILocalReferenceOperation local: return IsReassigned(local.Local) ? null : "local:" + local.Local.Name;
                case IParameterReferenceOperation parameter: return IsReassigned(parameter.Parameter) ? null : "param:" + parameter.Parameter.Name;
                case IFieldReferenceOperation field: return "field:" + field.Field.ToDisplayString();
                case IPropertyReferenceOperation property when property.Arguments.IsEmpty:
                    var owner = property.Instance is null ? property.Property.ContainingType.ToDisplayString() : Key(property.Instance);
                    return owner is null ? null : owner + "." + property.Property.Name;
                default: return null;
            }
        }

        private static long? ToLong(object? value)
        {
            switch (value)
            {
                case int i: return i;
                case long l: return l;
                case short s: return s;
                case byte b: return b;
                case sbyte sb: return sb;
                case ushort us: return us;
                case uint ui: return ui;
                default: return null;
            }
        }

        public static double? ToDouble(object? value)
        {
            switch (value)
            {
                case double d: return d;
                case float f: return f;
                case decimal m: return (double)m;
                default: return ToLong(value);
            }
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

        /// <summary>The operations that run once per optimizer step.</summary>
        public IEnumerable<IOperation> Region()
        {
            if (Branch is not null) return Branch.DescendantsAndSelf();
            var end = Condition.Syntax.Span.End;
            return GuardedBlock!.Operations.Where(o => o.Syntax.SpanStart >= end).SelectMany(o => o.DescendantsAndSelf());
        }
    }
}
