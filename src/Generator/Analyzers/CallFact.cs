using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DslNet.Generator.Analyzers
{
    internal enum CallKind
    {
        Other,
        /// <summary>
        /// <c>optimizer.Step()</c>, <c>optimizer.Step(GradClip.NormCoefficient(…).Coefficient)</c> (any overload), or
        /// <c>scaler.Step(optimizer)</c>; Target is the optimizer either way.
        /// </summary>
        OptimizerStep,
        SchedulerStep,
        TrainStep,
        Clip,
        Unscale,
        AccumulatorAdd,
        /// <summary><c>optimizer.ZeroGrad()</c> or <c>model.Gradients.Clear()</c>: the gradients become zero.</summary>
        ZeroGrad,
        /// <summary>A call of the class's own code whose body the walk followed: its calls are facts of their own.</summary>
        Inlined,
        /// <summary>A method of the user's own code, or a delegate, that the walk cannot see into: it might compute gradients.</summary>
        Opaque,
    }

    /// <summary>
    /// One invocation the rules care about, with the loops around it. A call reached through a helper method, a local
    /// function or a delegate of the same class carries the call sites it was reached through (<see cref="Sites"/>),
    /// and its loops include the loops around those sites: a schedule stepped in <c>OnBatchEnd()</c>, called from a
    /// batch loop, is stepped per batch.
    /// </summary>
    internal sealed class CallFact
    {
        private readonly System.Func<IInvocationOperation, CallKind, string> _nameTarget;
        private string? _targetName;

        public CallFact(IInvocationOperation operation, CallKind kind, ISymbol? target, System.Func<IInvocationOperation, CallKind, string> nameTarget,
            IReadOnlyList<ILoopOperation> loops, ImmutableArray<CallSite> sites, ISymbol entry, string methodName)
        {
            Operation = operation;
            Kind = kind;
            Target = target;
            _nameTarget = nameTarget;
            Loops = loops;
            Sites = sites;
            Entry = entry;
            MethodName = methodName;
        }

        public IInvocationOperation Operation { get; }
        public CallKind Kind { get; }

        /// <summary>The optimizer (OptimizerStep, Unscale, ZeroGrad), scheduler (SchedulerStep) or model (TrainStep) it acts on.</summary>
        public ISymbol? Target { get; }

        /// <summary>The schedule created inline where no variable holds it (an element of <c>new List&lt;…&gt; { new OneCycleLR(…) }</c>).</summary>
        public IObjectCreationOperation? Created { get; set; }

        /// <summary>
        /// How the code names the target (for messages): <c>schedule</c>, <c>_schedule</c>, an element of a list. Written
        /// out only when a rule asks (most calls of a class never appear in a message).
        /// </summary>
        public string TargetName => _targetName ??= _nameTarget(Operation, Kind);

        /// <summary>Enclosing loops, innermost first, across the call sites it was reached through.</summary>
        public IReadOnlyList<ILoopOperation> Loops { get; }

        /// <summary>The call sites this call was reached through, innermost first (empty for a call written in the entry itself).</summary>
        public ImmutableArray<CallSite> Sites { get; }

        /// <summary>The member the walk started from (a method nobody in the class calls, a constructor, a field initializer).</summary>
        public ISymbol Entry { get; }

        /// <summary>The name of the method or local function whose body holds the call.</summary>
        public string MethodName { get; }

        /// <summary>Ordinal of the call in execution order within its entry (arguments before the call that takes them).</summary>
        public int Position { get; set; }

        public ILoopOperation? Loop => Loops.Count > 0 ? Loops[0] : null;

        /// <summary>
        /// For each of <see cref="Loops"/>, the walk of the body it belongs to: a helper walked from two call sites has
        /// the same loop objects twice, and only calls of the same walk run in the same iteration.
        /// </summary>
        public IReadOnlyList<int> LoopFrames { get; set; } = System.Array.Empty<int>();

        public int LoopFrame => LoopFrames.Count > 0 ? LoopFrames[0] : -1;

        /// <summary>Whether the call runs inside <paramref name="loop"/> of walk <paramref name="frame"/>.</summary>
        public bool InLoop(ILoopOperation? loop, int frame)
        {
            for (var i = 0; i < Loops.Count; i++)
                if (Loops[i] == loop && LoopFrames[i] == frame) return true;
            return false;
        }

        /// <summary>Whether two calls run in the same iteration of the same innermost loop (or, outside loops, in the same walk).</summary>
        public static bool SameLoop(CallFact a, CallFact b)
        {
            if (a.Loop is null || b.Loop is null)
                return a.Loop is null && b.Loop is null && SymbolEqualityComparer.Default.Equals(a.Entry, b.Entry)
                       && a.Sites.Select(s => s.Invocation).SequenceEqual(b.Sites.Select(s => s.Invocation));
            return a.Loop == b.Loop && a.LoopFrame == b.LoopFrame;
        }

        public bool IsScalerStep => Kind == CallKind.OptimizerStep && Operation.TargetMethod.ContainingType?.Name == "GradScaler";

        /// <summary>The call, then the call sites it was reached through.</summary>
        public IEnumerable<IOperation> Chain
        {
            get
            {
                yield return Operation;
                foreach (var site in Sites) yield return site.Invocation;
            }
        }

        /// <summary>Sort key: the end of the outermost call site first, down to the call itself.</summary>
        internal ImmutableArray<int> OrderKey()
        {
            var key = ImmutableArray.CreateBuilder<int>(Sites.Length + 1);
            for (var i = Sites.Length - 1; i >= 0; i--) key.Add(Sites[i].Invocation.Syntax.Span.End);
            key.Add(Operation.Syntax.Span.End);
            return key.MoveToImmutable();
        }
    }

    /// <summary>
    /// A call the walk followed into a body of the same class: the invocation, and the operation that is the root of
    /// the body it entered (a local function or lambda; null for a method, whose body has no parent).
    /// </summary>
    internal readonly struct CallSite
    {
        public CallSite(IOperation invocation, IOperation? calleeRoot)
        {
            Invocation = invocation;
            CalleeRoot = calleeRoot;
        }

        public IOperation Invocation { get; }
        public IOperation? CalleeRoot { get; }
    }
}
