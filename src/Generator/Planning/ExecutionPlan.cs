using DslNet.Generator.Common;
using DslNet.Generator.Parsing;

namespace DslNet.Generator.Planning
{
    /// <summary>
    /// Everything the emitters need, decided: the graph (values with shapes and offsets, fusion groups of per-kind
    /// ops with explicit input and output values), the flat layouts of parameters, running statistics and
    /// activations, the forward order and the backward schedule. Emitters only turn it into text, walking
    /// <see cref="ForwardOrder"/> and <see cref="BackwardSchedule"/>.
    /// </summary>
    internal sealed record ExecutionPlan(
        string? Namespace,
        string ClassName,
        string Accessibility,
        int InputSize,
        int OutputSize,
        LossKind Loss,
        int ParameterCount,
        int RunningStatisticCount,
        int ActivationFloatsPerRow,
        int ScratchLength,
        EquatableArray<ValuePlan> Values,
        EquatableArray<BlockPlan> Blocks,
        EquatableArray<int> ForwardOrder,
        EquatableArray<BackwardStep> BackwardSchedule)
    {
        /// <summary>CrossEntropy's label smoothing ε ([Network(LabelSmoothing)]; 0: none).</summary>
        public double LabelSmoothing { get; init; }

        public BlockPlan Last => Blocks[Blocks.Count - 1];

        public ValuePlan InputOf(BlockPlan block) => Values[block.Dense.Input];

        public ValuePlan OutputOf(BlockPlan block) => Values[block.OutputValue];

        /// <summary>The block that produced a value, or null for the network input.</summary>
        public BlockPlan? ProducerOf(ValuePlan value) => value.Producer < 0 ? null : Blocks[value.Producer];
    }

    /// <summary>
    /// One fusion group (a block): a Dense op, then at most one normalization, the activation and dropout, fused
    /// into one pass, and an optional residual add at its end; or, in the pre-activation form, a normalization and
    /// activation over the input (<see cref="InputNorm"/>) before the Dense. The group's pre-activation lives in its own
    /// workspace region; its output is the graph value <see cref="OutputValue"/>.
    /// </summary>
    internal sealed record BlockPlan(
        int Index,
        string Name,
        string Accessibility,
        string Description,
        int OutputValue,
        int PreActivationRowOffset,
        DenseOp Dense,
        NormOp? NormOp,
        ActivationOp ActivationOp,
        DropoutOp? DropoutOp,
        AddOp? Add,
        bool ActivationBackwardFusedIntoConsumer)
    {
        /// <summary>The pre-activation form's normalization and activation before the Dense (null in the usual form).</summary>
        public InputNormOp? InputNorm { get; init; }

        public bool HasInputNorm => InputNorm != null;

        public int Inputs => Dense.Inputs;
        public int Units => Dense.Units;
        public bool HasBias => Dense.HasBias;
        public int WeightOffset => Dense.WeightOffset;
        public int BiasOffset => Dense.BiasOffset;
        public InitKind Init => Dense.Init;
        public double InitGain => Dense.InitGain;
        public double InitStd => Dense.InitStd;
        public FanKind Fan => Dense.Fan;

        public NormKind Norm => NormOp?.Kind ?? NormKind.None;
        public int Groups => NormOp?.Groups ?? 0;
        public double Momentum => NormOp?.Momentum ?? 0.1;
        public double Eps => NormOp?.Eps ?? 1e-5;
        public int GammaOffset => NormOp?.GammaOffset ?? -1;
        public int BetaOffset => NormOp?.BetaOffset ?? -1;
        public int RunningMeanOffset => NormOp?.RunningMeanOffset ?? -1;
        public int RunningVarianceOffset => NormOp?.RunningVarianceOffset ?? -1;
        public int InverseStdRowOffset => NormOp?.InverseStdRowOffset ?? -1;
        public int InverseStdPerRow => NormOp?.InverseStdPerRow ?? 0;
        public int ScratchOffset => NormOp?.ScratchOffset ?? -1;

        public ActivationKind Activation => ActivationOp.Kind;
        public double Slope => ActivationOp.Slope;
        public double DropoutRate => DropoutOp?.Rate ?? 0;
        public int DropoutMaskRowOffset => DropoutOp?.MaskRowOffset ?? -1;

        /// <summary>Floats per row of the dropout mask bitmap (32 kept bits each) the forward pass writes and the
        /// backward pass reads, so each mask is drawn once per step.</summary>
        public int DropoutMaskPerRow => (Units + 31) / 32;

        public int WeightCount => Inputs * Units;
        public bool HasNorm => Norm != NormKind.None;
        public bool HasDropout => DropoutRate > 0;
        public bool HasAdd => Add != null;
        public bool HasProjection => Add?.HasProjection == true;

        /// <summary>Nothing to undo between the output gradient and the pre-activation gradient.</summary>
        public bool IsIdentityOutput => Activation == ActivationKind.Identity && !HasDropout && !HasNorm;

        /// <summary>
        /// BatchNorm subtracts the batch mean, so a bias in front of it has an exactly zero gradient. It is left at
        /// zero rather than computed: the float noise a column sum would give is amplified by Adam into real updates.
        /// </summary>
        public bool BiasGradientIsZero => HasBias && Norm == NormKind.BatchNorm;

        /// <summary>The block's parameters are one contiguous range: an input normalization's scale and shift, weight, bias,
        /// normalization scale and shift, projection.</summary>
        public int ParameterOffset => InputNorm?.Norm.GammaOffset ?? Dense.WeightOffset;

        public int ParameterCount =>
            (InputNorm != null ? 2 * Inputs : 0) + Dense.ParameterCount + (HasNorm ? 2 * Units : 0) + (Add?.ProjectionWeightCount(Units) ?? 0);

        /// <summary>The block's one normalization, before or after its Dense, and the width it normalizes.</summary>
        public NormOp? AnyNorm => InputNorm?.Norm ?? NormOp;

        public int NormWidth => InputNorm != null ? Inputs : Units;
    }

    internal enum NormKind
    {
        None,
        BatchNorm,
        LayerNorm,
        GroupNorm,
    }

    internal enum ActivationKind
    {
        Identity,
        Relu,
        LeakyRelu,
        GeluTanh,
        GeluExact,
        Tanh,
        Sigmoid,
        Silu,
    }

    /// <summary>
    /// The planner's result: a plan when the model is valid, and every diagnostic either way. When the model is
    /// invalid but its class and block properties are well-formed, <see cref="Placeholder"/> says which partial
    /// members still need an implementation part, so the user sees the DSL diagnostic and not one CS9248 per block.
    /// </summary>
    internal sealed record PlanResult(ExecutionPlan? Plan, EquatableArray<DiagnosticInfo> Diagnostics, PlaceholderPlan? Placeholder = null)
    {
        /// <summary>An image model's plan (Plan is then null): it has its own emitters.</summary>
        public Spatial.SpatialPlan? SpatialPlan { get; init; }
    }

    /// <summary>An invalid model's partial block properties, to be implemented with bodies that throw.</summary>
    internal sealed record PlaceholderPlan(string? Namespace, string ClassName, EquatableArray<PlaceholderBlock> Blocks);

    internal sealed record PlaceholderBlock(string Name, string Accessibility);
}
