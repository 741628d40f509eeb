using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DslNet.Generator.Analyzers
{
    /// <summary>
    /// Values as the rules see them: step counts (<see cref="StepCount"/>), loop trip counts from any loop form the
    /// compiler can bound (counting <c>for</c> from 0 or 1, <c>while</c>/<c>do</c> with a counter, <c>foreach</c> over
    /// batches or a range), the symbols a value is made of, and the value a message prints.
    /// </summary>
    internal sealed partial class TrainingBody
    {
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
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Subtract or BinaryOperatorKind.Divide } arithmetic:
                    var a = Count(arithmetic.LeftOperand, depth + 1);
                    var b = a is null ? null : Count(arithmetic.RightOperand, depth + 1);
                    if (a is null || b is null || !a.IsConstant || !b.IsConstant) return null;
                    if (arithmetic.OperatorKind == BinaryOperatorKind.Divide)
                        return b.Coefficient == 0 ? null : StepCount.Constant(a.Coefficient / b.Coefficient);
                    return StepCount.Constant(arithmetic.OperatorKind == BinaryOperatorKind.Add ? a.Coefficient + b.Coefficient : a.Coefficient - b.Coefficient);
                case ILocalReferenceOperation local:
                    if (IsReassigned(local.Local)) return null;
                    if (_initializers.TryGetValue(local.Local, out var initializer))
                        return Count(initializer, depth + 1) ?? StepCount.Of(new StepFactor("local:" + local.Local.Name, local.Local.Name));
                    return null;
                case IParameterReferenceOperation parameter:
                    if (IsReassigned(parameter.Parameter)) return null;
                    if (BoundArgument(parameter.Parameter) is { } passed) return Count(passed, depth + 1);
                    return StepCount.Of(new StepFactor("param:" + parameter.Parameter.Name, parameter.Parameter.Name));
                case IFieldReferenceOperation field:
                    return StepCount.Of(new StepFactor("field:" + DisplayKey(field.Field), operation.Syntax.ToString()));
                case IPropertyReferenceOperation property when property.Arguments.IsEmpty:
                    var owner = property.Instance is null ? DisplayKey(property.Property.ContainingType) : Key(property.Instance);
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

        /// <summary>How many times a loop runs its body, when the rules can bound it.</summary>
        public StepCount? TripCount(ILoopOperation loop)
        {
            switch (loop)
            {
                case IForLoopOperation forLoop:
                    return ForTripCount(forLoop);
                case IForEachLoopOperation forEach:
                    return CollectionCount(forEach.Collection, 0);
                case IWhileLoopOperation whileLoop:
                    return WhileTripCount(whileLoop);
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

        /// <summary>Elements of a collection: <c>d.Batches(b, …)</c>, <c>Enumerable.Range(s, n)</c>, through locals and order-keeping LINQ.</summary>
        private StepCount? CollectionCount(IOperation collection, int depth)
        {
            if (depth > 4) return null;
            collection = Unwrap(collection);
            if (collection is ILocalReferenceOperation local && !IsReassigned(local.Local) && InitializerOf(local.Local) is { } value)
                return CollectionCount(value, depth + 1);
            if (collection is not IInvocationOperation invocation) return null;
            var method = invocation.TargetMethod;
            if (method.Name == "Batches" && KnownTypes.Is(invocation.Instance?.Type, Types.DataSet))
            {
                var factor = BatchesFactor(invocation);
                return factor is null ? null : StepCount.Of(factor);
            }
            var isLinq = KnownTypes.IsType(method.ContainingType, "System.Linq", "Enumerable");
            if (isLinq && method.Name == "Range" && invocation.Arguments.Length == 2)
                return Count(invocation.Arguments[1].Value);
            if (isLinq && (method.Name == "Select" || method.Name == "ToList" || method.Name == "ToArray" || method.Name == "AsEnumerable")
                && invocation.Arguments.Length >= 1)
                return CollectionCount(invocation.Arguments[0].Value, depth + 1);
            return null;
        }

        /// <summary>The data set iterated by a loop over <c>d.Batches(…)</c> (directly, through a local, or through LINQ), or null.</summary>
        public IInvocationOperation? BatchesCall(ILoopOperation loop)
        {
            if (loop is not IForEachLoopOperation forEach) return null;
            var collection = Unwrap(forEach.Collection);
            for (var depth = 0; depth < 5; depth++)
            {
                if (collection is ILocalReferenceOperation local && !IsReassigned(local.Local) && InitializerOf(local.Local) is { } value)
                    collection = Unwrap(value);
                else if (collection is IInvocationOperation { TargetMethod.Name: "Batches" } batches && KnownTypes.Is(batches.Instance?.Type, Types.DataSet))
                    return batches;
                else if (collection is IInvocationOperation linq && KnownTypes.IsType(linq.TargetMethod.ContainingType, "System.Linq", "Enumerable") && linq.Arguments.Length >= 1)
                    collection = Unwrap(linq.Arguments[0].Value);
                else return null;
            }
            return null;
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
            if (!IsIncrementByOne(bottom, counter)) return null;
            return BoundedTrips(loop.Condition, counter, start);
        }

        /// <summary><c>var e = 0; while (e &lt; n) { …; e++; }</c> (or <c>do … while</c>): one increment at the top level of the body.</summary>
        private StepCount? WhileTripCount(IWhileLoopOperation loop)
        {
            if (loop.Condition is not IBinaryOperation condition || Unwrap(condition.LeftOperand) is not ILocalReferenceOperation reference) return null;
            var counter = reference.Local;
            if (InitializerOf(counter) is not { } initial || !initial.ConstantValue.HasValue || ToLong(initial.ConstantValue.Value) is not long start) return null;
            if (loop.Body is not IBlockOperation body) return null;
            var increments = 0;
            foreach (var operation in loop.Body.Descendants())
            {
                var writes = operation switch
                {
                    IIncrementOrDecrementOperation increment => IsLocal(increment.Target, counter) ? 1 : 0,
                    IAssignmentOperation assignment => IsLocal(assignment.Target, counter) ? 1 : 0,
                    _ => 0,
                };
                if (writes == 0) continue;
                var top = body.Operations.Any(o => o is IExpressionStatementOperation s && s.Operation == operation);
                if (!top || !IsIncrementByOne(operation, counter)) return null;
                increments++;
            }
            if (increments != 1 || loop.ConditionIsUntil) return null;
            // 'do { … } while (…)' runs at least once; with a positive count that is the same number.
            return BoundedTrips(condition, counter, start);
        }

        private static bool IsIncrementByOne(IOperation operation, ILocalSymbol counter) => operation switch
        {
            IIncrementOrDecrementOperation { Kind: OperationKind.Increment } increment => IsLocal(increment.Target, counter),
            ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Add } add =>
                IsLocal(add.Target, counter) && add.Value.ConstantValue.HasValue && ToLong(add.Value.ConstantValue.Value) == 1,
            _ => false,
        };

        /// <summary>Trips of <c>counter &lt; bound</c> / <c>counter &lt;= bound</c> counting up by one from <paramref name="start"/>.</summary>
        private StepCount? BoundedTrips(IOperation? condition, ILocalSymbol counter, long start)
        {
            if (condition is not IBinaryOperation comparison || !IsLocal(comparison.LeftOperand, counter)) return null;
            var bound = Count(comparison.RightOperand);
            if (bound is null) return null;
            switch (comparison.OperatorKind)
            {
                case BinaryOperatorKind.LessThan:
                    if (start == 0) return bound;
                    return bound.IsConstant ? StepCount.Constant(Math.Max(0, bound.Coefficient - start)) : null;
                case BinaryOperatorKind.LessThanOrEqual:
                    if (start == 1) return bound;
                    return bound.IsConstant ? StepCount.Constant(Math.Max(0, bound.Coefficient - start + 1)) : null;
                default:
                    return null;
            }
        }

        /// <summary>The expression a loop's count is bounded by (<c>epochs</c> in <c>e &lt; epochs</c>, <c>n</c> in <c>Range(0, n)</c>).</summary>
        public IOperation? BoundOf(ILoopOperation loop)
        {
            switch (loop)
            {
                case IForLoopOperation { Condition: IBinaryOperation comparison }: return comparison.RightOperand;
                case IWhileLoopOperation { Condition: IBinaryOperation comparison }: return comparison.RightOperand;
                case IForEachLoopOperation forEach:
                    var collection = Unwrap(forEach.Collection);
                    if (collection is ILocalReferenceOperation local && !IsReassigned(local.Local) && InitializerOf(local.Local) is { } value)
                        collection = Unwrap(value);
                    if (collection is IInvocationOperation { TargetMethod.Name: "Range", Arguments.Length: 2 } range
                        && KnownTypes.IsType(range.TargetMethod.ContainingType, "System.Linq", "Enumerable"))
                        return range.Arguments[1].Value;
                    return null;
                default: return null;
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
            var display = receiver + ".BatchesPerEpoch(" + (batchSize is null ? batch.Display : batchSize.Syntax.ToString()) + (dropLast == "false" ? "" : ", dropLast: " + dropLast) + ")";
            return new StepFactor("batches:" + dataSet + "|" + batchKey + "|" + dropLast, display, dataSet, batchKey + "|" + dropLast);
        }

        private readonly Dictionary<ISymbol, string> _displayKeys = new Dictionary<ISymbol, string>(SymbolEqualityComparer.Default);

        /// <summary>The symbol's display string, written once per symbol (the rules ask for the same fields many times).</summary>
        private string DisplayKey(ISymbol symbol)
        {
            if (!_displayKeys.TryGetValue(symbol, out var key)) _displayKeys[symbol] = key = symbol.ToDisplayString();
            return key;
        }

        /// <summary>A stable key for a simple expression (variable, field, property chain), or null.</summary>
        private string? Key(IOperation? operation, int depth = 0)
        {
            if (operation is null || depth > 6) return null;
            operation = Unwrap(operation);
            switch (operation)
            {
                case IInstanceReferenceOperation: return "this";
                case ILocalReferenceOperation local:
                    if (IsReassigned(local.Local)) return null;
                    if (!_creations.ContainsKey(local.Local) && InitializerOf(local.Local) is { } copied && SymbolOf(copied) is not null) return Key(copied, depth + 1);
                    return "local:" + local.Local.Name;
                case IParameterReferenceOperation parameter:
                    if (IsReassigned(parameter.Parameter)) return null;
                    if (BoundArgument(parameter.Parameter) is { } passed && SymbolOf(passed) is not null) return Key(passed, depth + 1);
                    return "param:" + parameter.Parameter.Name;
                case IFieldReferenceOperation field: return "field:" + DisplayKey(field.Field);
                case IPropertyReferenceOperation property when property.Arguments.IsEmpty:
                    var owner = property.Instance is null ? DisplayKey(property.Property.ContainingType) : Key(property.Instance, depth + 1);
                    return owner is null ? null : owner + "." + property.Property.Name;
                default: return null;
            }
        }

        // ---------------------------------------------------------------- what a value is made of

        /// <summary>
        /// The variables an integer value is computed from (through locals, and parameters bound at their only call
        /// site), when it is built only from them and constants with + − × ÷; null when it involves anything else
        /// (a call such as <c>BatchesPerEpoch</c>, a row count).
        /// </summary>
        public HashSet<ISymbol>? Leaves(IOperation? operation)
        {
            var leaves = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            return CollectLeaves(operation, leaves, 0) ? leaves : null;
        }

        private bool CollectLeaves(IOperation? operation, HashSet<ISymbol> leaves, int depth)
        {
            if (operation is null || depth > 10) return false;
            operation = Unwrap(operation);
            switch (operation)
            {
                case ILiteralOperation:
                    return true;
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Subtract or BinaryOperatorKind.Multiply or BinaryOperatorKind.Divide } arithmetic:
                    return CollectLeaves(arithmetic.LeftOperand, leaves, depth + 1) && CollectLeaves(arithmetic.RightOperand, leaves, depth + 1);
                case IInvocationOperation { TargetMethod.Name: "Max" or "Min" or "Round" or "Ceiling" or "Floor" } math
                    when KnownTypes.IsType(math.TargetMethod.ContainingType, "System", "Math"):
                    return math.Arguments.All(a => CollectLeaves(a.Value, leaves, depth + 1));
                case ILocalReferenceOperation local:
                    leaves.Add(local.Local);
                    if (IsReassigned(local.Local)) return true;
                    return InitializerOf(local.Local) is not { } initializer || initializer.ConstantValue.HasValue
                           || CollectLeaves(initializer, leaves, depth + 1) || SymbolOf(initializer) is null && IsOpaqueValue(initializer);
                case IParameterReferenceOperation parameter:
                    leaves.Add(parameter.Parameter);
                    return BoundArgument(parameter.Parameter) is not { } passed || CollectLeaves(passed, leaves, depth + 1) || IsOpaqueValue(passed);
                case IFieldReferenceOperation field:
                    leaves.Add(field.Field);
                    if (field.Field.HasConstantValue) return true;
                    return InitializerOf(field.Field) is not { } fieldValue || fieldValue.ConstantValue.HasValue
                           || CollectLeaves(fieldValue, leaves, depth + 1) || IsOpaqueValue(fieldValue);
                case IPropertyReferenceOperation property when property.Arguments.IsEmpty:
                    if (KnownTypes.Is(property.Property.ContainingType, Types.DataSet)) return false; // rows, columns: not a count of epochs
                    leaves.Add(property.Property);
                    return true;
                default:
                    return operation.ConstantValue.HasValue;
            }
        }

        /// <summary>A value read from outside (a parsed argument, a configuration read): a leaf in itself.</summary>
        private static bool IsOpaqueValue(IOperation value) =>
            Unwrap(value) is IInvocationOperation invocation && invocation.TargetMethod.Name != "BatchesPerEpoch"
            || Unwrap(value) is IPropertyReferenceOperation;

        // ---------------------------------------------------------------- values for messages

        /// <summary>
        /// The expression as written, followed by its value when that is known and not already what is written:
        /// <c>weightDecay (= 0.01)</c>, <c>epochs (= 3)</c>, <c>1e-2</c>.
        /// </summary>
        public string WithValue(IOperation? operation)
        {
            if (operation is null) return "?";
            var text = operation.Syntax.ToString();
            var value = ValueText(operation);
            return value is null || value == text ? text : text + " (= " + value + ")";
        }

        /// <summary>
        /// A value for a message, value first: <c>0.01 ('weightDecay')</c> for a variable or constant with a known
        /// value, <c>1e-2</c> for a literal, and the expression in quotes (<c>'accumSteps'</c>) when the value is not known.
        /// </summary>
        public string Amount(IOperation? operation)
        {
            if (operation is null) return "?";
            var text = operation.Syntax.ToString();
            var value = ValueText(operation);
            if (value is null) return "'" + text + "'";
            return Unwrap(operation) is ILiteralOperation || value == text ? text : value + " ('" + text + "')";
        }

        /// <summary>The value of a constant or of a count whose factors are all known, as text; null otherwise.</summary>
        public string? ValueText(IOperation operation)
        {
            var unwrapped = Unwrap(operation);
            if (unwrapped.ConstantValue.HasValue)
                return unwrapped.ConstantValue.Value switch
                {
                    double d => d.ToString("R", CultureInfo.InvariantCulture),
                    float f => f.ToString("R", CultureInfo.InvariantCulture),
                    bool b => b ? "true" : "false",
                    null => "null",
                    var other => Convert.ToString(other, CultureInfo.InvariantCulture),
                };
            // A local, field or property stored once from a number (directly or through other variables).
            // A property others can set ('{ get; init; } = 10') has no value the class alone decides.
            if (SymbolOf(unwrapped) is { } symbol && symbol is not IParameterSymbol && !IsSettableFromOutside(symbol)
                && NumberOf(unwrapped) is double number)
                return number.ToString("R", CultureInfo.InvariantCulture);
            if (unwrapped is IParameterReferenceOperation parameter && BoundArgument(parameter.Parameter) is { } passed)
                return ValueText(passed) ?? passed.Syntax.ToString();
            var count = Count(unwrapped);
            return count is not null && count.IsConstant ? count.Display : null;
        }

        /// <summary>A constant value (a number, an enum member), through locals, fields and bound parameters stored once.</summary>
        public Optional<object?> ConstantOf(IOperation? operation, int depth = 0)
        {
            if (operation is null || depth > 6) return default;
            var unwrapped = Unwrap(operation);
            if (unwrapped.ConstantValue.HasValue) return unwrapped.ConstantValue;
            var symbol = SymbolOf(unwrapped);
            if (symbol is null || IsReassigned(symbol)) return default;
            if (symbol is IParameterSymbol parameter) return ConstantOf(BoundArgument(parameter), depth + 1);
            return ConstantOf(InitializerOf(symbol), depth + 1);
        }

        private static bool IsSettableFromOutside(ISymbol symbol) =>
            symbol is IPropertySymbol { SetMethod: { DeclaredAccessibility: not Accessibility.Private } }
            || symbol is IFieldSymbol { IsReadOnly: false, IsConst: false, DeclaredAccessibility: not Accessibility.Private };

        /// <summary>A constant number, through locals, fields and bound parameters.</summary>
        public double? NumberOf(IOperation? operation, int depth = 0)
        {
            if (operation is null || depth > 6) return null;
            var unwrapped = Unwrap(operation);
            if (unwrapped.ConstantValue.HasValue) return ToDouble(unwrapped.ConstantValue.Value);
            var symbol = SymbolOf(unwrapped);
            if (symbol is null || IsReassigned(symbol)) return null;
            if (symbol is IParameterSymbol parameter) return NumberOf(BoundArgument(parameter), depth + 1);
            return NumberOf(InitializerOf(symbol), depth + 1);
        }

        internal static long? ToLong(object? value)
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
}
