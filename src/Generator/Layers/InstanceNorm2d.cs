using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning.Spatial;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// <c>[InstanceNorm2d(Affine, Eps)]</c>: <c>nn.InstanceNorm2d</c> without running statistics (PyTorch's default): each
    /// image's channels normalized over (H, W), the same in training and inference; Affine adds per-channel γ and β
    /// (CpuKernels.Spatial.InstanceNorm2d, GroupNorm2d with one group per channel).
    /// </summary>
    internal sealed class InstanceNorm2d : SpatialLayerDescriptor, IImageNorm
    {
        public override LayerKind Kind => LayerKind.InstanceNorm2d;
        public override LayerRole Role => LayerRole.Normalization;
        protected override string InsteadOnFeatures => "use [LayerNorm] on features";

        /// <summary>GroupNorm with one group per channel; γ and β only with Affine.</summary>
        public ImageNormPlan PlanImage(NormSpec norm, int channels) =>
            new ImageNormPlan(SpatialNormKind.InstanceNorm, Groups: channels, Affine: ((InstanceNormSpec)norm).Affine);

        public override LayerSpec Read(LocationInfo? location, AttributeData attribute) => NormDescriptor.ReadEps(new InstanceNormSpec(location), attribute) with
        {
            Affine = AttributeArguments.Bool(AttributeArguments.Named(attribute, "Affine"), false),
        };

        public override void Check(BlockSpec block, LayerSpec layer, int units, List<DiagnosticInfo> diagnostics) =>
            NormDescriptor.CheckEps(block, (NormSpec)layer, diagnostics);

        public override string Describe(LayerSpec layer) => ((InstanceNormSpec)layer).Affine ? "InstanceNorm2d(affine)" : "InstanceNorm2d";
    }

    /// <summary>[InstanceNorm2d]'s arguments: Eps, and Affine (per-channel γ and β; PyTorch's default is without).</summary>
    internal sealed record InstanceNormSpec(LocationInfo? Location) : NormSpec(LayerKind.InstanceNorm2d, Location)
    {
        public bool Affine { get; init; }
    }
}
