using DslNet.Generator.Common;

namespace DslNet.Generator.Planning
{
    /// <summary>
    /// The shape of one row of a value: <c>[C, H, W]</c>, a feature vector being <c>[C, 1, 1]</c>. Spatial layers give
    /// H and W; everything that only needs the width per row reads <see cref="Size"/>.
    /// </summary>
    internal readonly record struct ValueShape(int Channels, int Height, int Width)
    {
        public static ValueShape Features(int count) => new ValueShape(count, 1, 1);

        /// <summary>Floats per row.</summary>
        public int Size => Channels * Height * Width;

        public bool IsSpatial => Height != 1 || Width != 1;

        public override string ToString() => IsSpatial ? $"[{Channels}, {Height}, {Width}]" : $"[{Channels}]";
    }

    /// <summary>
    /// A value of the graph: something one fusion group writes and others read (the network input, a block's
    /// output, a projection shortcut). Values inside a fused group (a pre-activation, normalized values) belong to
    /// the group and are not graph values. Offsets count floats per row in the activation workspace (-1: none, as
    /// for the network input, which lives in the caller's span and has no gradient).
    /// </summary>
    internal sealed record ValuePlan(
        int Id,
        string Name,
        ValueShape Shape,
        int OutputRowOffset,
        int GradientRowOffset,
        int Producer,
        EquatableArray<int> Consumers)
    {
        public const int NetworkInput = 0;

        public int Width => Shape.Size;

        /// <summary>
        /// Read by two or more ops (a residual skip): its gradient is the sum of the consumers' contributions, so the
        /// first contribution in the backward schedule writes it and the later ones add. Fusion never folds such a
        /// value's backward into one consumer.
        /// </summary>
        public bool GradientAccumulates => Consumers.Count > 1;
    }

    /// <summary>One step of the backward pass, in the order the plan runs it.</summary>
    internal enum BackwardStepKind
    {
        /// <summary>An Add's contribution to its skip source's gradient (through the projection when there is one),
        /// taken before the block's own backward rewrites the output gradient in place.</summary>
        SkipGradient,

        /// <summary>A group's own backward: dropout, activation and normalization undone, weight and bias gradients.</summary>
        GroupBackward,

        /// <summary>The Dense input gradient into the group's input value.</summary>
        InputGradient,
    }

    /// <summary>
    /// One backward step. <see cref="Accumulate"/> is the plan's choice of kernel mode for the gradient the step writes
    /// into another value: false for that value's first contribution (overwrite), true for the later ones (add).
    /// </summary>
    internal sealed record BackwardStep(BackwardStepKind Kind, int Block, int Target, bool Accumulate)
    {
        /// <summary>The last step that writes its block's parameter gradients: after it, the block's gradients are final
        /// for the step (data parallelism starts their allreduce there).</summary>
        public bool ParameterGradientsFinal { get; init; }
    }
}
