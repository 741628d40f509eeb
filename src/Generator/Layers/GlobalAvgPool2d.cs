using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;
using DslNet.Generator.Planning.Spatial;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// <c>[GlobalAvgPool2d]</c>: <c>nn.AdaptiveAvgPool2d(1)</c> then <c>nn.Flatten()</c>, an image [C, H, W] to C features
    /// (CpuKernels.Spatial.Pool2d.GlobalAvg*). Channels-last makes it a mean over each image's pixel rows.
    /// </summary>
    internal sealed class GlobalAvgPool2d : ReshapeDescriptor
    {
        public override LayerKind Kind => LayerKind.GlobalAvgPool2d;

        public override ReshapePlan? Plan(BlockSpec block, LayerSpec layer, ValueShape input, List<DiagnosticInfo> diagnostics) =>
            new ReshapePlan(SpatialStepKind.GlobalAvgPool, ValueShape.Features(input.Channels));
    }
}
