using DslNet.Generator.Parsing;

namespace DslNet.Generator.Planning
{
    /// <summary>A Dense op: <c>Output = Input·Wᵀ + b</c>, weight stored <c>[Units, Inputs]</c> like PyTorch.</summary>
    internal sealed record DenseOp(
        int Input,
        int Inputs,
        int Units,
        bool HasBias,
        InitKind Init,
        double InitGain,
        double InitStd,
        FanKind Fan,
        double InitScale,
        int WeightOffset,
        int BiasOffset)
    {
        public int WeightCount => Inputs * Units;

        public int ParameterCount => WeightCount + (HasBias ? Units : 0);
    }

    /// <summary>
    /// A normalization over the group's pre-activation: its affine parameters, BatchNorm's running statistics and
    /// saved inverse std (scratch), LayerNorm/GroupNorm's per-row inverse std (workspace).
    /// </summary>
    internal sealed record NormOp(
        NormKind Kind,
        int Groups,
        double Momentum,
        double Eps,
        bool ZeroInitGamma,
        int GammaOffset,
        int BetaOffset,
        int RunningMeanOffset,
        int RunningVarianceOffset,
        int InverseStdRowOffset,
        int InverseStdPerRow,
        int ScratchOffset)
    {
        /// <summary>BatchNorm's statistics over every process of a data-parallel job (SyncBatchNorm).</summary>
        public bool Sync { get; init; }

        /// <summary>Running statistics (BatchNorm): saved with the parameters, and at inference folded into a per-feature
        /// scale and shift that the Dense's epilogue applies.</summary>
        public bool HasRunningStatistics => RunningMeanOffset >= 0;
    }

    /// <summary>
    /// The start of a pre-activation block: a normalization and an optional activation over the block's input, before its
    /// Dense (PyTorch's <c>linear(relu(bn(x)))</c>). The input stays untouched (a residual skip reads it too): it is copied
    /// to <see cref="NormalizedRowOffset"/> and normalized there in place (x̂, kept for the backward pass), and the Dense
    /// reads activation(γx̂ + β) from <see cref="OutputRowOffset"/>. The Dense's input gradient lands in
    /// <see cref="GradientRowOffset"/>, is taken back through the activation and the normalization there, and is then
    /// written or added to the input value's gradient. <see cref="Width"/> is the input's width.
    /// </summary>
    internal sealed record InputNormOp(NormOp Norm, ActivationOp Activation, int Width, int NormalizedRowOffset, int OutputRowOffset, int GradientRowOffset);

    /// <summary>An elementwise activation (identity when the block names none).</summary>
    internal sealed record ActivationOp(ActivationKind Kind, double Slope);

    /// <summary>Inverted dropout; the forward pass records its kept bits (32 per float) for the backward pass.</summary>
    internal sealed record DropoutOp(double Rate, int MaskRowOffset, int MaskPerRow);

    /// <summary>
    /// A residual add at the end of a block: <c>Output = F(Input) + Skip</c>, or <c>+ Skip·Pᵀ</c> through a bias-free
    /// projection when <see cref="HasProjection"/> (PyTorch's <c>nn.Linear(in, out, bias=False)</c> shortcut).
    /// </summary>
    internal sealed record AddOp(
        int Skip,
        string SkipName,
        int SkipWidth,
        bool HasProjection,
        int ProjectionValue,
        int ProjectionWeightOffset,
        InitKind ProjectionInit,
        double ProjectionGain)
    {
        public int ProjectionWeightCount(int units) => HasProjection ? SkipWidth * units : 0;
    }
}
