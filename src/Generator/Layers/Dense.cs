using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
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

        public override LayerSpec Read(LayerSpec spec, AttributeData attribute) => spec with
        {
            Units = AttributeArguments.Int(AttributeArguments.Positional(attribute, 0), 0),
            Bias = AttributeArguments.Bool(AttributeArguments.Named(attribute, "Bias"), true),
            Init = (InitKind)AttributeArguments.Int(AttributeArguments.Named(attribute, "Init"), 0),
            Fan = (FanKind)AttributeArguments.Int(AttributeArguments.Named(attribute, "Fan"), 0),
            InitStd = AttributeArguments.Named(attribute, "InitStd") is { } std ? AttributeArguments.Double(std, double.NaN) : 0.01,
        };

        public override void Check(BlockSpec block, LayerSpec layer, int units, List<DiagnosticInfo> diagnostics)
        {
            if (layer.Units <= 0)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NonPositiveWidth, layer.Location, $"Dense units of '{block.Name}'", layer.Units));
            if (layer.Init == InitKind.Normal && !(layer.InitStd > 0))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NonPositiveWidth, layer.Location, $"InitStd of '{block.Name}'", Format(layer.InitStd)));
        }

        public string Describe(LayerSpec layer, int inputs) => $"Dense({inputs} → {layer.Units}{(layer.Bias ? "" : ", no bias")})";
    }
}
