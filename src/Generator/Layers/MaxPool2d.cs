using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;
using DslNet.Generator.Planning.Spatial;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// <c>[MaxPool2d(kernelSize, Stride, Padding)]</c>: <c>nn.MaxPool2d</c> (ceil_mode = False). The forward pass keeps each
    /// window's argmax in the workspace; the backward pass routes the gradient there (CpuKernels.Spatial.Pool2d.Max*).
    /// </summary>
    internal sealed class MaxPool2d : PoolDescriptor
    {
        public override LayerKind Kind => LayerKind.MaxPool2d;
        protected override SpatialStepKind StepKind => SpatialStepKind.MaxPool;

        /// <summary>Each output's argmax, kept for the backward pass.</summary>
        public override ReshapePlan? Plan(BlockSpec block, LayerSpec layer, ValueShape input, List<DiagnosticInfo> diagnostics) =>
            base.Plan(block, layer, input, diagnostics) is { } plan ? plan with { SavedPerRow = plan.Output.Size } : (ReshapePlan?)null;

        public override string Describe(LayerSpec layer) => $"MaxPool2d({DescribeWindow((PoolSpec)layer)})";
    }
}
