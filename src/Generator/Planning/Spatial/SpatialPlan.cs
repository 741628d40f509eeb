using DslNet.Generator.Common;
using DslNet.Generator.Parsing;

namespace DslNet.Generator.Planning.Spatial
{
    /// <summary>
    /// The plan of an image model ([Network(Channels, Height, Width)]): a graph of values with shapes [C, H, W] and of
    /// steps, each one kernel group with explicit input and output values. Inside the model every image value is
    /// channels-last (NHWC): a convolution via im2col is then a GEMM over pixel rows (each output pixel a row of the
    /// [pixels, k·k·C_in] patch matrix times the [C_out, k·k·C_in] weight), and BatchNorm2d is BatchNorm over the
    /// N·H·W pixel rows of an [N·H·W, C] matrix, both with the existing fused epilogues; channels are the contiguous
    /// vector dimension everywhere. The caller's NCHW rows are converted once at the input and back at Flatten.
    /// </summary>
    internal sealed record SpatialPlan(
        string? Namespace,
        string ClassName,
        string Accessibility,
        ValueShape InputShape,
        int OutputSize,
        LossKind Loss,
        int ParameterCount,
        int RunningStatisticCount,
        int ActivationFloatsPerRow,
        int ScratchLength,
        int GradientScratchRowOffset,
        EquatableArray<ValuePlan> Values,
        EquatableArray<SpatialBlockPlan> Blocks,
        EquatableArray<SpatialStep> Steps,
        EquatableArray<int> BackwardOrder,
        EquatableArray<TensorPlan> ParameterTensors,
        EquatableArray<TensorPlan> RunningStatisticTensors)
    {
        /// <summary>CrossEntropy's label smoothing ε ([Network(LabelSmoothing)]; 0: none).</summary>
        public double LabelSmoothing { get; init; }

        public int InputSize => InputShape.Size;

        public ValuePlan Output => Values[Steps[Steps.Count - 1].Output];

        /// <summary>Whether <paramref name="step"/> is a pooling whose training passes the group before it runs.</summary>
        public bool IsFusedPool(SpatialStep step) => step.Index > 0 && Steps[step.Index - 1].FusedPool?.PoolStep == step.Index;
    }

    /// <summary>One user block (an attributed property): the steps it planned into and its output value.</summary>
    internal sealed record SpatialBlockPlan(
        int Index,
        string Name,
        string Accessibility,
        string Description,
        ValueShape InputShape,
        int OutputValue,
        int InChannels,
        int OutChannels,
        int ParameterCount,
        ActivationKind Activation,
        ActivationOp ActivationOp);

    /// <summary>A named tensor of Parameters or RunningStatistics (PyTorch's state_dict order and shapes).</summary>
    internal sealed record TensorPlan(string Name, string Kind, int Offset, EquatableArray<int> Shape)
    {
        public int Length
        {
            get
            {
                var length = 1;
                foreach (var dimension in Shape) length *= dimension;
                return length;
            }
        }
    }

    internal enum SpatialStepKind
    {
        /// <summary>The caller's NCHW rows to the channels-last input value (absent for one channel: the bytes agree).</summary>
        ToChannelsLast,

        /// <summary>A fused group: an optional Conv2d or Dense, then an optional normalization, activation and dropout.</summary>
        Group,

        MaxPool,
        AvgPool,
        GlobalAvgPool,

        /// <summary>NHWC to PyTorch's channel-major C·H·W features.</summary>
        Flatten,

        /// <summary>
        /// Output = act(Input + Skip), the activation that follows the Add in its block or none (the skip through a
        /// projection's own steps when it has one). Both operands are step outputs, so both have gradients: an Add's
        /// modes are Write or Accumulate, never None (its input is a block's output, since the first block cannot
        /// name an earlier one, and its skip is one).
        /// </summary>
        Add,
    }

    /// <summary>How a backward step writes the gradient of a value it reads: the plan's choice of kernel mode.</summary>
    internal enum GradientMode
    {
        /// <summary>No gradient: the value is the network input (or its channels-last copy).</summary>
        None,

        /// <summary>The value's first contribution in backward order: the kernel overwrites.</summary>
        Write,

        /// <summary>A later contribution (the value has two consumers, a residual skip): the kernel adds.</summary>
        Accumulate,
    }

