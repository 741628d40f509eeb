using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator
{
    /// <summary>
    /// Every diagnostic the generator and analyzers report. IDs: DSL0xxx model definition, DSL1xxx schedulers,
    /// DSL2xxx optimizers and clipping, DSL3xxx precision. Each is explained in docs/diagnostics.md.
    /// </summary>
    internal static class Diagnostics
    {
        private const string ModelCategory = "DslNet.Model";

        public static readonly DiagnosticDescriptor NetworkNotPartial = Error(
            "DSL0001",
            "Network class must be partial",
            "Network class '{0}' must be declared 'partial' so the generator can add its forward and backward code");

        public static readonly DiagnosticDescriptor NetworkHasNoBlocks = Error(
            "DSL0002",
            "Network has no blocks",
            "Network '{0}' has no blocks: declare at least one 'public partial DenseBlock Name {{ get; }}' with a [Dense(units)] attribute");

        public static readonly DiagnosticDescriptor NonPositiveWidth = Error(
            "DSL0003",
            "Width must be positive",
            "{0} is {1}: a width must be a positive number of features");

        public static readonly DiagnosticDescriptor DropoutRateOutOfRange = Error(
            "DSL0004",
            "Dropout rate outside [0, 1)",
            "Dropout rate {0} on '{1}' is outside [0, 1): it is the probability of dropping a unit, e.g. 0.1 to 0.5");

        public static readonly DiagnosticDescriptor GroupsDoNotDivideWidth = Error(
            "DSL0005",
            "GroupNorm groups must divide the width",
            "GroupNorm({0}) on '{1}' cannot split {2} features into equal groups: use a positive divisor of {2}");

        public static readonly DiagnosticDescriptor InvalidLayerCombination = Error(
            "DSL0006",
            "Invalid layer combination in a block",
            "Block '{0}': {1}. A block is [Dense(units)] followed by at most one normalization, one activation and one Dropout, in that order, or in the pre-activation form a normalization and at most an activation before the Dense.");

        public static readonly DiagnosticDescriptor XavierBeforeRelu = Warning(
            "DSL0007",
            "Xavier initialization in front of a ReLU-like activation",
            "Block '{0}' uses {1} in front of {2}: Xavier keeps the variance for symmetric activations, but a ReLU halves it at every layer and deep stacks vanish; use Init.HeNormal (or Init.Auto)");

        public static readonly DiagnosticDescriptor BiasBeforeBatchNorm = Info(
            "DSL0008",
            "Bias followed by BatchNorm is redundant",
            "Block '{0}': BatchNorm subtracts the batch mean, which cancels the Dense bias; set Bias = false to save the parameters (its gradient is always zero)");

        public static readonly DiagnosticDescriptor InvalidBlockProperty = Error(
            "DSL0009",
            "Block property has the wrong form",
            "Block '{0}' must be declared as 'partial DenseBlock {0} {{ get; }}': {1}");

        public static readonly DiagnosticDescriptor UnsupportedNetworkClass = Error(
            "DSL0010",
            "Network class shape not supported",
            "Network class '{0}' cannot be {1}: declare it as a non-generic, non-static class");

        public static readonly DiagnosticDescriptor InvalidNormalizationSetting = Error(
            "DSL0011",
            "Invalid normalization setting",
            "{0} on '{1}' has {2} = {3}: {4}");

        public static readonly DiagnosticDescriptor ActivationBeforeLogitsLoss = Warning(
            "DSL0012",
            "Output activation in front of a loss that takes logits",
            "Block '{0}' ends the network with {1}, but {2} applies its own {3} to the logits: remove {1} from the last block (apply it to Predict's outputs instead)");

        public static readonly DiagnosticDescriptor TooFewClasses = Error(
            "DSL0013",
            "CrossEntropy needs at least two classes",
            "The last block '{0}' has {1} output(s), but CrossEntropy needs one output per class (at least 2); for a yes/no target use Loss.BinaryCrossEntropyWithLogits with one output");

        public static readonly DiagnosticDescriptor DropoutOnOutput = Warning(
            "DSL0014",
            "Dropout on the network's output",
            "Block '{0}' is the last block: Dropout there zeroes logits at random and adds noise to the loss; drop units in hidden blocks instead");

        public static readonly DiagnosticDescriptor NetworkTooLarge = Error(
            "DSL0015",
            "Network too large for one flat buffer",
            "Block '{0}' brings the {1} to {2} values, more than one .NET array can hold ({3}): reduce the widths");

        public static readonly DiagnosticDescriptor ReservedBlockName = Error(
            "DSL0016",
            "Block name collides with a generated member",
            "Block '{0}' has the name of a member the generator writes ({1}): rename the property");

        public static readonly DiagnosticDescriptor ResidualShapeMismatch = Error(
            "DSL0017",
            "Residual skip shapes differ without a projection",
            "Block '{0}' adds '{1}' of shape {2} to its own output of shape {3}: the shapes must match; add Projection = true for a bias-free Dense shortcut (nn.Linear(in, out, bias=False)) or make the widths equal");

        public static readonly DiagnosticDescriptor ResidualSourceUnknown = Error(
            "DSL0018",
            "Residual skip names no block",
            "Block '{0}' adds '{1}', which is not a block of this network: name an earlier block with nameof(...)");

        public static readonly DiagnosticDescriptor ResidualSourceNotEarlier = Error(
            "DSL0019",
            "Residual skip from a later block",
            "Block '{0}' adds '{1}', which comes after it: a skip must come from an earlier block (a later one would make a cycle)");

        public static readonly DiagnosticDescriptor ResidualAddsItself = Error(
            "DSL0020",
            "Residual skip adds a block to itself",
            "Block '{0}' adds its own output to itself: a residual adds an earlier block's output (y = x + F(x)), name that block");

        public static readonly DiagnosticDescriptor ZeroInitBranchNeverLearns = Warning(
            "DSL0021",
            "Zero-initialized residual branch in front of ReLU never learns",
            "Block '{0}': ResidualInit.ZeroLastNorm starts its {1} at 0, and the ReLU after it outputs 0 with a zero derivative, so the branch gets no gradient and stays 0; end the branch with the normalization (its activation in an earlier block, as ResNet's bottleneck) or use ResidualInit.Default");

        public static readonly DiagnosticDescriptor NormalizedTwice = Warning(
            "DSL0022",
            "Pre-activation block normalizes a value that is already normalized and activated",
            "Block '{0}' starts with {1} on '{2}', which already ends in {3}: the value is normalized and activated twice; drop one pair (the post-activation form puts norm → activation after each Dense, the pre-activation form before it)");

        // ---- Image models (DSL0030–DSL0039): Conv2d, pooling, Flatten, the 2-D norms ----

        public static readonly DiagnosticDescriptor InvalidSpatialSetting = Error(
            "DSL0030",
            "Invalid convolution or pooling setting",
            "{0} on '{1}' has {2} = {3}: {4}");

        public static readonly DiagnosticDescriptor KernelLargerThanInput = Error(
            "DSL0031",
            "Kernel larger than the padded input",
            "{0} on '{1}': the kernel spans {2} pixels (dilation included) but the padded input is only {3} ({4} of {5}, padding {6}), so the output size would be {7} (below 1); use a smaller kernel, more padding, or pool less before it");

        public static readonly DiagnosticDescriptor GroupsDoNotDivideChannels = Error(
            "DSL0032",
            "Channels not divisible by groups",
            "{0} on '{1}' has Groups = {2}, which does not divide its {3} channels ({4}): each group convolves C/groups channels, so both the input and the output channels must be multiples of Groups");

        public static readonly DiagnosticDescriptor ImageIntoFeatureLayer = Error(
            "DSL0033",
            "Image value fed into a layer that takes features",
            "{0} on '{1}' receives an image value of shape {2}; flatten it first ([Flatten], nn.Flatten) or pool it to features ([GlobalAvgPool2d], AdaptiveAvgPool2d(1) + Flatten)");

        public static readonly DiagnosticDescriptor ImageLayerOnFeatures = Error(
            "DSL0034",
            "Image layer applied to a feature vector",
            "{0} on '{1}' needs an image value [C, H, W], but its input is a feature vector of shape {2}; {3}");

        public static readonly DiagnosticDescriptor StrideDropsInput = Warning(
            "DSL0035",
            "Stride and padding drop input rows or columns",
            "{0} on '{1}': with kernel {2}, stride {3}, padding {4} and dilation {5}, the last {6} of the {7} input {8} are never read ((size + 2p − d(k − 1) − 1) % stride = {9}, more than the padding); PyTorch drops them silently too; change the padding or the stride if that is not intended");

        public static readonly DiagnosticDescriptor InvalidInputShape = Error(
            "DSL0036",
            "Invalid image input shape",
            "[Network] of '{0}': {1}");

        public static readonly DiagnosticDescriptor InvalidImageBlock = Error(
            "DSL0037",
            "Invalid layer combination in an image block",
            "Block '{0}': {1}. An image block is its layers in source order; it may hold at most one Conv2d or Dense, one normalization and one Add (their parameters are named after the block)");

        public static readonly DiagnosticDescriptor InvalidLabelSmoothing = Error(
            "DSL0038",
            "Invalid label smoothing",
            "[Network] of '{0}' has LabelSmoothing = {1}: {2}");

        // ---- Training-loop analyzers (src/Generator/Analyzers): schedulers, optimizers and clipping, precision ----

        private const string SchedulerCategory = "DslNet.Scheduler";
        private const string OptimizerCategory = "DslNet.Optimizer";
        private const string PrecisionCategory = "DslNet.Precision";

        public static readonly DiagnosticDescriptor PerBatchScheduleSteppedPerEpoch = Create(
            "DSL1001",
            "Per-batch schedule stepped once per epoch",
            "'{0}.Step()' runs once per epoch, but {1} is a per-batch schedule whose steps count optimizer steps: stepped per epoch it barely moves the learning rate; call it in the batch loop, after '{2}'",
            SchedulerCategory, DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor HorizonIsEpochCount = Create(
            "DSL1002",
            "Schedule horizon is an epoch count but the schedule is stepped per batch",
            "{0}",
            SchedulerCategory, DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor HorizonDiffersFromStepCount = Create(
            "DSL1003",
            "Schedule horizon differs from the number of Step() calls",
            "'{0}: {1}' is {2} steps, but {3}{4}; make the horizon the number of Step() calls",
            SchedulerCategory, DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor ScheduleSteppedPerMicroBatch = Create(
            "DSL1004",
            "Schedule stepped per micro-batch under gradient accumulation",
            "{0}: the optimizer steps once every {1} micro-batches, so the schedule must count optimizer steps; {2}",
            SchedulerCategory, DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor SchedulerStepBeforeOptimizerStep = Create(
            "DSL1005",
            "Scheduler stepped before the optimizer",
            "'{0}.Step()' runs before '{1}' in the same iteration: the optimizer never uses the {2}'s first learning rate (and the last step goes past its end); call '{0}.Step()' after '{1}'",
            SchedulerCategory, DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor TwoSchedulesOneOptimizer = Create(
            "DSL1006",
            "Two schedules step the same optimizer",
            "'{0}' ({1}) and '{2}' ({3}) both set the learning rate of '{4}' in every iteration, so the last one wins; {5}",
            SchedulerCategory, DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor InvalidScheduleConstant = Create(
            "DSL1007",
            "Invalid schedule setting",
            "{0}",
            SchedulerCategory, DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor AdamWithWeightDecay = Create(
            "DSL2001",
            "Adam with weight decay is L2 regularization, not AdamW",
            "Adam's weightDecay {0} is added to the gradient (coupled L2), so Adam's normalization shrinks it for parameters with large gradients; use AdamW for decoupled weight decay (typical values: about 1e-2 for AdamW, about 1e-4 for L2)",
            OptimizerCategory, DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor AdamWDecayInL2Range = Create(
            "DSL2002",
            "AdamW weight decay in the L2 range",
            "AdamW's weightDecay {0} is decoupled (multiplied by the learning rate), so a value in the L2 range (<= 1e-4) barely regularizes; AdamW's usual range is 1e-2 to 1e-1",
            OptimizerCategory, DiagnosticSeverity.Info);

        public static readonly DiagnosticDescriptor ClipAtWrongPoint = Create(
            "DSL2003",
            "Gradients clipped at the wrong point",
            "'{0}' {1}; {2}",
            OptimizerCategory, DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor SummedLossNotAveraged = Create(
            "DSL2004",
            "Micro-batch losses summed but not averaged",
            "'{0}' is the sum of {1} micro-batch losses (each TrainStep returns a mean): divide it by {1} before using it as the batch loss",
            OptimizerCategory, DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor OptimizerStepWithoutGradients = Create(
            "DSL2005",
            "Optimizer stepped without fresh gradients",
            "'{0}.Step()' {1}; {2}",
            OptimizerCategory, DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor TrainStepInEvaluation = Create(
            "DSL2006",
            "TrainStep used for evaluation",
            "'{0}.TrainStep' in {1} runs the training-mode forward (dropout, batch statistics), updates BatchNorm's running statistics and overwrites the gradients; use '{0}.EvaluateLoss' or '{0}.Predict'",
            OptimizerCategory, DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor Fp16WithoutGradScaler = Create(
            "DSL3001",
            "fp16 training without a GradScaler",
            "The model trains in fp16 ({0}) but no GradScaler scales its loss: gradients below fp16's smallest subnormal (about 6e-8) flush to zero and stop learning; {1}",
            PrecisionCategory, DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor LossScalingNotNeeded = Create(
            "DSL3003",
            "GradScaler with bf16 is not needed",
            "The model trains in bf16, which has fp32's exponent range, so gradients do not underflow: the GradScaler is not needed (it only costs a scan per step); remove it",
            PrecisionCategory, DiagnosticSeverity.Info);

        public static readonly DiagnosticDescriptor PrecisionNotSupportedByDevice = Create(
            "DSL3002",
            "Precision not supported by the device",
            "{0} cannot run {1}: it supports {2}; choose one of those or another device",
            PrecisionCategory, DiagnosticSeverity.Error);

        private static readonly Dictionary<string, DiagnosticDescriptor> All = typeof(Diagnostics)
            .GetFields()
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .ToDictionary(d => d.Id);

        public static DiagnosticDescriptor ById(string id) => All[id];

        private static DiagnosticDescriptor Error(string id, string title, string message) =>
            Create(id, title, message, DiagnosticSeverity.Error);

        private static DiagnosticDescriptor Warning(string id, string title, string message) =>
            Create(id, title, message, DiagnosticSeverity.Warning);

        private static DiagnosticDescriptor Info(string id, string title, string message) =>
            Create(id, title, message, DiagnosticSeverity.Info);

        private static DiagnosticDescriptor Create(string id, string title, string message, string category, DiagnosticSeverity severity) =>
            new DiagnosticDescriptor(id, title, message, category, severity, isEnabledByDefault: true,
                description: "See docs/diagnostics.md#" + id.ToLowerInvariant() + " for the reasoning and a wrong and a right example.");

        private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity) =>
            new DiagnosticDescriptor(id, title, message, ModelCategory, severity, isEnabledByDefault: true,
                description: "See docs/diagnostics.md#" + id.ToLowerInvariant() + " for the reasoning and a wrong and a right example.");
    }
}
