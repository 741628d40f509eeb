using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// <c>[Conv2d(outChannels, kernelSize, Stride, Padding, Dilation, Groups, Bias, Init, Fan)]</c>: <c>nn.Conv2d</c> on an
    /// image value, weight <c>[C_out, C_in/groups, k, k]</c>. It plays Dense's part in an image block: the following
    /// normalization, activation and dropout fuse into its group. Kernels: CpuKernels.Spatial.Conv2d (im2col chunks into
    /// the packed GEMM, channels-last; groups &gt; 1 a direct convolution), epilogue with bias and activation.
    /// </summary>
    internal sealed class Conv2d : SpatialLayerDescriptor
    {
        public override LayerKind Kind => LayerKind.Conv2d;
        public override LayerRole Role => LayerRole.Dense;

        public override LayerSpec Read(LocationInfo? location, AttributeData attribute) => new Conv2dSpec(location)
        {
            Units = AttributeArguments.Int(AttributeArguments.Positional(attribute, 0), 0),
            KernelSize = AttributeArguments.Int(AttributeArguments.Positional(attribute, 1), 0),
            Stride = AttributeArguments.Int(AttributeArguments.Named(attribute, "Stride"), 1),
            Padding = AttributeArguments.Int(AttributeArguments.Named(attribute, "Padding"), 0),
            Dilation = AttributeArguments.Int(AttributeArguments.Named(attribute, "Dilation"), 1),
            Groups = AttributeArguments.Int(AttributeArguments.Named(attribute, "Groups"), 1),
            Bias = AttributeArguments.Bool(AttributeArguments.Named(attribute, "Bias"), true),
            Init = InitSpec.Read(attribute, hasStd: false),
        };

        public override void Check(BlockSpec block, LayerSpec layer, int units, List<DiagnosticInfo> diagnostics)
        {
            var conv = (Conv2dSpec)layer;
            if (conv.Units <= 0)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NonPositiveWidth, conv.Location, $"Conv2d out channels of '{block.Name}'", conv.Units));
            CheckSetting(block, conv, "kernel size", conv.KernelSize, 1, diagnostics);
            CheckSetting(block, conv, "Stride", conv.Stride, 1, diagnostics);
            CheckSetting(block, conv, "Padding", conv.Padding, 0, diagnostics);
            CheckSetting(block, conv, "Dilation", conv.Dilation, 1, diagnostics);
            CheckSetting(block, conv, "Groups", conv.Groups, 1, diagnostics);
        }

        protected override string InsteadOnFeatures =>
            "use [Dense(units)] on features, or give the network an image input with [Network(Channels, Height, Width)]";

        public override string Describe(LayerSpec layer, ValueShape blockInput)
        {
            var conv = (Conv2dSpec)layer;
            var text = $"Conv2d({blockInput.Channels} → {conv.Units}, {conv.KernelSize}×{conv.KernelSize}";
            if (conv.Stride != 1) text += $", stride {conv.Stride}";
            if (conv.Padding != 0) text += $", padding {conv.Padding}";
            if (conv.Dilation != 1) text += $", dilation {conv.Dilation}";
            if (conv.Groups != 1) text += $", groups {conv.Groups}";
            return text + (conv.Bias ? ")" : ", no bias)");
        }
    }

    /// <summary>[Conv2d]'s arguments: a square kernel, its stride, padding and dilation, and the channel groups.</summary>
    internal sealed record Conv2dSpec(LocationInfo? Location) : LinearSpec(LayerKind.Conv2d, Location)
    {
        public int KernelSize { get; init; }
        public int Stride { get; init; } = 1;
        public int Padding { get; init; }
        public int Dilation { get; init; } = 1;
        public int Groups { get; init; } = 1;
    }
}