    /// <summary>
    /// One step. <see cref="Name"/> is unique and names its workspace regions and parameters' views in generated code;
    /// <see cref="ParameterPrefix"/> names its tensors ("Block." or "Block.Shortcut"). Offsets per row are in the
    /// activation workspace (-1: none).
    /// </summary>
    internal sealed record SpatialStep(
        int Index,
        string Name,
        int Block,
        SpatialStepKind Kind,
        int Input,
        int Output,
        ValueShape InputShape,
        ValueShape OutputShape,
        GradientMode InputGradient)
    {
        public LinearPlan? Linear { get; init; }
        public SpatialNormPlan? Norm { get; init; }
        public ActivationOp Activation { get; init; } = new ActivationOp(ActivationKind.Identity, 0);
        public double DropoutRate { get; init; }

        /// <summary>Dropout2d (whole channels) rather than elementwise Dropout.</summary>
        public bool DropoutIsSpatial { get; init; }

        public PoolPlan? Pool { get; init; }

        /// <summary>Add: the skip value and how its gradient is written.</summary>
        public int Skip { get; init; } = -1;
        public GradientMode SkipGradient { get; init; }

        /// <summary>
        /// The group's pre-activation region (the Conv2d/Dense output, x̂ after a norm), an Add's sum when its activation
        /// needs it for the backward pass, or MaxPool's argmax.
        /// </summary>
        public int PreRowOffset { get; init; } = -1;

        /// <summary>A BatchNorm group whose CPU training passes also run the max pooling after it (null: none).</summary>
        public PoolFusion? FusedPool { get; init; }

        public bool HasDropout => DropoutRate > 0;
        public bool HasActivation => Activation.Kind != ActivationKind.Identity;
    }

    /// <summary>A Conv2d (square kernel) or a Dense: weight [C_out, C_in/groups, k, k] or [units, inputs], optional bias.</summary>
    internal sealed record LinearPlan(
        bool IsConvolution,
        string ParameterPrefix,
        int InChannels,
        int OutChannels,
        int KernelSize,
        int Stride,
        int Padding,
        int Dilation,
        int Groups,
        bool HasBias,
        InitKind Init,
        double InitGain,
        FanKind Fan,
        double InitStd,
        double InitScale,
        int WeightOffset,
        int BiasOffset)
    {
        public int ReceptiveField => KernelSize * KernelSize;
        public int WeightCount => OutChannels * (InChannels / Groups) * ReceptiveField;
    }

    internal enum SpatialNormKind
    {
        BatchNorm,
        InstanceNorm,
        GroupNorm,
        LayerNorm,
    }

    /// <summary>
    /// A normalization of a group: per channel γ/β (LayerNorm over an image: per element [C, H, W]); BatchNorm's
    /// running statistics and its scratch (inverse std, inference scale and shift, [C] each); the others' per-row
    /// inverse stds (<see cref="StatisticsPerRow"/>) in the workspace.
    /// </summary>
    internal sealed record SpatialNormPlan(
        SpatialNormKind Kind,
        string ParameterPrefix,
        int Channels,
        int Pixels,
        int Groups,
        double Momentum,
        double Eps,
        bool Affine,
        bool ZeroInitGamma,
        int GammaOffset,
        int BetaOffset,
        int AffineLength,
        int RunningMeanOffset,
        int RunningVarianceOffset,
        int ScratchOffset,
        int StatisticsRowOffset,
        int StatisticsPerRow);

    /// <summary>
    /// The plan's one fusion across steps: a group ending in BatchNorm2d (and an activation) whose only reader is a
    /// MaxPool2d with windows that tile it runs, in CPU training, <c>BatchNormMaxPool2d</c> in place of its
    /// normalization and the pool's forward and backward (<see cref="PoolFusionPlanner"/>). The group's output is then
    /// never written in training; Predict still runs the two steps. <see cref="WinnersRowOffset"/> is the per-row
    /// region (the pool output's size) for the x̂ each pooled value came from.
    /// </summary>
    internal sealed record PoolFusion(int PoolStep, int WinnersRowOffset);

    /// <summary>A pooling window (square): PyTorch's floor output size.</summary>
    internal sealed record PoolPlan(int KernelSize, int Stride, int Padding, bool CountIncludePad);
}
