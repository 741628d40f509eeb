using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// <c>[Dropout(p)]</c>: <c>nn.Dropout(p)</c>, inverted, training only. Its mask is drawn in the forward epilogue from
    /// the counter-based RNG (CpuKernels.Dropout / GpuKernels.GpuDropout) and replayed in the backward pass.
    /// </summary>
    internal sealed class Dropout : LayerDescriptor
    {
        public override LayerKind Kind => LayerKind.Dropout;
        public override LayerRole Role => LayerRole.Dropout;

        public override LayerSpec Read(LayerSpec spec, AttributeData attribute) =>
            spec with { Rate = AttributeArguments.Double(AttributeArguments.Positional(attribute, 0), double.NaN) };

        public override void Check(BlockSpec block, LayerSpec layer, int units, List<DiagnosticInfo> diagnostics)
        {
            if (!(layer.Rate >= 0 && layer.Rate < 1))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DropoutRateOutOfRange, layer.Location, Format(layer.Rate), block.Name));
        }

        public override string Describe(LayerSpec layer) => $"Dropout({Format(layer.Rate)})";
    }
}
