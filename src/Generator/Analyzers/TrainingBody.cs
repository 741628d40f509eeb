using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DslNet.Generator.Analyzers
{
    /// <summary>One operation block of a class: its owning member (method, constructor, field) and its root operations.</summary>
    internal readonly struct MemberBlock
    {
        public MemberBlock(ISymbol owner, ImmutableArray<IOperation> roots)
        {
            Owner = owner;
            Roots = roots;
        }

        public ISymbol Owner { get; }
        public ImmutableArray<IOperation> Roots { get; }
    }

    /// <summary>
    /// The data-flow view of a class's training code, gathered once and then only looked up by the rules: which
    /// variable (local, field, parameter bound at its only call site) holds which schedule, optimizer or value; which
    /// are reassigned; and every call the rules care about, with its loops, found by walking each entry member and
    /// following calls into the class's own methods, local functions and delegates (see <c>TrainingBody.Walk.cs</c>).
    /// </summary>
    internal sealed partial class TrainingBody
    {
        private readonly Dictionary<ISymbol, IObjectCreationOperation> _creations = new Dictionary<ISymbol, IObjectCreationOperation>(SymbolEqualityComparer.Default);
        private readonly Dictionary<ISymbol, IOperation> _initializers = new Dictionary<ISymbol, IOperation>(SymbolEqualityComparer.Default);
        private readonly HashSet<ISymbol> _reassigned = new HashSet<ISymbol>(SymbolEqualityComparer.Default);

        public TrainingBody(KnownTypes types, ISymbol owner)
        {
            Types = types;
            Owner = owner;
        }

        public KnownTypes Types { get; }

        /// <summary>The class (or, for a lone block, the member) analysed.</summary>
        public ISymbol Owner { get; }

        public List<CallFact> Calls { get; } = new List<CallFact>();
        public List<IObjectCreationOperation> Creations { get; } = new List<IObjectCreationOperation>();
        public List<IArgumentOperation> PrecisionArguments { get; } = new List<IArgumentOperation>();
        public List<ICompoundAssignmentOperation> LossSums { get; } = new List<ICompoundAssignmentOperation>();
        public bool UsesGradScaler { get; private set; }

        /// <summary>
        /// Whether the class touches what the rules are about: a call or creation of a DslNet training type, a model's
        /// TrainStep, a precision argument. A class that does not is not walked (most classes of a large codebase).
        /// </summary>
        public bool TouchesTraining { get; private set; }

        /// <summary>Collects the facts of a whole class: every member block is indexed, then each entry is walked.</summary>
        public static TrainingBody Collect(KnownTypes types, ISymbol owner, IReadOnlyList<MemberBlock> blocks)
        {
            var body = new TrainingBody(types, owner);
            var pending = new Stack<IOperation>();
            foreach (var block in blocks)
                foreach (var root in block.Roots)
                    if (root is not null) body.Index(block.Owner, root, pending);
            if (body.TouchesTraining) body.WalkEntries(blocks);
            return body;
        }

        /// <summary>One block alone (tests and tools): the block is its own class.</summary>
        public static TrainingBody Collect(KnownTypes types, ISymbol owner, IEnumerable<IOperation> roots) =>
            Collect(types, owner, new[] { new MemberBlock(owner, roots.Where(r => r is not null).ToImmutableArray()) });

        // ---------------------------------------------------------------- indexing

        /// <summary>Visits every operation under <paramref name="root"/> once, in pre-order (an explicit stack: trees can be deep).</summary>
        private void Index(ISymbol owner, IOperation root, Stack<IOperation> pending)
        {
            pending.Push(root);
            while (pending.Count > 0)
            {
                var operation = pending.Pop();
                Visit(owner, operation);
                foreach (var child in operation.ChildOperations.Reverse())
                    pending.Push(child);
            }
        }

        /// <summary>Indexes one operation. Dispatched on <see cref="IOperation.Kind"/>: one comparison instead of a type test per case.</summary>
        private void Visit(ISymbol owner, IOperation operation)
        {
            if (!UsesGradScaler && IsGradScaler(operation.Type))
                UsesGradScaler = TouchesTraining = true;

            switch (operation.Kind)
            {
                case OperationKind.Invocation:
                    IndexInvocation(owner, (IInvocationOperation)operation);
                    break;
                case OperationKind.ObjectCreation:
                    var creation = (IObjectCreationOperation)operation;
                    Creations.Add(creation);
                    if (!TouchesTraining && Types.IsRuntime(creation.Type)) TouchesTraining = true;
                    break;
                case OperationKind.LocalFunction:
                    var localFunction = (ILocalFunctionOperation)operation;
                    _localFunctions[localFunction.Symbol] = localFunction;
                    break;
                case OperationKind.VariableDeclarator:
                    var declarator = (IVariableDeclaratorOperation)operation;
                    if (!UsesGradScaler && IsGradScaler(declarator.Symbol.Type)) UsesGradScaler = TouchesTraining = true;
                    var initializer = declarator.Initializer?.Value;
                    if (initializer is not null) Assign(declarator.Symbol, initializer, declaration: true);
                    break;
                case OperationKind.FieldInitializer:
                    var fieldInitializer = (IFieldInitializerOperation)operation;
                    foreach (var field in fieldInitializer.InitializedFields) Assign(field, fieldInitializer.Value, declaration: true);
                    break;
                case OperationKind.PropertyInitializer:
                    var propertyInitializer = (IPropertyInitializerOperation)operation;
                    foreach (var property in propertyInitializer.InitializedProperties) Assign(property, propertyInitializer.Value, declaration: true);
                    break;
                case OperationKind.SimpleAssignment:
                    var assignment = (ISimpleAssignmentOperation)operation;
                    var assigned = SymbolOf(assignment.Target);
                    if (assigned is not null) Assign(assigned, assignment.Value, declaration: false);
                    break;
                case OperationKind.CompoundAssignment:
                    var compound = (ICompoundAssignmentOperation)operation;
                    MarkReassigned(compound.Target);
                    if (compound.OperatorKind == BinaryOperatorKind.Add && compound.Target is ILocalReferenceOperation
                        && ContainsTrainStep(compound.Value))
                        LossSums.Add(compound);
                    break;
                case OperationKind.Increment:
                case OperationKind.Decrement:
                    MarkReassigned(((IIncrementOrDecrementOperation)operation).Target);
                    break;
                case OperationKind.DeconstructionAssignment:
                    foreach (var target in ((IDeconstructionAssignmentOperation)operation).Target.DescendantsAndSelf())
                        if (target is ILocalReferenceOperation local) _reassigned.Add(local.Local);
                    break;
                case OperationKind.Argument:
                    if (((IArgumentOperation)operation).Parameter is { } parameter)
                    {
                        var argument = (IArgumentOperation)operation;
                        if (parameter.RefKind == RefKind.Ref || parameter.RefKind == RefKind.Out)
                            MarkReassigned(argument.Value);
                        if (Types.Precision is not null && KnownTypes.Is(parameter.Type, Types.Precision)
                            && string.Equals(parameter.Name, "precision", StringComparison.OrdinalIgnoreCase))
                        {
                            PrecisionArguments.Add(argument);
                            TouchesTraining = true;
                        }
                    }
                    break;
            }
        }

        /// <summary>The name first: nearly every operation's type is something else, and a string comparison is cheaper than a symbol comparison.</summary>
        private bool IsGradScaler(ITypeSymbol? type) =>
            type is not null && Types.GradScaler is { } scaler && type.Name == scaler.Name && KnownTypes.Is(type, scaler);

        /// <summary>
        /// Records a value stored in a variable. A second store makes a local (or a field given two different objects)
        /// "reassigned": then no rule relies on what it holds. A field or property set once in a constructor and
        /// read elsewhere is what the class's other methods see.
        /// </summary>
        private void Assign(ISymbol symbol, IOperation value, bool declaration)
        {
            if (!declaration && _initializers.ContainsKey(symbol)) _reassigned.Add(symbol);
            if (!declaration && (symbol is ILocalSymbol || symbol is IParameterSymbol)) _reassigned.Add(symbol);
            if (!_initializers.ContainsKey(symbol) || declaration) _initializers[symbol] = value;

            var created = CreatedBy(value);
            if (created is not null)
            {
                if (_creations.ContainsKey(symbol) && _creations[symbol] != created) _reassigned.Add(symbol);
                _creations[symbol] = created;
            }
            if (DelegateBody(value) is { } function) _delegates[symbol] = function;
        }

        /// <summary>The object a value creates: <c>new X(…)</c>, or the one creation of <c>c ? new X(…) : null</c>.</summary>
        private static IObjectCreationOperation? CreatedBy(IOperation value)
        {
            value = Unwrap(value);
            if (value is IObjectCreationOperation creation) return creation;
            if (value is IConditionalOperation { WhenFalse: not null } conditional)
            {
                var whenTrue = Unwrap(conditional.WhenTrue);
                var whenFalse = Unwrap(conditional.WhenFalse);
                if (whenTrue is IObjectCreationOperation a && IsNull(whenFalse)) return a;
                if (whenFalse is IObjectCreationOperation b && IsNull(whenTrue)) return b;
            }
            return null;
        }

        private static bool IsNull(IOperation operation) =>
            operation.ConstantValue.HasValue && operation.ConstantValue.Value is null
            || operation is IDefaultValueOperation;

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

        internal bool IsTrainStep(IInvocationOperation invocation) =>
            invocation.TargetMethod.Name == "TrainStep"
            && (Types.IsModel(invocation.TargetMethod.ContainingType) || Types.IsModel(invocation.Instance?.Type)
                || SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, Types.DeviceDataSet));

        // ---------------------------------------------------------------- symbols and creations

        public static IOperation Unwrap(IOperation operation)
        {
            while (true)
            {
                switch (operation)
                {
                    case IConversionOperation conversion: operation = conversion.Operand; continue;
                    case IParenthesizedOperation parenthesized: operation = parenthesized.Operand; continue;
                    case IConditionalAccessInstanceOperation instance:
                        // 'schedule?.Step()': the receiver is the expression before '?.'.
                        var access = instance.Parent;
                        while (access is not null && access is not IConditionalAccessOperation) access = access.Parent;
                        if (access is IConditionalAccessOperation conditionalAccess) { operation = conditionalAccess.Operation; continue; }
                        return operation;
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

        /// <summary>
        /// Like <see cref="SymbolOf(IOperation)"/>, but a parameter of a helper called from one place stands for what
        /// that place passes, and a local copied from a field or another local stands for it.
        /// </summary>
        public ISymbol? Resolve(IOperation? operation) => Resolve(SymbolOf(operation), 0);

        private ISymbol? Resolve(ISymbol? symbol, int depth)
        {
            if (symbol is null || depth > 6) return symbol;
            if (symbol is IParameterSymbol parameter && !IsReassigned(parameter) && BoundArgument(parameter) is { } argument
                && SymbolOf(argument) is { } passed)
                return Resolve(passed, depth + 1);
            if (symbol is ILocalSymbol local && !IsReassigned(local) && !_creations.ContainsKey(local)
                && _initializers.TryGetValue(local, out var initializer) && SymbolOf(initializer) is { } copied)
                return Resolve(copied, depth + 1);
            return symbol;
        }

        /// <summary>The object a variable was created from (the last creation wins, ambiguous ones are reassigned).</summary>
        public IObjectCreationOperation? CreationOf(ISymbol? symbol)
        {
            if (symbol is null) return null;
            if (_creations.TryGetValue(symbol, out var creation)) return creation;
            // 'var schedule = BuildSchedule(optimizer, epochs);': a factory method of the class that returns one creation.
            return !IsReassigned(symbol) && InitializerOf(symbol) is { } value && Unwrap(value) is IInvocationOperation call
                ? ReturnedCreation(call) : null;
        }

        /// <summary>The object a method of the class returns, when every return of its body returns the same creation expression.</summary>
        private IObjectCreationOperation? ReturnedCreation(IInvocationOperation call)
        {
            var method = call.TargetMethod.OriginalDefinition;
            if (!IsOwnCode(method) || !_methodBodies.TryGetValue(method, out var bodies)) return null;
            IObjectCreationOperation? returned = null;
            foreach (var body in bodies)
                foreach (var operation in body.DescendantsAndSelf())
                {
                    if (operation is not IReturnOperation { ReturnedValue: { } value }) continue;
                    var created = CreatedBy(value);
                    if (created is null || returned is not null && returned != created) return null;
                    returned = created;
                }
            return returned;
        }

        /// <summary>The creation an expression denotes: inline (<c>new X(…)</c>), through a variable, or returned by a method
        /// of the class called in place (<c>new Trainer(model, Recipe(5))</c>).</summary>
        public IObjectCreationOperation? CreationOf(IOperation? operation)
        {
            if (operation is null) return null;
            if (CreatedBy(operation) is { } created) return created;
            return Unwrap(operation) is IInvocationOperation call ? ReturnedCreation(call) : CreationOf(Resolve(operation));
        }

        public bool IsReassigned(ISymbol symbol) => _reassigned.Contains(symbol);

        public IOperation? InitializerOf(ISymbol symbol) =>
            _initializers.TryGetValue(symbol, out var initializer) ? initializer : null;

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

        /// <summary>The optimizer a schedule was built on.</summary>
        public ISymbol? OptimizerOf(IObjectCreationOperation? schedule) => Resolve(Argument(schedule, "optimizer"));

        public static string Describe(IOperation? operation) =>
            operation is null ? "?" : operation.Syntax.ToString();
    }
}
