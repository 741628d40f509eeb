using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using DslNet.Generator.Common;
using DslNet.Generator.Layers;
using DslNet.Generator.Parsing;

namespace DslNet.Generator.Planning
{
    /// <summary>
    /// Checks a <see cref="NetworkSpec"/> and turns it into an <see cref="ExecutionPlan"/>: the graph of values and
    /// fused groups of per-kind ops, shape inference, flat layouts, fusion decisions, the forward order and the
    /// backward schedule, and every model diagnostic. Each layer kind's own checks live in its descriptor
    /// (<see cref="LayerRegistry"/>). Pure: no Roslyn, no I/O.
    /// </summary>
    internal static class NetworkPlanner
    {
        public static PlanResult Plan(NetworkSpec spec)
        {
            if (Spatial.SpatialPlanner.Applies(spec)) return Spatial.SpatialPlanner.Plan(spec);
            var diagnostics = new List<DiagnosticInfo>();
            if (!spec.IsPartial)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NetworkNotPartial, spec.Location, spec.ClassName));
            if (spec.UnsupportedShape != null)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedNetworkClass, spec.Location, spec.ClassName, spec.UnsupportedShape));
            if (spec.Inputs <= 0)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NonPositiveWidth, spec.Location, $"[Network(Inputs)] of '{spec.ClassName}'", spec.Inputs));
            if (spec.Blocks.Count == 0)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NetworkHasNoBlocks, spec.Location, spec.ClassName));
            LossChecks.Check(spec, diagnostics);

            var context = new BlockContext(spec, diagnostics);
            var blocks = new List<BlockPlan>();
            int? input = spec.Inputs > 0 ? ValuePlan.NetworkInput : (int?)null;
            foreach (var block in spec.Blocks)
            {
                var plan = PlanBlock(block, blocks.Count, input, context);
                if (plan == null)
                {
                    input = null;
                    continue;
                }
                blocks.Add(plan);
                input = plan.OutputValue;
            }

            if (blocks.Count == spec.Blocks.Count && blocks.Count > 0)
                CheckOutput(spec, blocks[blocks.Count - 1], diagnostics);

            var hasErrors = diagnostics.Any(d => Diagnostics.ById(d.Id).DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
            ExecutionPlan? result = null;
            if (!hasErrors && blocks.Count > 0)
            {
                var values = context.Graph.Build();
                var fused = blocks.Select(b => b with { ActivationBackwardFusedIntoConsumer = FusesIntoConsumer(b, values, blocks) }).ToList();
                var last = fused[fused.Count - 1];
                var layout = context.Layout;
                result = new ExecutionPlan(
                    spec.Namespace,
                    spec.ClassName,
                    spec.Accessibility,
                    InputSize: spec.Inputs,
                    OutputSize: last.Units,
                    spec.Loss,
                    ParameterCount: layout.Parameters,
                    RunningStatisticCount: layout.RunningStatistics,
                    ActivationFloatsPerRow: layout.ActivationsPerRow,
                    ScratchLength: layout.Scratch,
                    Values: values.ToEquatableArray(),
                    Blocks: fused.ToEquatableArray(),
                    ForwardOrder: Enumerable.Range(0, fused.Count).ToEquatableArray(),
                    BackwardSchedule: Schedule(fused, values).ToEquatableArray()) { LabelSmoothing = spec.LabelSmoothing };
            }

            return new PlanResult(result, diagnostics.ToEquatableArray(), result == null ? Placeholder(spec) : null);
        }

        /// <summary>The partial members an invalid model declares (a class that cannot take them gets none).</summary>
        internal static PlaceholderPlan? Placeholder(NetworkSpec spec)
        {
            if (!spec.IsPartial || spec.UnsupportedShape != null) return null;
            var blocks = spec.Blocks
                .Where(b => b.FormProblem == null)
                .Select(b => new PlaceholderBlock(b.Name, b.Accessibility))
                .ToEquatableArray();
            return blocks.Count == 0 ? null : new PlaceholderPlan(spec.Namespace, spec.ClassName, blocks);
        }

        /// <summary>
        /// A group's dropout and activation backward can run in its consumer's input-gradient GEMM epilogue only when
        /// that GEMM is the output's one consumer: a second consumer (a skip) needs the gradient before it is rewritten,
        /// and the derivative applies to the sum of all contributions. Normalizations run their own backward, and a
        /// pre-activation consumer's GEMM writes the gradient of its input normalization, not of this block's output.
        /// </summary>
        private static bool FusesIntoConsumer(BlockPlan block, IReadOnlyList<ValuePlan> values, List<BlockPlan> blocks) =>
            !block.HasNorm && !block.IsIdentityOutput && !block.HasAdd && values[block.OutputValue].Consumers.Count == 1
            && !blocks[values[block.OutputValue].Consumers[0]].HasInputNorm;

        /// <summary>
        /// Reverse forward order; per block: the skip's gradient (before the block rewrites its output gradient in
        /// place), the group's own backward, the input gradient (through a pre-activation block's input normalization,
        /// whose γ and β gradients it writes even when the input is the network's). A value's first contribution
        /// overwrites its gradient, later ones add; the last block's gradient is written by the loss.
        /// </summary>
        private static List<BackwardStep> Schedule(List<BlockPlan> blocks, IReadOnlyList<ValuePlan> values)
        {
            var written = new bool[values.Count];
            written[blocks[blocks.Count - 1].OutputValue] = true;
            var steps = new List<BackwardStep>();
            for (var i = blocks.Count - 1; i >= 0; i--)
            {
                var b = blocks[i];
                if (b.Add != null)
                {
                    steps.Add(new BackwardStep(BackwardStepKind.SkipGradient, i, b.Add.Skip, written[b.Add.Skip]));
                    written[b.Add.Skip] = true;
                }
                steps.Add(new BackwardStep(BackwardStepKind.GroupBackward, i, b.OutputValue, Accumulate: false));
                var input = b.Dense.Input;
                if (input == ValuePlan.NetworkInput && !b.HasInputNorm) continue;
                steps.Add(new BackwardStep(BackwardStepKind.InputGradient, i, input, written[input]));
                written[input] = true;
            }
            return MarkParameterGradientsFinal(steps, blocks);
        }

        /// <summary>Marks, per block, the last step that writes its parameter gradients (its own backward, or a projection
        /// shortcut's weight gradient should that come later).</summary>
        private static List<BackwardStep> MarkParameterGradientsFinal(List<BackwardStep> steps, List<BlockPlan> blocks)
        {
            var final = new bool[blocks.Count];
            for (var s = steps.Count - 1; s >= 0; s--)
            {
                var step = steps[s];
                if (final[step.Block] || !WritesParameterGradients(step, blocks[step.Block])) continue;
                steps[s] = step with { ParameterGradientsFinal = true };
                final[step.Block] = true;
            }
            return steps;
        }

        private static bool WritesParameterGradients(BackwardStep step, BlockPlan block) =>
            step.Kind == BackwardStepKind.GroupBackward || (step.Kind == BackwardStepKind.SkipGradient && block.HasProjection)
            || (step.Kind == BackwardStepKind.InputGradient && block.HasInputNorm);

        /// <summary>What planning one block needs from the network around it.</summary>
        private sealed class BlockContext
        {
            public BlockContext(NetworkSpec spec, List<DiagnosticInfo> diagnostics)
            {
                Spec = spec;
                Diagnostics = diagnostics;
                Graph = new GraphBuilder(spec.Inputs);
                BlockNames = spec.Blocks.Select(b => b.Name).ToList();
                ResidualUnits = spec.Blocks.Count(b => b.Layers.Any(l => l.Kind == LayerKind.Add));
            }

            public NetworkSpec Spec { get; }
            public List<DiagnosticInfo> Diagnostics { get; }
            public LayoutBuilder Layout { get; } = new LayoutBuilder();
            public GraphBuilder Graph { get; }
            public IReadOnlyList<string> BlockNames { get; }
            public int ResidualUnits { get; }
        }

        private static BlockPlan? PlanBlock(BlockSpec block, int index, int? input, BlockContext context)
        {
            var diagnostics = context.Diagnostics;
            var errorsBefore = diagnostics.Count;
            if (block.FormProblem != null)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidBlockProperty, block.Location, block.Name, block.FormProblem));

            var dense = CheckComposition(block, diagnostics);
            if (dense == null) return null;

            // Layers before the Dense are the pre-activation form's normalization and activation over the input.
            var denseAt = IndexOf(block.Layers, dense);
            var before = block.Layers.Take(denseAt).ToList();
            var after = block.Layers.Skip(denseAt + 1).ToList();
            var inputNorm = before.FirstOrDefault(l => LayerRegistry.RoleOf(l.Kind) == LayerRole.Normalization);
            var inputActivation = before.FirstOrDefault(l => LayerRegistry.RoleOf(l.Kind) == LayerRole.Activation);
            var norm = LayerWithRole(after, LayerRole.Normalization);
            var activation = LayerWithRole(after, LayerRole.Activation);
            var dropout = (DropoutSpec?)LayerWithRole(after, LayerRole.Dropout);
            var add = (AddSpec?)LayerWithRole(after, LayerRole.Residual);
            var inputWidth = input == null ? 0 : context.Graph.Values[input.Value].Width;
            foreach (var layer in before)
                LayerRegistry.Of(layer.Kind).Check(block, layer, inputWidth, diagnostics);
            foreach (var layer in after.Prepend(dense))
                if (layer.Kind != LayerKind.Add) LayerRegistry.Of(layer.Kind).Check(block, layer, dense.Units, diagnostics);

            var activationOp = PlanActivation(activation);
            var emission = LayerRegistry.Activation(activationOp.Kind);
            if (dense.Init.IsXavier && emission.IsReluLike)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.XavierBeforeRelu, dense.Location, block.Name, "Init." + dense.Init.Kind, activation!.Kind));
            if (dense.Bias && norm != null && LayerRegistry.Of(norm.Kind).CancelsBias)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.BiasBeforeBatchNorm, dense.Location, block.Name));
            if (inputNorm != null && input != null)
                CheckNormalizedTwice(block, inputNorm, inputActivation, context.Graph.Values[input.Value], context.Spec, diagnostics);

            // γ = 0 (or W = 0) in front of a ReLU: relu(0) = 0 and relu'(0) = 0, so nothing reaches the branch's parameters.
            if (add != null && context.Spec.ResidualInit == ResidualInitKind.ZeroLastNorm && emission.DeadAtZero(activationOp))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ZeroInitBranchNeverLearns, add.Location, block.Name,
                    norm != null ? "normalization's γ" : "Dense weight"));

            var reserved = ReservedNames.Collision(block.Name);
            if (reserved != null)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ReservedBlockName, block.Location, block.Name, reserved));

            ValuePlan? skip = null;
            if (add != null)
                skip = ((Add)LayerRegistry.Of(LayerKind.Add)).Resolve(block, add, dense.Units, context.Graph.Values, context.BlockNames, diagnostics);

            if (HasNewErrors(diagnostics, errorsBefore) || input == null || (add != null && skip == null)) return null;
            var layout = context.Layout;
            var inputs = inputWidth;
            var projectionWeights = add != null && add.Projection ? (long)skip!.Width * dense.Units : 0;
            if (!layout.Fits(block.Name, inputs, dense.Units, block.Location, diagnostics, projectionWeights)) return null;

            var units = dense.Units;
            var residualInit = add == null ? ResidualInitKind.Default : context.Spec.ResidualInit;
            // The input normalization's γ and β come first in the block's range, as in the module's state_dict.
            var inputNormOp = inputNorm == null ? null : PlanNorm(inputNorm, inputs, zeroInitGamma: false, layout);
            var (init, gain) = ResolveInit(dense.Init.Kind, activationOp, emission);
            var denseOp = new DenseOp(
                Input: input.Value,
                Inputs: inputs,
                Units: units,
                HasBias: dense.Bias,
                Init: init,
                InitGain: gain,
                InitStd: dense.Init.Std,
                Fan: dense.Init.Fan,
                InitScale: InitScale(residualInit, norm != null, context.ResidualUnits),
                WeightOffset: layout.AddParameters(inputs * units),
                BiasOffset: dense.Bias ? layout.AddParameters(units) : -1);
            var normOp = norm == null ? null : PlanNorm(norm, units, residualInit == ResidualInitKind.ZeroLastNorm, layout);

            var preActivation = layout.AddActivations(units);
            var output = context.Graph.AddValue(block.Name, ValueShape.Features(units), layout.AddActivations(units), layout.AddActivations(units), index);
            context.Graph.AddConsumer(input.Value, index);
            if (normOp != null) normOp = LayerRegistry.Norm(normOp.Kind).PlaceStatistics(normOp, units, layout);
            InputNormOp? inputNormPlan = null;
            if (inputNormOp != null)
                inputNormPlan = new InputNormOp(LayerRegistry.Norm(inputNormOp.Kind).PlaceStatistics(inputNormOp, inputs, layout), PlanActivation(inputActivation), inputs,
                    NormalizedRowOffset: layout.AddActivations(inputs), OutputRowOffset: layout.AddActivations(inputs), GradientRowOffset: layout.AddActivations(inputs));

            var dropoutOp = dropout is { Drops: true } ? new DropoutOp(dropout!.Rate, layout.AddActivations((units + 31) / 32), (units + 31) / 32) : null;
            var addOp = add == null ? null : PlanAdd(block, add, skip!, units, index, context);

            return new BlockPlan(
                Index: index,
                Name: block.Name,
                Accessibility: block.Accessibility,
                Description: string.Join(", ", block.Layers.Select(l => LayerRegistry.Of(l.Kind).Describe(l, ValueShape.Features(inputs)))),
                OutputValue: output,
                PreActivationRowOffset: preActivation,
                Dense: denseOp,
                NormOp: normOp,
                ActivationOp: activationOp,
                DropoutOp: dropoutOp,
                Add: addOp,
                ActivationBackwardFusedIntoConsumer: false) { InputNorm = inputNormPlan };
        }

        private static ActivationOp PlanActivation(LayerSpec? activation) =>
            activation == null ? new ActivationOp(ActivationKind.Identity, 0) : ((ActivationDescriptor)LayerRegistry.Of(activation.Kind)).Plan(activation);

        private static NormOp PlanNorm(LayerSpec norm, int width, bool zeroInitGamma, LayoutBuilder layout) =>
            ((NormDescriptor)LayerRegistry.Of(norm.Kind)).Plan((NormSpec)norm, width, zeroInitGamma, layout);

        /// <summary>
        /// DSL0022: a pre-activation block whose input already ends in a normalization and an activation normalizes and
        /// activates the same value twice, the usual slip when the post-activation form (each Dense followed by norm →
        /// activation) meets the pre-activation form (norm → activation before each Dense).
        /// </summary>
        private static void CheckNormalizedTwice(BlockSpec block, LayerSpec inputNorm, LayerSpec? inputActivation, ValuePlan input, NetworkSpec spec,
            List<DiagnosticInfo> diagnostics)
        {
            if (inputActivation == null || input.Producer < 0) return;
            var producer = spec.Blocks.FirstOrDefault(b => b.Name == input.Name);
            if (producer == null) return;
            var denseAt = producer.Layers.ToList().FindIndex(l => l.Kind == LayerKind.Dense);
            var tail = producer.Layers.Skip(denseAt + 1).ToList();
            var norm = LayerWithRole(tail, LayerRole.Normalization);
            var activation = LayerWithRole(tail, LayerRole.Activation);
            if (norm == null || activation == null || LayerWithRole(tail, LayerRole.Residual) != null) return;
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NormalizedTwice, inputNorm.Location, block.Name,
                $"[{inputNorm.Kind}, {inputActivation.Kind}]", producer.Name, $"[{norm.Kind}, {activation.Kind}]"));
        }

        private static int IndexOf(IReadOnlyList<LayerSpec> layers, LayerSpec layer)
        {
            for (var i = 0; i < layers.Count; i++)
                if (ReferenceEquals(layers[i], layer)) return i;
            return -1;
        }

        private static AddOp PlanAdd(BlockSpec block, AddSpec add, ValuePlan skip, int units, int index, BlockContext context)
        {
            context.Graph.AddConsumer(skip.Id, index);
            if (!add.Projection)
                return new AddOp(skip.Id, skip.Name, skip.Width, HasProjection: false, ProjectionValue: -1, ProjectionWeightOffset: -1,
                    ProjectionInit: InitKind.XavierUniform, ProjectionGain: 1.0);

            // The shortcut is linear: Xavier, as Init.Auto gives a Dense without activation.
            var weight = context.Layout.AddParameters(skip.Width * units);
            var value = context.Graph.AddValue(block.Name + "Shortcut", ValueShape.Features(units), context.Layout.AddActivations(units), -1, index);
            return new AddOp(skip.Id, skip.Name, skip.Width, HasProjection: true, ProjectionValue: value, ProjectionWeightOffset: weight,
                ProjectionInit: InitKind.XavierUniform, ProjectionGain: 1.0);
        }

        /// <summary>
        /// §7.2 for deep residual stacks. ZeroLastNorm: the branch's normalization starts with γ = 0 (torchvision's
        /// zero_init_residual), or, without one, its Dense weight is zero (Fixup), so each unit starts as the identity.
        /// Gpt2Scaled: the branch's weight is scaled by 1/√(2N), N residual units.
        /// </summary>
        internal static double InitScale(ResidualInitKind residualInit, bool hasNorm, int residualUnits)
        {
            switch (residualInit)
            {
                case ResidualInitKind.ZeroLastNorm: return hasNorm ? 1.0 : 0.0;
                case ResidualInitKind.Gpt2Scaled: return 1.0 / Math.Sqrt(2.0 * Math.Max(1, residualUnits));
                default: return 1.0;
            }
        }

        private static LayerSpec? LayerWithRole(IEnumerable<LayerSpec> layers, LayerRole role) =>
            layers.FirstOrDefault(l => LayerRegistry.RoleOf(l.Kind) == role);

        /// <summary>
        /// One Dense, then at most one normalization, one activation, one Dropout and one Add, in that order; or the
        /// pre-activation form, whose normalization (and activation) come before the Dense. One of each role per block.
        /// </summary>
        private static DenseSpec? CheckComposition(BlockSpec block, List<DiagnosticInfo> diagnostics)
        {
            var layers = block.Layers;
            string? problem = null;
            LocationInfo? where = block.Location;
            var denseAt = layers.ToList().FindIndex(l => l.Kind == LayerKind.Dense);
            if (layers.Count == 0)
                problem = "it has no layers";
            else if (denseAt < 0)
                problem = "it has no [Dense(units)]";
            else if (denseAt > 0 && LayerRegistry.RoleOf(layers[0].Kind) != LayerRole.Normalization)
                problem = $"[{layers[0].Kind}] comes before [Dense]; only a normalization, then an activation, may (the pre-activation form)";
            else if (denseAt > 2 || (denseAt == 2 && LayerRegistry.RoleOf(layers[1].Kind) != LayerRole.Activation))
            {
                problem = $"[{layers[1].Kind}] comes between [{layers[0].Kind}] and [Dense]; the pre-activation form is a normalization, then at most an activation";
                where = layers[1].Location;
            }
            else
            {
                var rank = LayerRole.Dense;
                var seen = new HashSet<LayerRole> { LayerRole.Dense };
                for (var i = 0; i < denseAt; i++) seen.Add(LayerRegistry.RoleOf(layers[i].Kind));
                for (var i = denseAt + 1; i < layers.Count && problem == null; i++)
                {
                    var layer = layers[i];
                    var layerRank = LayerRegistry.RoleOf(layer.Kind);
                    if (!seen.Add(layerRank))
                        problem = $"it has more than one {RankName(layerRank)} ([{layer.Kind}])";
                    else if (layerRank < rank)
                        problem = $"[{layer.Kind}] comes after {(rank == LayerRole.Activation || rank == LayerRole.Residual ? "an" : "a")} {RankName(rank)}";
                    if (layerRank > rank) rank = layerRank;
                    if (problem != null) where = layer.Location;
                }
            }

            if (problem == null) return (DenseSpec)layers[denseAt];
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidLayerCombination, where, block.Name, problem));
            return null;
        }

        private static void CheckOutput(NetworkSpec spec, BlockPlan last, List<DiagnosticInfo> diagnostics)
        {
            var lastSpec = spec.Blocks[spec.Blocks.Count - 1];
            // Only an activation after the Dense acts on the logits (a pre-activation block's comes before it).
            var afterDense = lastSpec.Layers.SkipWhile(l => l.Kind != LayerKind.Dense);
            var activation = afterDense.FirstOrDefault(l => LayerRegistry.RoleOf(l.Kind) == LayerRole.Activation);
            if (activation != null && spec.Loss == LossKind.BinaryCrossEntropyWithLogits && activation.Kind == LayerKind.Sigmoid)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ActivationBeforeLogitsLoss, activation.Location, last.Name, "[Sigmoid]", "BinaryCrossEntropyWithLogits", "sigmoid"));
            else if (activation != null && spec.Loss != LossKind.MeanSquaredError)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ActivationBeforeLogitsLoss, activation.Location, last.Name, $"[{activation.Kind}]", spec.Loss,
                    spec.Loss == LossKind.CrossEntropy ? "softmax" : "sigmoid"));
            if (spec.Loss == LossKind.CrossEntropy && last.Units < 2)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.TooFewClasses, lastSpec.Location, last.Name, last.Units));
            var dropout = lastSpec.Layers.OfType<DropoutSpec>().FirstOrDefault(l => l.Kind == LayerKind.Dropout);
            if (dropout is { Drops: true })
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DropoutOnOutput, dropout.Location, last.Name));
        }

        /// <summary>
        /// Init.Auto is the variance argument: He (fan-in, normal) in front of ReLU-like activations, Xavier
        /// (uniform) otherwise. Gains follow torch.nn.init.calculate_gain; GELU and SiLU are treated as ReLU (√2).
        /// </summary>
        internal static (InitKind Init, double Gain) ResolveInit(InitKind requested, ActivationOp activation, IActivationEmission emission)
        {
            var init = requested == InitKind.Auto
                ? (emission.IsReluLike ? InitKind.HeNormal : InitKind.XavierUniform)
                : requested;
            double gain;
            if (init == InitKind.HeNormal || init == InitKind.HeUniform)
                gain = emission.HeGain(activation);
            else if (init == InitKind.Orthogonal)
                gain = emission.IsReluLike ? Math.Sqrt(2.0) : 1.0;
            else
                gain = 1.0;
            return (init, gain);
        }

        internal static bool HasNewErrors(List<DiagnosticInfo> diagnostics, int since)
        {
            for (var i = since; i < diagnostics.Count; i++)
                if (Diagnostics.ById(diagnostics[i].Id).DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error) return true;
            return false;
        }

        /// <summary>Generated members and fields a block's property or field name would collide with.</summary>
        internal static class ReservedNames
        {
            private static readonly HashSet<string> Members = new HashSet<string>
            {
                "InputSize", "OutputSize", "ParameterCount", "RunningStatisticCount", "InferenceChunkRows", "Layout",
                "ParameterSlots", "RunningStatisticSlots", "SummaryText", "Parameters", "Gradients", "RunningStatistics",
                "StepCount", "Summary", "TrainStep", "Predict", "EvaluateLoss", "Monitor", "Seed", "InferChunk", "PrepareInference",
                "EnsureRowCapacity", "Workspace", "Scratch",
            };

            // Each block gets a field named _camelCase; these are the generator's own fields.
            private static readonly HashSet<string> Fields = new HashSet<string>
            {
                "Parameters", "RunningStatistics", "Scratch", "Seed", "Activations", "RowCapacity", "StepCount", "Monitor",
            };

            public static string? Collision(string name)
            {
                if (Members.Contains(name)) return "member " + name;
                if (Fields.Contains(name)) return "field _" + char.ToLowerInvariant(name[0]) + name.Substring(1);
                return null;
            }
        }

        private static string RankName(LayerRole role)
        {
            switch (role)
            {
                case LayerRole.Dense: return "Dense layer";
                case LayerRole.Normalization: return "normalization";
                case LayerRole.Activation: return "activation";
                case LayerRole.Dropout: return "Dropout";
                default: return "residual Add";
            }
        }

        /// <summary>The graph's values as planning adds them: the network input first, then each group's outputs.</summary>
        internal sealed class GraphBuilder
        {
            private readonly List<(string Name, ValueShape Shape, int Output, int Gradient, int Producer, List<int> Consumers)> _values =
                new List<(string, ValueShape, int, int, int, List<int>)>();

            public GraphBuilder(int inputs)
            {
                _values.Add(("Input", ValueShape.Features(inputs), -1, -1, -1, new List<int>()));
            }

            /// <summary>The values so far, consumers not yet final.</summary>
            public IReadOnlyList<ValuePlan> Values => Build();

            public int AddValue(string name, ValueShape shape, int outputRowOffset, int gradientRowOffset, int producer)
            {
                _values.Add((name, shape, outputRowOffset, gradientRowOffset, producer, new List<int>()));
                return _values.Count - 1;
            }

            public void AddConsumer(int value, int block) => _values[value].Consumers.Add(block);

            public List<ValuePlan> Build() =>
                _values.Select((v, id) => new ValuePlan(id, v.Name, v.Shape, v.Output, v.Gradient, v.Producer, v.Consumers.ToEquatableArray())).ToList();
        }
    }
}
