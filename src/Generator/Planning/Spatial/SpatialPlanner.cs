using System.Collections.Generic;
using System.Linq;
using DslNet.Generator.Common;
using DslNet.Generator.Layers;
using DslNet.Generator.Parsing;

namespace DslNet.Generator.Planning.Spatial
{
    /// <summary>
    /// Plans an image model: checks the input shape, splits each block into steps (<see cref="SpatialBlockPlanner"/>),
    /// infers every value's [C, H, W] at compile time, lays out the flat buffers and decides the backward schedule
    /// (reverse forward order; a value's first gradient contribution writes, later ones add). Pure, never throws.
    /// Feature models without image layers keep the MLP planner (<see cref="NetworkPlanner"/>), unchanged.
    /// </summary>
    internal static class SpatialPlanner
    {
        /// <summary>An image input shape, or an image layer anywhere (on a feature model: DSL0034 from here).</summary>
        public static bool Applies(NetworkSpec spec) =>
            spec.IsImageModel || spec.Blocks.Any(b => b.Layers.Any(l => LayerRegistry.Of(l.Kind).ImageOnly));

        public static PlanResult Plan(NetworkSpec spec)
        {
            var diagnostics = new List<DiagnosticInfo>();
            CheckNetwork(spec, diagnostics);
            var inputShape = InputShape(spec);
            var graph = new SpatialGraph(inputShape);
            var blocks = new List<SpatialBlockPlan>();
            var planner = new SpatialBlockPlanner(spec, graph, diagnostics);
            var failed = inputShape == null;
            foreach (var block in spec.Blocks)
            {
                var blockPlan = planner.Plan(block, blocks.Count, failed ? null : graph.Current);
                if (blockPlan == null)
                {
                    failed = true;
                    continue;
                }
                blocks.Add(blockPlan);
            }

            if (!failed && blocks.Count > 0) CheckOutput(spec, graph, diagnostics);
            var hasErrors = diagnostics.Any(d => Diagnostics.ById(d.Id).DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
            if (hasErrors || failed || blocks.Count == 0)
                return new PlanResult(null, diagnostics.ToEquatableArray(), NetworkPlanner.Placeholder(spec));

            var steps = PoolFusionPlanner.Apply(graph, Schedule(graph));
            var layout = graph.Layout;
            var plan = new SpatialPlan(
                spec.Namespace,
                spec.ClassName,
                spec.Accessibility,
                InputShape: inputShape!.Value,
                OutputSize: graph.Values[graph.Current].Shape.Size,
                spec.Loss,
                ParameterCount: layout.Parameters,
                RunningStatisticCount: layout.RunningStatistics,
                ActivationFloatsPerRow: layout.ActivationsPerRow + graph.LargestGradient,
                ScratchLength: layout.Scratch,
                GradientScratchRowOffset: layout.ActivationsPerRow,
                Values: graph.BuildValues().ToEquatableArray(),
                Blocks: blocks.ToEquatableArray(),
                Steps: steps.ToEquatableArray(),
                BackwardOrder: Enumerable.Range(0, steps.Count).Reverse().Where(i => steps[i].Kind != SpatialStepKind.ToChannelsLast).ToEquatableArray(),
                ParameterTensors: graph.ParameterTensors.ToEquatableArray(),
                RunningStatisticTensors: graph.RunningStatisticTensors.ToEquatableArray()) { LabelSmoothing = spec.LabelSmoothing };
            return new PlanResult(null, diagnostics.ToEquatableArray()) { SpatialPlan = plan };
        }

        private static void CheckNetwork(NetworkSpec spec, List<DiagnosticInfo> diagnostics)
        {
            if (!spec.IsPartial)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NetworkNotPartial, spec.Location, spec.ClassName));
            if (spec.UnsupportedShape != null)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedNetworkClass, spec.Location, spec.ClassName, spec.UnsupportedShape));
            LossChecks.Check(spec, diagnostics);
            if (spec.Blocks.Count == 0)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NetworkHasNoBlocks, spec.Location, spec.ClassName));
            if (!spec.IsImageModel)
            {
                if (spec.Inputs <= 0)
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NonPositiveWidth, spec.Location, $"[Network(Inputs)] of '{spec.ClassName}'", spec.Inputs));
                return;
            }

            if (spec.Inputs != 0)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidInputShape, spec.Location, spec.ClassName,
                    $"Inputs = {spec.Inputs} is set beside Channels/Height/Width; an image model's row is C·H·W floats, so set either Inputs (features) or the image shape"));
            if (spec.Channels <= 0 || spec.Height <= 0 || spec.Width <= 0)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidInputShape, spec.Location, spec.ClassName,
                    $"Channels = {spec.Channels}, Height = {spec.Height}, Width = {spec.Width}: an image input needs all three, each positive"));
            else if ((long)spec.Channels * spec.Height * spec.Width > int.MaxValue / 64)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidInputShape, spec.Location, spec.ClassName,
                    $"an image of {spec.Channels}×{spec.Height}×{spec.Width} floats per row is too large for the flat workspace"));
        }

        private static ValueShape? InputShape(NetworkSpec spec)
        {
            if (!spec.IsImageModel) return spec.Inputs > 0 ? ValueShape.Features(spec.Inputs) : (ValueShape?)null;
            if (spec.Inputs != 0 || spec.Channels <= 0 || spec.Height <= 0 || spec.Width <= 0) return null;
            if ((long)spec.Channels * spec.Height * spec.Width > int.MaxValue / 64) return null;
            return new ValueShape(spec.Channels, spec.Height, spec.Width);
        }

        private static void CheckOutput(NetworkSpec spec, SpatialGraph graph, List<DiagnosticInfo> diagnostics)
        {
            var last = spec.Blocks[spec.Blocks.Count - 1];
            var output = graph.Values[graph.Current].Shape;
            if (output.IsSpatial)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ImageIntoFeatureLayer, last.Location, $"The {spec.Loss} loss", last.Name, output));
                return;
            }
            if (spec.Loss == LossKind.CrossEntropy && output.Size < 2)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.TooFewClasses, last.Location, last.Name, output.Size));
            var activation = last.Layers.LastOrDefault();
            if (activation != null && LayerRegistry.RoleOf(activation.Kind) == LayerRole.Activation && spec.Loss != LossKind.MeanSquaredError)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ActivationBeforeLogitsLoss, activation.Location, last.Name, $"[{activation.Kind}]", spec.Loss,
                    spec.Loss == LossKind.CrossEntropy ? "softmax" : "sigmoid"));
            if (last.Layers.LastOrDefault() is DropoutSpec { Drops: true } dropout)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DropoutOnOutput, dropout.Location, last.Name));
        }

        /// <summary>
        /// The backward schedule's gradient modes: steps run in reverse forward order, so every consumer of a value runs
        /// its backward before the value's producer; the first contribution to a value's gradient writes, later ones add.
        /// </summary>
        private static List<SpatialStep> Schedule(SpatialGraph graph)
        {
            var steps = graph.Steps.ToList();
            var written = new bool[graph.Values.Count];
            for (var i = steps.Count - 1; i >= 0; i--)
            {
                var step = steps[i];
                step = step with { InputGradient = Mode(graph, written, step.Input) };
                if (step.Kind == SpatialStepKind.Add) step = step with { SkipGradient = Mode(graph, written, step.Skip) };
                steps[i] = step;
            }
            return steps;
        }

        private static GradientMode Mode(SpatialGraph graph, bool[] written, int value)
        {
            if (!graph.Values[value].HasGradient) return GradientMode.None;
            var mode = written[value] ? GradientMode.Accumulate : GradientMode.Write;
            written[value] = true;
            return mode;
        }
    }
}
