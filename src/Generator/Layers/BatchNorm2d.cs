using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// <c>[BatchNorm2d(Momentum, Eps)]</c>: <c>nn.BatchNorm2d</c>. On channels-last values it is BatchNorm over the N·H·W
    /// pixel rows of an [N·H·W, C] matrix (CpuKernels.Spatial.BatchNorm2d), fused with the group's activation; at
    /// inference its running statistics fold into the convolution's epilogue as a per-channel scale and shift.
    /// </summary>
    internal sealed class BatchNorm2d : LayerDescriptor
    {
        public override LayerKind Kind => LayerKind.BatchNorm2d;
        public override LayerRole Role => LayerRole.Normalization;

        public override LayerSpec Read(LocationInfo? location, AttributeData attribute) => BatchNorm.ReadMomentum(new BatchNormSpec(Kind, location), attribute);

        public override void Check(BlockSpec block, LayerSpec layer, int units, List<DiagnosticInfo> diagnostics) =>
            LayerRegistry.Of(LayerKind.BatchNorm).Check(block, layer, units, diagnostics);
    }
}
