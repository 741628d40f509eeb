using System;
using System.Collections.Generic;
using System.Linq;
using DslNet.Generator.Common;
using DslNet.Generator.Layers;
using DslNet.Generator.Parsing;

namespace DslNet.Generator.Planning.Spatial
{
    /// <summary>
    /// Plans one block of an image model. A block is its layers in source order, split into steps: a fused group (an
    /// optional Conv2d or Dense, then an optional normalization, activation and dropout, in that order; a layer that
    /// cannot join the open group starts the next one) or a step of its own (pooling, Flatten, Add). So
    /// <c>[Conv2d, BatchNorm2d, Relu, MaxPool2d]</c> is a group and a pool, torchvision's BasicBlock tail
    /// <c>[Conv2d, BatchNorm2d, Add, Relu]</c> a group and an add that applies the activation, and the pre-activation form
    /// <c>[BatchNorm2d, Relu, Conv2d]</c> two groups.
    /// </summary>
    internal sealed class SpatialBlockPlanner
    {
        private readonly NetworkSpec _spec;
        private readonly SpatialGraph _graph;
        private readonly List<DiagnosticInfo> _diagnostics;
        private readonly int _residualUnits;

        public SpatialBlockPlanner(NetworkSpec spec, SpatialGraph graph, List<DiagnosticInfo> diagnostics)
        {
            _spec = spec;
            _graph = graph;
            _diagnostics = diagnostics;
            _residualUnits = spec.Blocks.Count(b => b.Layers.Any(l => l.Kind == LayerKind.Add));
        }

