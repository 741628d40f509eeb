using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning.Spatial;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// <c>[BatchNorm2d(Momentum, Eps)]</c>: <c>nn.BatchNorm2d</c>. On channels-last values it is BatchNorm over the N·H·W
    /// pixel rows of an [N·H·W, C] matrix (CpuKernels.Spatial.BatchNorm2d), fused with the group's activation; at
    /// inference its running statistics fold into the convolution's epilogue as a per-channel scale and shift.
    /// </summary>
    internal sealed class BatchNorm2d : SpatialLayerDescriptor, IImageNorm
    {
        public override LayerKind Kind => LayerKind.BatchNorm2d;
        public override LayerRole Role => LayerRole.Normalization;
        public override bool CancelsBias => true;
        protected override string InsteadOnFeatures => "use [BatchNorm] on features (nn.BatchNorm1d)";

        public ImageNormPlan PlanImage(NormSpec norm, int channels) => new ImageNormPlan(SpatialNormKind.BatchNorm, Groups: 0, Affine: true);

        public override LayerSpec Read(LocationInfo? location, AttributeData attribute) => BatchNorm.ReadMomentum(new BatchNormSpec(Kind, location), attribute);

        public override void Check(BlockSpec block, LayerSpec layer, int units, List<DiagnosticInfo> diagnostics) =>
            LayerRegistry.Of(LayerKind.BatchNorm).Check(block, layer, units, diagnostics);
    }
}
