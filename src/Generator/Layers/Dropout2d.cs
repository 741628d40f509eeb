using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// <c>[Dropout2d(p)]</c>: <c>nn.Dropout2d(p)</c>, whole channels of an image dropped in training, kept ones scaled by
    /// 1/(1 − p). The mask is Dropout's counter-based draw at element n·C + c (CpuKernels.Spatial.Dropout2d), redrawn in the
    /// backward pass rather than stored.
    /// </summary>
    internal sealed class Dropout2d : SpatialLayerDescriptor
    {
        public override LayerKind Kind => LayerKind.Dropout2d;
        public override LayerRole Role => LayerRole.Dropout;
        protected override string InsteadOnFeatures => "use [Dropout(rate)] on features";

        public override LayerSpec Read(LocationInfo? location, AttributeData attribute) => Dropout.ReadRate(Kind, location, attribute);

        public override void Check(BlockSpec block, LayerSpec layer, int units, List<DiagnosticInfo> diagnostics) =>
            LayerRegistry.Of(LayerKind.Dropout).Check(block, layer, units, diagnostics);

        public override string Describe(LayerSpec layer) => $"Dropout2d({Format(((DropoutSpec)layer).Rate)})";
    }
}
