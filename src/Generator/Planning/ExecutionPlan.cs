using DslNet.Generator.Common;
using DslNet.Generator.Parsing;

namespace DslNet.Generator.Planning
{
    /// <summary>
    /// Everything the emitters need, decided: shapes, the flat layouts of parameters, running statistics and
    /// activations, and each block's fused forward/backward recipe. Emitters only turn it into text.
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
        EquatableArray<BlockPlan> Blocks)
    {
        public BlockPlan Last => Blocks[Blocks.Count - 1];
    }

    /// <summary>
    /// One fused block. Offsets are into the flat buffers: parameters (and gradients, same layout), running
    /// statistics, the activation workspace (row offsets: multiplied by the workspace's row capacity) and the
    /// fixed scratch (BatchNorm's saved inverse std and its inference scale and shift, each [units]).
    /// </summary>
    internal sealed record BlockPlan(
        int Index,
        string Name,
        string Accessibility,
        int Inputs,
        int Units,
        bool HasBias,
        NormKind Norm,
        int Groups,
        double Momentum,
        double Eps,
        ActivationKind Activation,
        double Slope,
        double DropoutRate,
        InitKind Init,
        double InitGain,
        double InitStd,
        FanKind Fan,
        int WeightOffset,
        int BiasOffset,
        int GammaOffset,
        int BetaOffset,
        int RunningMeanOffset,
        int RunningVarianceOffset,
        int PreActivationRowOffset,
        int OutputRowOffset,
        int GradientRowOffset,
        int InverseStdRowOffset,
        int InverseStdPerRow,
        int ScratchOffset,
        string Description,
        int DropoutMaskRowOffset = -1)
    {
        /// <summary>Floats per row of the dropout mask bitmap (32 kept bits each) the forward pass writes and the
        /// backward pass reads, so each mask is drawn once per step.</summary>
        public int DropoutMaskPerRow => (Units + 31) / 32;

        public int WeightCount => Inputs * Units;
        public bool HasNorm => Norm != NormKind.None;
        public bool HasDropout => DropoutRate > 0;

        /// <summary>The activation and dropout backward can run inside the next block's input-gradient GEMM.</summary>
        public bool BackwardFusesIntoNextGemm => !HasNorm;

        /// <summary>Nothing to undo between the output gradient and the pre-activation gradient.</summary>
        public bool IsIdentityOutput => Activation == ActivationKind.Identity && !HasDropout && !HasNorm;

        /// <summary>
        /// BatchNorm subtracts the batch mean, so a bias in front of it has an exactly zero gradient. It is left at
        /// zero rather than computed: the float noise a column sum would give is amplified by Adam into real updates.
        /// </summary>
        public bool BiasGradientIsZero => HasBias && Norm == NormKind.BatchNorm;

        public int ParameterCount => WeightCount + (HasBias ? Units : 0) + (HasNorm ? 2 * Units : 0);
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
    }

    /// <summary>
    /// The planner's result: a plan when the model is valid, and every diagnostic either way. When the model is
    /// invalid but its class and block properties are well-formed, <see cref="Placeholder"/> says which partial
    /// members still need an implementation part, so the user sees the DSL diagnostic and not one CS9248 per block.
    /// </summary>
    internal sealed record PlanResult(ExecutionPlan? Plan, EquatableArray<DiagnosticInfo> Diagnostics, PlaceholderPlan? Placeholder = null);

    /// <summary>An invalid model's partial block properties, to be implemented with bodies that throw.</summary>
    internal sealed record PlaceholderPlan(string? Namespace, string ClassName, EquatableArray<PlaceholderBlock> Blocks);

    internal sealed record PlaceholderBlock(string Name, string Accessibility);
}
