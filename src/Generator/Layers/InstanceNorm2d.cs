using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// <c>[InstanceNorm2d(Affine, Eps)]</c>: <c>nn.InstanceNorm2d</c> without running statistics (PyTorch's default): each
    /// image's channels normalized over (H, W), the same in training and inference; Affine adds per-channel γ and β
    /// (CpuKernels.Spatial.InstanceNorm2d, GroupNorm2d with one group per channel).
    /// </summary>
    internal sealed class InstanceNorm2d : LayerDescriptor
    {
        public override LayerKind Kind => LayerKind.InstanceNorm2d;
        public override LayerRole Role => LayerRole.Normalization;

        public override LayerSpec Read(LayerSpec spec, AttributeData attribute) => spec with
        {
            Eps = AttributeArguments.Named(attribute, "Eps") is { } eps ? AttributeArguments.Double(eps, double.NaN) : 1e-5,
            Affine = AttributeArguments.Bool(AttributeArguments.Named(attribute, "Affine"), false),
        };

        public override void Check(BlockSpec block, LayerSpec layer, int units, List<DiagnosticInfo> diagnostics) =>
            LayerRegistry.Of(LayerKind.LayerNorm).Check(block, layer, units, diagnostics);

        public override string Describe(LayerSpec layer) => layer.Affine ? "InstanceNorm2d(affine)" : "InstanceNorm2d";
    }
}
