using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DslNet.Generator.Analyzers
{
    /// <summary>
    /// The interprocedural walk: each entry member (one nobody in the class calls) is walked in execution order, and a
    /// call of the class's own method, of a local function, or of a delegate held in a variable continues into that
    /// body with the loops and call sites of the call. A helper called from two places is walked from both.
    /// </summary>
    internal sealed partial class TrainingBody
    {
        private const int MaxInlineDepth = 6;

        private int _frames;

        private readonly Dictionary<ISymbol, ILocalFunctionOperation> _localFunctions = new Dictionary<ISymbol, ILocalFunctionOperation>(SymbolEqualityComparer.Default);
        private readonly Dictionary<ISymbol, IOperation> _delegates = new Dictionary<ISymbol, IOperation>(SymbolEqualityComparer.Default);
        private readonly Dictionary<ISymbol, List<IOperation>> _methodBodies = new Dictionary<ISymbol, List<IOperation>>(SymbolEqualityComparer.Default);
        private readonly Dictionary<ISymbol, List<IInvocationOperation>> _callSites = new Dictionary<ISymbol, List<IInvocationOperation>>(SymbolEqualityComparer.Default);
        private readonly Dictionary<ISymbol, HashSet<ISymbol>> _callers = new Dictionary<ISymbol, HashSet<ISymbol>>(SymbolEqualityComparer.Default);
        private readonly HashSet<ISymbol> _invokedDelegates = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        private System.Func<IInvocationOperation, CallKind, string>? _nameTarget;

        private void IndexInvocation(ISymbol owner, IInvocationOperation invocation)
        {
            if (!TouchesTraining && IsTrainingCall(invocation)) TouchesTraining = true;
            var method = invocation.TargetMethod.OriginalDefinition;
            if (method.MethodKind == MethodKind.DelegateInvoke)
            {
                if (SymbolOf(invocation.Instance) is { } held) _invokedDelegates.Add(held);
                return;
            }
            if (!IsOwnCode(method)) return;
            if (!_callSites.TryGetValue(method, out var sites)) _callSites[method] = sites = new List<IInvocationOperation>();
            sites.Add(invocation);
            if (!_callers.TryGetValue(method, out var callers)) _callers[method] = callers = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            callers.Add(owner);
        }

        /// <summary>
        /// A call of the runtime or of a model, or on a receiver of such a type: every call kind a rule is about
        /// (<see cref="Classify"/>) is one, including <c>model.Gradients.Clear()</c>.
        /// </summary>
        private bool IsTrainingCall(IInvocationOperation invocation)
        {
            if (Types.IsRuntime(invocation.TargetMethod.ContainingType)) return true;
            if (invocation.Instance is null) return false;
            var receiver = Unwrap(invocation.Instance);
            return Types.IsRuntime(receiver.Type)
                   || receiver is IPropertyReferenceOperation { Instance: { } owner } && Types.IsRuntime(owner.Type);
        }

        /// <summary>A method or local function of the class being analysed (not of the generated model).</summary>
        private bool IsOwnCode(IMethodSymbol method) =>
            method.MethodKind == MethodKind.LocalFunction
            || (Owner is INamedTypeSymbol type && SymbolEqualityComparer.Default.Equals(method.ContainingType?.OriginalDefinition, type.OriginalDefinition));

        /// <summary>The argument a parameter receives, when its method is called from exactly one place in the class.</summary>
        public IOperation? BoundArgument(IParameterSymbol parameter)
        {
            if (parameter.ContainingSymbol is not IMethodSymbol method) return null;
            if (!_callSites.TryGetValue(method.OriginalDefinition, out var sites) || sites.Count != 1) return null;
            foreach (var argument in sites[0].Arguments)
                if (SymbolEqualityComparer.Default.Equals(argument.Parameter?.OriginalDefinition, parameter.OriginalDefinition))
                    return argument.ArgumentKind == ArgumentKind.DefaultValue ? null : argument.Value;
            return null;
        }

        private void WalkEntries(IReadOnlyList<MemberBlock> blocks)
        {
            foreach (var block in blocks)
            {
                if (block.Owner is not IMethodSymbol method) continue;
                if (!_methodBodies.TryGetValue(method.OriginalDefinition, out var list)) _methodBodies[method.OriginalDefinition] = list = new List<IOperation>();
                list.AddRange(block.Roots.Where(r => r is not null));
            }

            foreach (var block in blocks)
            {
                if (!IsEntry(block.Owner)) continue;
                foreach (var root in block.Roots)
                    if (root is not null) Walk(root, new WalkContext(block.Owner, block.Owner.Name, _frames++));
            }

            // Execution order within each entry: by call site, then by position inside the callee.
            var ordered = Calls.OrderBy(c => c.OrderKey(), KeyComparer.Instance).ToList();
            for (var i = 0; i < ordered.Count; i++) ordered[i].Position = i;
        }

        /// <summary>A member nobody else in the class calls (a method called only by itself is one too).</summary>
        private bool IsEntry(ISymbol owner)
        {
            if (owner is not IMethodSymbol method) return true;
            if (!_callers.TryGetValue(method.OriginalDefinition, out var callers)) return true;
            return callers.All(c => SymbolEqualityComparer.Default.Equals(c, method));
        }

        private sealed class WalkContext
        {
            public WalkContext(ISymbol entry, string methodName, int frame)
            {
                Entry = entry;
                MethodName = methodName;
                Sites = ImmutableArray<CallSite>.Empty;
                OuterLoops = ImmutableArray<ILoopOperation>.Empty;
                OuterFrames = ImmutableArray<int>.Empty;
                Active = ImmutableHashSet<object>.Empty;
                Frame = frame;
            }

            private WalkContext(WalkContext from)
            {
                Entry = from.Entry; MethodName = from.MethodName; Sites = from.Sites; OuterLoops = from.OuterLoops;
                OuterFrames = from.OuterFrames; Active = from.Active; Frame = from.Frame;
            }

            /// <summary>Which walk of a body this is (see <see cref="CallFact.LoopFrames"/>).</summary>
            public int Frame { get; private set; }

            /// <summary>The walk each of <see cref="OuterLoops"/> belongs to.</summary>
            public ImmutableArray<int> OuterFrames { get; private set; }

            public ISymbol Entry { get; }
            public string MethodName { get; private set; }
            public ImmutableArray<CallSite> Sites { get; private set; }

            /// <summary>Loops around the call sites (innermost first), outside the body being walked.</summary>
            public ImmutableArray<ILoopOperation> OuterLoops { get; private set; }

            /// <summary>Bodies being walked (no recursion).</summary>
            public ImmutableHashSet<object> Active { get; private set; }

            public WalkContext Enter(IInvocationOperation site, IOperation? calleeRoot, object callee, string methodName, int frame, List<ILoopOperation> siteLoops) => new WalkContext(this)
            {
                Sites = Sites.Insert(0, new CallSite(site, calleeRoot)),
                OuterLoops = siteLoops.Concat(OuterLoops).ToImmutableArray(),
                OuterFrames = Enumerable.Repeat(Frame, siteLoops.Count).Concat(OuterFrames).ToImmutableArray(),
                Frame = frame,
                Active = Active.Add(callee),
                MethodName = methodName,
            };

            /// <summary>A lambda or local function nobody calls by name: its own frame, no loops around it.</summary>
            public WalkContext Detached(string methodName) => new WalkContext(this)
            {
                OuterLoops = ImmutableArray<ILoopOperation>.Empty, OuterFrames = ImmutableArray<int>.Empty, MethodName = methodName,
            };
        }

        private void Walk(IOperation operation, WalkContext context)
        {
            switch (operation.Kind)
            {
                case OperationKind.LocalFunction:
                    var localFunction = (ILocalFunctionOperation)operation;
                    if (_callSites.ContainsKey(localFunction.Symbol.OriginalDefinition)) return; // walked where it is called
                    context = context.Detached(localFunction.Symbol.Name);
                    break;
                case OperationKind.AnonymousFunction:
                    var lambda = (IAnonymousFunctionOperation)operation;
                    if (IsInvokedDelegate(lambda)) return;
                    if (!RunsInPlace(lambda)) context = context.Detached(context.MethodName);
                    break;
            }

            foreach (var child in operation.ChildOperations)
                Walk(child, context);

            if (operation.Kind == OperationKind.Invocation)
                AddCall((IInvocationOperation)operation, context);
        }

        /// <summary>A lambda stored in a variable that the class invokes: it is walked at each invocation instead.</summary>
        private bool IsInvokedDelegate(IAnonymousFunctionOperation lambda)
        {
            foreach (var pair in _delegates)
                if (pair.Value == lambda && _invokedDelegates.Contains(pair.Key)) return true;
            return false;
        }

        private static IOperation? DelegateBody(IOperation value)
        {
            value = Unwrap(value);
            if (value is IDelegateCreationOperation creation) value = Unwrap(creation.Target);
            return value is IAnonymousFunctionOperation || value is IMethodReferenceOperation ? value : null;
        }

        private void AddCall(IInvocationOperation invocation, WalkContext context)
        {
            var own = LoopsAround(invocation);
            var (loops, frames) = WithOuterLoops(own, context);
            var (kind, target) = Classify(invocation);

            if (kind == CallKind.SchedulerStep && ScheduleCollectionElements(invocation) is { } elements)
            {
                // 'foreach (var s in schedules) s.Step();': a step of each schedule (LoopsAround skips such a foreach).
                foreach (var element in elements)
                    Calls.Add(new CallFact(invocation, kind, Resolve(element), _nameTarget ??= TargetName, loops, context.Sites, context.Entry, context.MethodName)
                    {
                        Created = CreatedBy(element),
                        LoopFrames = frames,
                    });
                return;
            }

            var inlined = Callee(invocation, context);
            if (inlined is not null) kind = CallKind.Inlined;
            Calls.Add(new CallFact(invocation, kind, target, _nameTarget ??= TargetName, loops, context.Sites, context.Entry, context.MethodName)
            {
                LoopFrames = frames,
            });
            if (inlined is { } callee)
            {
                var frame = _frames++;
                foreach (var root in callee.Roots)
                    Walk(root, context.Enter(invocation, callee.Root, callee.Key, callee.Name, frame, own));
            }
        }

        /// <summary>The loops around a call in its own body (innermost first), then those around the call sites it was reached through; and the walk of each.</summary>
        private static (IReadOnlyList<ILoopOperation> Loops, IReadOnlyList<int> Frames) WithOuterLoops(List<ILoopOperation> own, WalkContext context)
        {
            var count = own.Count + context.OuterLoops.Length;
            if (count == 0) return (own, System.Array.Empty<int>());
            var frames = new int[count];
            for (var i = 0; i < own.Count; i++) frames[i] = context.Frame;
            context.OuterFrames.CopyTo(frames, own.Count);
            if (context.OuterLoops.IsEmpty) return (own, frames);
            var loops = new List<ILoopOperation>(count);
            loops.AddRange(own);
            foreach (var loop in context.OuterLoops) loops.Add(loop);
            return (loops, frames);
        }

        private string TargetName(IInvocationOperation invocation, CallKind kind)
        {
            if (kind == CallKind.OptimizerStep || kind == CallKind.Unscale)
            {
                if (KnownTypes.Is(invocation.Instance?.Type, Types.GradScaler))
                    return invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value.Syntax.ToString() : "optimizer";
            }
            return invocation.Instance is null ? invocation.TargetMethod.ContainingType.Name : Unwrap(invocation.Instance).Syntax.ToString();
        }

        private (CallKind Kind, ISymbol? Target) Classify(IInvocationOperation invocation)
        {
            var method = invocation.TargetMethod;
            var receiverType = invocation.Instance is null ? null : Unwrap(invocation.Instance).Type;
            if (IsTrainStep(invocation)) return (CallKind.TrainStep, Resolve(invocation.Instance));
            if (method.Name == "Step" && Types.IsOptimizer(receiverType)) return (CallKind.OptimizerStep, Resolve(invocation.Instance));
            if (method.Name == "Step" && method.Parameters.Length == 0 && Types.IsScheduler(receiverType)) return (CallKind.SchedulerStep, Resolve(invocation.Instance));
            if (KnownTypes.Is(receiverType, Types.GradScaler) && (method.Name == "Step" || method.Name == "Unscale"))
                return (method.Name == "Step" ? CallKind.OptimizerStep : CallKind.Unscale,
                    invocation.Arguments.Length > 0 ? Resolve(invocation.Arguments[0].Value) : null);
            if (method.IsStatic && KnownTypes.Is(method.ContainingType, Types.GradClip)) return (CallKind.Clip, null);
            if (method.Name == "Add" && KnownTypes.Is(receiverType, Types.GradientAccumulator)) return (CallKind.AccumulatorAdd, Resolve(invocation.Instance));
            if (method.Name == "ZeroGrad" && Types.IsOptimizer(receiverType)) return (CallKind.ZeroGrad, Resolve(invocation.Instance));
            if (method.Name == "Clear" && invocation.Instance is not null
                && Unwrap(invocation.Instance) is IPropertyReferenceOperation { Property.Name: "Gradients" } gradients
                && (Types.IsModel(gradients.Instance?.Type) || Types.IsOptimizer(gradients.Instance?.Type)))
                return (CallKind.ZeroGrad, null);
            if (method.MethodKind == MethodKind.DelegateInvoke
                || (SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, Owner.ContainingAssembly) && !Types.IsModel(method.ContainingType))
                || invocation.Arguments.Any(a => Types.IsModel(a.Value.Type)))
                // The user's own helper (it may call TrainStep), a delegate, or anything handed the model.
                return (CallKind.Opaque, null);
            return (CallKind.Other, null);
        }

        private sealed class Inlinable
        {
            public Inlinable(object key, IReadOnlyList<IOperation> roots, IOperation? root, string name) { Key = key; Roots = roots; Root = root; Name = name; }
            public object Key { get; }
            public IReadOnlyList<IOperation> Roots { get; }
            public IOperation? Root { get; }
            public string Name { get; }
        }

        /// <summary>The body an invocation runs, when it is the class's own code the walk can follow.</summary>
        private Inlinable? Callee(IInvocationOperation invocation, WalkContext context)
        {
            if (context.Sites.Length >= MaxInlineDepth) return null;
            var method = invocation.TargetMethod.OriginalDefinition;
            Inlinable? callee = null;
            if (method.MethodKind == MethodKind.LocalFunction && _localFunctions.TryGetValue(method, out var local))
            {
                var roots = new List<IOperation>();
                if (local.Body is not null) roots.Add(local.Body);
                else if (local.IgnoredBody is not null) roots.Add(local.IgnoredBody);
                callee = new Inlinable(local, roots, local, method.Name);
            }
            else if (method.MethodKind == MethodKind.DelegateInvoke)
            {
                var held = SymbolOf(invocation.Instance);
                if (held is not null && !IsReassigned(held) && _delegates.TryGetValue(held, out var function))
                {
                    if (function is IAnonymousFunctionOperation lambda)
                        callee = new Inlinable(lambda, new IOperation[] { lambda.Body }, lambda, context.MethodName);
                    else if (function is IMethodReferenceOperation reference && _methodBodies.TryGetValue(reference.Method.OriginalDefinition, out var referenced))
                        callee = new Inlinable(reference.Method.OriginalDefinition, referenced, null, reference.Method.Name);
                }
            }
            else if (IsOwnCode(method) && _methodBodies.TryGetValue(method, out var bodies))
                callee = new Inlinable(method, bodies, null, method.Name);

            return callee is null || context.Active.Contains(callee.Key) ? null : callee;
        }

        /// <summary>The schedules of <c>foreach (var s in schedules) s.Step();</c> when the collection's elements are known.</summary>
        private List<IOperation>? ScheduleCollectionElements(IInvocationOperation invocation)
        {
            if (Unwrap(invocation.Instance!) is IParameterReferenceOperation parameter)
                return ForEachLambdaElements(invocation, parameter.Parameter);
            if (Unwrap(invocation.Instance!) is not ILocalReferenceOperation element) return null;
            var forEach = invocation.Parent;
            while (forEach is not null && !(forEach is IForEachLoopOperation loop
                                            && SymbolEqualityComparer.Default.Equals(IterationVariable(loop), element.Local))) forEach = forEach.Parent;
            if (forEach is not IForEachLoopOperation { } over) return null;
            var collection = Unwrap(over.Collection);
            var symbol = Resolve(collection);
            var value = symbol is not null ? InitializerOf(symbol) : collection;
            if (value is null) return null;
            return ElementsOf(Unwrap(value));
        }

        /// <summary>The schedules of <c>schedules.ForEach(s => s.Step())</c> or <c>Array.ForEach(schedules, s => s.Step())</c>.</summary>
        private List<IOperation>? ForEachLambdaElements(IInvocationOperation invocation, IParameterSymbol element)
        {
            var lambda = invocation.Parent;
            while (lambda is not null && lambda is not IAnonymousFunctionOperation) lambda = lambda.Parent;
            if (lambda is not IAnonymousFunctionOperation function || function.Symbol.Parameters.Length != 1
                || !SymbolEqualityComparer.Default.Equals(function.Symbol.Parameters[0], element)) return null;
            var forEach = InPlaceForEach(function);
            var collection = forEach is null ? null : forEach.Instance ?? forEach.Arguments.FirstOrDefault()?.Value;
            if (collection is null) return null;
            collection = Unwrap(collection);
            var symbol = Resolve(collection);
            var value = symbol is not null ? InitializerOf(symbol) : collection;
            return value is null ? null : ElementsOf(Unwrap(value));
        }

        /// <summary>The elements of an array or list written in the code, directly or through the variable holding it.</summary>
        public List<IOperation>? ElementsThrough(IOperation collection)
        {
            var unwrapped = Unwrap(collection);
            var symbol = Resolve(unwrapped);
            var value = symbol is not null && !IsReassigned(symbol) ? InitializerOf(symbol) : unwrapped;
            return value is null ? null : ElementsOf(Unwrap(value));
        }

        internal static List<IOperation>? ElementsOf(IOperation value)
        {
            switch (value)
            {
                case IArrayCreationOperation { Initializer: { } initializer }:
                    return initializer.ElementValues.ToList();
                case IObjectCreationOperation { Initializer: { } collectionInitializer }:
                    var elements = new List<IOperation>();
                    foreach (var item in collectionInitializer.Initializers)
                        if (item is IInvocationOperation { Arguments.Length: 1 } add) elements.Add(add.Arguments[0].Value);
                        else return null;
                    return elements;
                case ICollectionExpressionOperation collection:
                    return collection.Elements.ToList();
                default:
                    return null;
            }
        }

        private sealed class KeyComparer : IComparer<ImmutableArray<int>>
        {
            public static readonly KeyComparer Instance = new KeyComparer();

            public int Compare(ImmutableArray<int> x, ImmutableArray<int> y)
            {
                for (var i = 0; i < x.Length && i < y.Length; i++)
                    if (x[i] != y[i]) return x[i].CompareTo(y[i]);
                return x.Length.CompareTo(y.Length);
            }
        }
    }
}
