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

        public override LayerSpec Read(LocationInfo? location, AttributeData attribute) => ReadRate(Kind, location, attribute);

        /// <summary>Reads the rate, Dropout2d's too.</summary>
        public static DropoutSpec ReadRate(LayerKind kind, LocationInfo? location, AttributeData attribute) =>
            new DropoutSpec(kind, location, AttributeArguments.Double(AttributeArguments.Positional(attribute, 0), double.NaN));

        /// <summary>DSL0006 on a rate outside [0, 1), Dropout2d's too.</summary>
        public override void Check(BlockSpec block, LayerSpec layer, int units, List<DiagnosticInfo> diagnostics)
        {
            var dropout = (DropoutSpec)layer;
            if (!(dropout.Rate >= 0 && dropout.Rate < 1))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DropoutRateOutOfRange, dropout.Location, Format(dropout.Rate), block.Name));
        }

        public override string Describe(LayerSpec layer) => $"Dropout({Format(((DropoutSpec)layer).Rate)})";
    }

    /// <summary>[Dropout]'s and [Dropout2d]'s argument: the rate p. A rate of 0 plans no dropout at all.</summary>
    internal sealed record DropoutSpec(LayerKind Kind, LocationInfo? Location, double Rate) : LayerSpec(Kind, Location)
    {
        /// <summary>Whether it drops anything (a rate of 0 is planned as no dropout).</summary>
        public bool Drops => Rate > 0;
    }
}