        /// <summary>The block's plan, or null after reporting why (also when <paramref name="input"/> is null: an earlier failure).</summary>
        public SpatialBlockPlan? Plan(BlockSpec block, int index, int? input)
        {
            var errorsBefore = _diagnostics.Count;
            if (block.FormProblem != null)
                _diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidBlockProperty, block.Location, block.Name, block.FormProblem));
            var reserved = NetworkPlanner.ReservedNames.Collision(block.Name);
            if (reserved != null)
                _diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ReservedBlockName, block.Location, block.Name, reserved));
            foreach (var layer in block.Layers)
                if (layer.Kind != LayerKind.Add) LayerRegistry.Of(layer.Kind).Check(block, layer, 0, _diagnostics);
            CheckComposition(block);
            if (NetworkPlanner.HasNewErrors(_diagnostics, errorsBefore) || input == null) return null;

            var parametersBefore = _graph.Layout.Parameters;
            var firstStep = _graph.NextStep;
            var inputShape = _graph.Values[input.Value].Shape;
            var context = new BlockContext(block, index);
            foreach (var layer in block.Layers)
            {
                if (!PlanLayer(context, layer)) return null;
            }
            if (!Flush(context)) return null;
            ApplyResidualInit(context, firstStep);

            var output = _graph.Current;
            _graph.BlockOutputs[block.Name] = output;
            var linear = block.Layers.OfType<LinearSpec>().FirstOrDefault();
            var activation = block.Layers.FirstOrDefault(l => LayerRegistry.RoleOf(l.Kind) == LayerRole.Activation);
            var activationOp = ActivationOf(activation);
            return new SpatialBlockPlan(
                index,
                block.Name,
                block.Accessibility,
                Describe(block, inputShape, context.LinearInput ?? inputShape),
                inputShape,
                output,
                InChannels: inputShape.Channels,
                OutChannels: linear?.Units ?? _graph.Values[output].Shape.Channels,
                ParameterCount: _graph.Layout.Parameters - parametersBefore,
                Activation: activationOp.Kind,
                ActivationOp: activationOp);
        }

        /// <summary>The open group of a block and where the block stands.</summary>
        private sealed class BlockContext
        {
            public BlockContext(BlockSpec block, int index)
            {
                Block = block;
                Index = index;
            }

            public BlockSpec Block { get; }
            public int Index { get; }
            public LinearSpec? Linear;
            public NormSpec? Norm;
            public LayerSpec? Activation;
            public DropoutSpec? Dropout;
            public int Pieces;

            /// <summary>What the block's Dense or Conv2d reads: the block's input, or what its pooling/Flatten made of it.</summary>
            public ValueShape? LinearInput;

            public bool IsOpen => Linear != null || Norm != null || Activation != null || Dropout != null;

            public void Clear()
            {
                Linear = null;
                Norm = null;
                Activation = null;
                Dropout = null;
            }
        }

        private bool PlanLayer(BlockContext context, LayerSpec layer)
        {
            switch (LayerRegistry.RoleOf(layer.Kind))
            {
                case LayerRole.Dense:
                    if (context.IsOpen && !Flush(context)) return false;
                    context.Linear = (LinearSpec)layer;
                    context.LinearInput = _graph.Values[_graph.Current].Shape;
                    return true;
                case LayerRole.Normalization:
                    if ((context.Norm != null || context.Activation != null || context.Dropout != null) && !Flush(context)) return false;
                    context.Norm = (NormSpec)layer;
                    return true;
                case LayerRole.Activation:
                    if (!context.IsOpen && JoinsAdd(context, layer)) return true;
                    if ((context.Activation != null || context.Dropout != null) && !Flush(context)) return false;
                    context.Activation = layer;
                    return true;
                case LayerRole.Dropout:
                    if (context.Dropout != null && !Flush(context)) return false;
                    context.Dropout = (DropoutSpec)layer;
                    return true;
                case LayerRole.Residual:
                    return Flush(context) && PlanAdd(context, (AddSpec)layer);
                default:
                    return Flush(context) && PlanReshape(context, layer);
            }
        }

        /// <summary>Closes the open group into a step (nothing when none is open).</summary>
        private bool Flush(BlockContext context)
        {
            if (!context.IsOpen) return true;
            var ok = PlanGroup(context, "", context.Linear, context.Norm, context.Activation, context.Dropout, _graph.Current) != null;
            context.Clear();
            return ok;
        }

        private string StepName(BlockContext context, string suffix)
        {
            context.Pieces++;
            return context.Pieces == 1 && suffix.Length == 0 ? context.Block.Name : context.Block.Name + (suffix.Length > 0 ? suffix : "Step" + context.Pieces);
        }

        /// <summary>Plans a fused group reading <paramref name="input"/>; returns its output value or null after a diagnostic.</summary>
        private int? PlanGroup(BlockContext context, string prefix, LinearSpec? linear, NormSpec? norm, LayerSpec? activation, DropoutSpec? dropout, int input,
            LinearOverride? shortcut = null)
        {
            var block = context.Block;
            var inputShape = _graph.Values[input].Shape;
            var shape = inputShape;
            LinearPlan? linearPlan = null;
            if (linear != null)
            {
                var planned = PlanLinear(context, prefix, linear, inputShape, shortcut);
                if (planned == null) return null;
                (linearPlan, shape) = planned.Value;
            }

            if (norm != null && !LayerRegistry.Of(norm.Kind).CheckInput(block, norm, shape, _diagnostics)) return null;
            if (dropout != null && !LayerRegistry.Of(dropout.Kind).CheckInput(block, dropout, shape, _diagnostics)) return null;

            var stepIndex = _graph.NextStep;
            var name = StepName(context, prefix);
            var needsPre = linear != null ? norm != null || activation != null || dropout != null : norm != null;
            var pre = needsPre ? _graph.Layout.AddActivations(shape.Size) : -1;
            var normPlan = norm == null ? null : PlanNorm(block, prefix, norm, shape);
            var output = _graph.AddValue(name, shape, stepIndex);
            if (linear != null && !needsPre) pre = _graph.Values[output].OutputRowOffset;
            _graph.AddStep(new SpatialStep(stepIndex, name, context.Index, SpatialStepKind.Group, input, output, inputShape, shape, GradientMode.None)
            {
                Linear = linearPlan,
                Norm = normPlan,
                Activation = ActivationOf(activation),
                DropoutRate = dropout?.Rate ?? 0,
                DropoutIsSpatial = dropout?.Kind == LayerKind.Dropout2d,
                PreRowOffset = pre,
            });
            return output;
        }

        /// <summary>What a projection shortcut fixes instead of the attribute: kernel 1, its stride, no bias, He (fan-out).</summary>
        private sealed record LinearOverride(int Stride, InitKind Init, double Gain, FanKind Fan);

        private (LinearPlan, ValueShape)? PlanLinear(BlockContext context, string prefix, LinearSpec linear, ValueShape input, LinearOverride? shortcut)
        {
            var block = context.Block;
            var conv = linear as Conv2dSpec;
            var isConvolution = conv != null;
            if (!LayerRegistry.Of(linear.Kind).CheckInput(block, linear, input, _diagnostics)) return null;

            ValueShape output;
            int kernel = 1, stride = 1, padding = 0, dilation = 1, groups = 1;
            if (conv != null)
            {
                kernel = shortcut == null ? conv.KernelSize : 1;
                stride = shortcut?.Stride ?? conv.Stride;
                padding = shortcut == null ? conv.Padding : 0;
                dilation = shortcut == null ? conv.Dilation : 1;
                groups = shortcut == null ? conv.Groups : 1;
                if (input.Channels % groups != 0 || linear.Units % groups != 0)
                {
                    var which = input.Channels % groups != 0 ? $"input: {input.Channels}" : $"output: {linear.Units}";
                    _diagnostics.Add(DiagnosticInfo.Create(Diagnostics.GroupsDoNotDivideChannels, linear.Location, linear.Kind, block.Name, groups,
                        input.Channels % groups != 0 ? "input" : "output", which));
                    return null;
                }
                var window = SpatialShapes.Window(linear, block.Name, input, linear.Units, kernel, stride, padding, dilation, _diagnostics);
                if (window == null) return null;
                output = window.Value;
            }
            else output = ValueShape.Features(linear.Units);

            var hasBias = shortcut == null && linear.Bias;
            InitKind init;
            double gain;
            FanKind fan;
            if (shortcut != null) (init, gain, fan) = (shortcut.Init, shortcut.Gain, shortcut.Fan);
            else
            {
                var activation = FirstActivationAfter(block, linear);
                var activationOp = ActivationOf(activation);
                var emission = LayerRegistry.Activation(activationOp.Kind);
                (init, gain) = NetworkPlanner.ResolveInit(linear.Init.Kind, activationOp, emission);
                fan = linear.Init.Fan;
                if (linear.Init.IsXavier && emission.IsReluLike)
                    _diagnostics.Add(DiagnosticInfo.Create(Diagnostics.XavierBeforeRelu, linear.Location, block.Name, "Init." + linear.Init.Kind, activation!.Kind));
                var next = NextLayer(block, linear);
                if (hasBias && next != null && LayerRegistry.Of(next.Kind).CancelsBias)
                    _diagnostics.Add(DiagnosticInfo.Create(Diagnostics.BiasBeforeBatchNorm, linear.Location, block.Name));
            }

            var tensor = block.Name + "." + prefix;
            var weightShape = isConvolution ? new[] { output.Channels, input.Channels / groups, kernel, kernel } : new[] { output.Channels, input.Size };
            var weight = _graph.AddParameter(tensor + "Weight", "Weight", weightShape);
            var bias = hasBias ? _graph.AddParameter(tensor + "Bias", "Bias", output.Channels) : -1;
            var plan = new LinearPlan(isConvolution, prefix, isConvolution ? input.Channels : input.Size, output.Channels, kernel, stride, padding, dilation,
                groups, hasBias, init, gain, fan, linear.Init.Std, InitScale: 1.0, weight, bias);
            return (plan, output);
        }

        private SpatialNormPlan PlanNorm(BlockSpec block, string prefix, NormSpec norm, ValueShape shape)
        {
            var channels = shape.IsSpatial ? shape.Channels : shape.Size;
            var pixels = shape.IsSpatial ? shape.Height * shape.Width : 1;
            var (kind, groups, affine) = ((IImageNorm)LayerRegistry.Of(norm.Kind)).PlanImage(norm, channels);
            var affineShape = kind == SpatialNormKind.LayerNorm && shape.IsSpatial ? new[] { shape.Channels, shape.Height, shape.Width } : new[] { channels };
            var tensor = block.Name + "." + prefix;
            var gamma = affine ? _graph.AddParameter(tensor + "Gamma", "NormScale", affineShape) : -1;
            var beta = affine ? _graph.AddParameter(tensor + "Beta", "NormShift", affineShape) : -1;
            var isBatchNorm = kind == SpatialNormKind.BatchNorm;
            var runningMean = isBatchNorm ? _graph.AddRunningStatistic(tensor + "RunningMean", "RunningMean", channels) : -1;
            var runningVariance = isBatchNorm ? _graph.AddRunningStatistic(tensor + "RunningVariance", "RunningVariance", channels) : -1;
            return new SpatialNormPlan(kind, prefix, channels, pixels, groups, (norm as BatchNormSpec)?.Momentum ?? 0, norm.Eps, affine, ZeroInitGamma: false,
                gamma, beta, affine ? affineShape.Aggregate(1, (a, b) => a * b) : 0, runningMean, runningVariance,
                ScratchOffset: isBatchNorm ? _graph.Layout.AddScratch(3 * channels) : -1,
                StatisticsRowOffset: isBatchNorm ? -1 : _graph.Layout.AddActivations(groups),
                StatisticsPerRow: isBatchNorm ? 0 : groups);
        }

        private bool PlanReshape(BlockContext context, LayerSpec layer)
        {
            var block = context.Block;
            var input = _graph.Current;
            var shape = _graph.Values[input].Shape;
            var descriptor = (ReshapeDescriptor)LayerRegistry.Of(layer.Kind);
            if (!descriptor.CheckInput(block, layer, shape, _diagnostics)) return false;
            var planned = descriptor.Plan(block, layer, shape, _diagnostics);
            if (planned == null) return false;
            var (kind, output, pool, savedPerRow) = planned.Value;

            var stepIndex = _graph.NextStep;
            var name = StepName(context, kind.ToString());
            var saved = savedPerRow > 0 ? _graph.Layout.AddActivations(savedPerRow) : -1;
            var value = _graph.AddValue(name, output, stepIndex);
            _graph.AddStep(new SpatialStep(stepIndex, name, context.Index, kind, input, value, shape, output, GradientMode.None)
            {
                Pool = pool,
                PreRowOffset = saved,
            });
            return true;
        }

        private bool PlanAdd(BlockContext context, AddSpec add)
        {
            var block = context.Block;
            var skip = ResolveSkip(block, add);
            if (skip == null) return false;
            var branch = _graph.Current;
            var branchShape = _graph.Values[branch].Shape;
            var skipShape = _graph.Values[skip.Value].Shape;
            var added = skip.Value;
            if (add.Projection)
            {
                var projected = PlanProjection(context, add, skip.Value, skipShape, branchShape);
                if (projected == null) return false;
                added = projected.Value;
            }
            else if (skipShape != branchShape)
            {
                _diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ResidualShapeMismatch, add.Location, block.Name, add.Skip, skipShape, branchShape));
                return false;
            }

            var stepIndex = _graph.NextStep;
            var name = StepName(context, "Add");
            var value = _graph.AddValue(name, branchShape, stepIndex);
            _graph.AddStep(new SpatialStep(stepIndex, name, context.Index, SpatialStepKind.Add, branch, value, branchShape, branchShape, GradientMode.None)
            {
                Skip = added,
            });
            return true;
        }

        /// <summary>
        /// The activation right after the block's Add runs in the Add's step: act(branch + skip) in one pass, and one
        /// backward pass that writes gradient·act' to both operands (torchvision's BasicBlock tail, <c>[…, Add, Relu]</c>). The
        /// sum is stored only for an activation whose derivative cannot be read off its output. A dropout after the
        /// activation keeps the two together in a group of their own instead.
        /// </summary>
        private bool JoinsAdd(BlockContext context, LayerSpec activation)
        {
            var steps = _graph.Steps;
            var add = steps.Count > 0 ? steps[steps.Count - 1] : null;
            if (add == null || add.Kind != SpatialStepKind.Add || add.Block != context.Index || add.HasActivation) return false;
            var next = NextLayer(context.Block, activation);
            if (next != null && LayerRegistry.RoleOf(next.Kind) == LayerRole.Dropout) return false;
            var op = ActivationOf(activation);
            var storesSum = !LayerRegistry.Activation(op.Kind).DerivativeFromOutput(op);
            steps[steps.Count - 1] = add with { Activation = op, PreRowOffset = storesSum ? _graph.Layout.AddActivations(add.OutputShape.Size) : -1 };
            return true;
        }

        /// <summary>
        /// torchvision's downsample on an image skip: a bias-free 1×1 Conv2d with stride H_in/H_out, then BatchNorm2d; on a
        /// feature skip a bias-free Dense (Xavier, as the MLP's projection). Reports shapes no 1×1 stride can reach.
        /// </summary>
        private int? PlanProjection(BlockContext context, AddSpec add, int skip, ValueShape skipShape, ValueShape branchShape)
        {
            var block = context.Block;
            if (skipShape.IsSpatial != branchShape.IsSpatial || (skipShape.IsSpatial && !ReachableByStride(skipShape, branchShape)))
            {
                _diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ResidualShapeMismatch, add.Location, block.Name, add.Skip, skipShape, branchShape));
                return null;
            }

            if (!skipShape.IsSpatial)
            {
                var dense = new DenseSpec(add.Location) { Units = branchShape.Size, Bias = false };
                return PlanGroup(context, "Shortcut", dense, null, null, null, skip, new LinearOverride(1, InitKind.XavierUniform, 1.0, FanKind.In));
            }

            var stride = skipShape.Height / branchShape.Height;
            var conv = new Conv2dSpec(add.Location) { Units = branchShape.Channels, KernelSize = 1, Stride = stride, Bias = false, Groups = 1 };
            var norm = new BatchNormSpec(LayerKind.BatchNorm2d, add.Location);
            // torchvision initializes every Conv2d of a ResNet, the downsample's included, with kaiming_normal_(fan_out, relu).
            return PlanGroup(context, "Shortcut", conv, norm, null, null, skip, new LinearOverride(stride, InitKind.HeNormal, Math.Sqrt(2.0), FanKind.Out));
        }

        private static bool ReachableByStride(ValueShape skip, ValueShape branch)
        {
            if (skip.Height % branch.Height != 0 || skip.Width % branch.Width != 0) return false;
            var stride = skip.Height / branch.Height;
            return stride == skip.Width / branch.Width && (skip.Height - 1) / stride + 1 == branch.Height && (skip.Width - 1) / stride + 1 == branch.Width;
        }

        private int? ResolveSkip(BlockSpec block, AddSpec add)
        {
            if (add.Skip == block.Name)
            {
                _diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ResidualAddsItself, add.Location, block.Name));
                return null;
            }
            if (_graph.BlockOutputs.TryGetValue(add.Skip, out var value)) return value;
            var names = _spec.Blocks.Select(b => b.Name).ToList();
            var sourceIndex = names.IndexOf(add.Skip);
            var blockIndex = names.IndexOf(block.Name);
            // An earlier block that is not in the graph failed to plan: its own diagnostic says why.
            if (sourceIndex >= 0 && sourceIndex < blockIndex) return null;
            var descriptor = sourceIndex >= 0 ? Diagnostics.ResidualSourceNotEarlier : Diagnostics.ResidualSourceUnknown;
            _diagnostics.Add(DiagnosticInfo.Create(descriptor, add.Location, block.Name, add.Skip));
            return null;
        }

        /// <summary>
        /// §7.2 on a residual unit (a block with [Add]): ZeroLastNorm zeroes γ of the last normalization before the Add
        /// (torchvision's zero_init_residual), or, without one, the last weight (Fixup); Gpt2Scaled scales that weight by 1/√(2N).
        /// </summary>
        private void ApplyResidualInit(BlockContext context, int firstStep)
        {
            var residualInit = _spec.ResidualInit;
            if (residualInit == ResidualInitKind.Default) return;
            var steps = _graph.Steps;
            var addIndex = steps.FindIndex(firstStep, s => s.Kind == SpatialStepKind.Add);
            if (addIndex < 0) return;
            for (var i = addIndex - 1; i >= firstStep; i--)
            {
                var step = steps[i];
                if (step.Kind != SpatialStepKind.Group || (step.Linear?.ParameterPrefix ?? step.Norm?.ParameterPrefix) == "Shortcut") continue;
                if (residualInit == ResidualInitKind.ZeroLastNorm && step.Norm is { Affine: true } norm)
                {
                    steps[i] = step with { Norm = norm with { ZeroInitGamma = true } };
                    WarnDeadBranch(context, step, "normalization's γ");
                    return;
                }
                if (step.Linear != null)
                {
                    var scale = NetworkPlanner.InitScale(residualInit, hasNorm: false, _residualUnits);
                    steps[i] = step with { Linear = step.Linear with { InitScale = scale } };
                    if (residualInit == ResidualInitKind.ZeroLastNorm) WarnDeadBranch(context, step, "weight");
                    return;
                }
            }
        }

        // γ = 0 (or W = 0) in front of a ReLU before the Add: relu(0) = 0 and relu'(0) = 0, so the branch never learns.
        private void WarnDeadBranch(BlockContext context, SpatialStep zeroed, string what)
        {
            if (LayerRegistry.Activation(zeroed.Activation.Kind).DeadAtZero(zeroed.Activation))
            {
                var add = context.Block.Layers.First(l => l.Kind == LayerKind.Add);
                _diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ZeroInitBranchNeverLearns, add.Location, context.Block.Name, what));
            }
        }

        private void CheckComposition(BlockSpec block)
        {
            string? problem = null;
            LocationInfo? where = block.Location;
            if (block.Layers.Count == 0) problem = "it has no layers";
            foreach (var (count, what) in new[]
            {
                (block.Layers.Where(l => LayerRegistry.RoleOf(l.Kind) == LayerRole.Dense).ToList(), "Conv2d or Dense"),
                (block.Layers.Where(l => LayerRegistry.RoleOf(l.Kind) == LayerRole.Normalization).ToList(), "normalization"),
                (block.Layers.Where(l => l.Kind == LayerKind.Add).ToList(), "Add"),
            })
            {
                if (problem != null || count.Count < 2) continue;
                problem = $"it has more than one {what} ([{count[1].Kind}]); split it into two blocks";
                where = count[1].Location;
            }
            if (problem != null)
                _diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidImageBlock, where, block.Name, problem));
        }

        private static LayerSpec? NextLayer(BlockSpec block, LayerSpec layer)
        {
            var index = IndexOf(block, layer);
            return index + 1 < block.Layers.Count ? block.Layers[index + 1] : null;
        }

        private static LayerSpec? FirstActivationAfter(BlockSpec block, LayerSpec layer)
        {
            for (var i = IndexOf(block, layer) + 1; i < block.Layers.Count; i++)
                if (LayerRegistry.RoleOf(block.Layers[i].Kind) == LayerRole.Activation) return block.Layers[i];
            return null;
        }

        private static int IndexOf(BlockSpec block, LayerSpec layer)
        {
            for (var i = 0; i < block.Layers.Count; i++)
                if (ReferenceEquals(block.Layers[i], layer)) return i;
            return -1;
        }

        private static ActivationOp ActivationOf(LayerSpec? activation) =>
            activation == null ? new ActivationOp(ActivationKind.Identity, 0) : ((ActivationDescriptor)LayerRegistry.Of(activation.Kind)).Plan(activation);

        /// <summary>Each layer as Summary() names it; Dense and Conv2d name the width they read (after any pooling or Flatten).</summary>
        private static string Describe(BlockSpec block, ValueShape input, ValueShape linearInput) =>
            string.Join(", ", block.Layers.Select(l => LayerRegistry.Of(l.Kind).DescribeInImageModel(l, l is LinearSpec ? linearInput : input)));
    }
}
