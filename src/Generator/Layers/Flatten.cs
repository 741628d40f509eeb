using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;
using DslNet.Generator.Planning.Spatial;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// <c>[Flatten]</c>: <c>nn.Flatten()</c>, an image [C, H, W] to C·H·W features in PyTorch's channel-major order, so a
    /// following Dense's weight columns mean what they mean in PyTorch. The image is channels-last inside the model, so
    /// Flatten is the NHWC → NCHW transpose (CpuKernels.Spatial.ChannelsLast.ToNchw; its backward is FromNchw).
    /// </summary>
    internal sealed class Flatten : ReshapeDescriptor
    {
        public override LayerKind Kind => LayerKind.Flatten;

        public override ReshapePlan? Plan(BlockSpec block, LayerSpec layer, ValueShape input, List<DiagnosticInfo> diagnostics) =>
            new ReshapePlan(SpatialStepKind.Flatten, ValueShape.Features(input.Size));
    }
}
