using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// <c>[Dense(units, Bias, Init, Fan, InitStd)]</c>: <c>nn.Linear</c>, weight <c>[units, inputs]</c>. It opens a block;
    /// the block's fused forward and backward are GEMMs in CpuKernels.Dense / GpuKernels.GpuGemm whose epilogues carry
    /// the following normalization, activation and dropout (see the emitters).
    /// </summary>
    internal sealed class Dense : LayerDescriptor
    {
        public override LayerKind Kind => LayerKind.Dense;
        public override LayerRole Role => LayerRole.Dense;

        public override LayerSpec Read(LocationInfo? location, AttributeData attribute) => new DenseSpec(location)
        {
            Units = AttributeArguments.Int(AttributeArguments.Positional(attribute, 0), 0),
            Bias = AttributeArguments.Bool(AttributeArguments.Named(attribute, "Bias"), true),
            Init = InitSpec.Read(attribute, hasStd: true),
        };

        public override void Check(BlockSpec block, LayerSpec layer, int units, List<DiagnosticInfo> diagnostics)
        {
            var dense = (DenseSpec)layer;
            if (dense.Units <= 0)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NonPositiveWidth, dense.Location, $"Dense units of '{block.Name}'", dense.Units));
            if (dense.Init.Kind == InitKind.Normal && !(dense.Init.Std > 0))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NonPositiveWidth, dense.Location, $"InitStd of '{block.Name}'", Format(dense.Init.Std)));
        }

        public override bool CheckInput(BlockSpec block, LayerSpec layer, ValueShape input, List<DiagnosticInfo> diagnostics) =>
            RequireFeatures(block, layer, input, diagnostics);

        public override string Describe(LayerSpec layer, ValueShape blockInput)
        {
            var dense = (DenseSpec)layer;
            return $"Dense({blockInput.Size} → {dense.Units}{(dense.Bias ? "" : ", no bias")})";
        }
    }

    /// <summary>[Dense]'s arguments: units, Bias, Init, Fan, InitStd.</summary>
    internal sealed record DenseSpec(LocationInfo? Location) : LinearSpec(LayerKind.Dense, Location);
}
