using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
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

        public override LayerSpec Read(LayerSpec spec, AttributeData attribute) => spec with
        {
            Units = AttributeArguments.Int(AttributeArguments.Positional(attribute, 0), 0),
            KernelSize = AttributeArguments.Int(AttributeArguments.Positional(attribute, 1), 0),
            Stride = AttributeArguments.Int(AttributeArguments.Named(attribute, "Stride"), 1),
            Padding = AttributeArguments.Int(AttributeArguments.Named(attribute, "Padding"), 0),
            Dilation = AttributeArguments.Int(AttributeArguments.Named(attribute, "Dilation"), 1),
            Groups = AttributeArguments.Int(AttributeArguments.Named(attribute, "Groups"), 1),
            Bias = AttributeArguments.Bool(AttributeArguments.Named(attribute, "Bias"), true),
            Init = (InitKind)AttributeArguments.Int(AttributeArguments.Named(attribute, "Init"), 0),
            Fan = (FanKind)AttributeArguments.Int(AttributeArguments.Named(attribute, "Fan"), 0),
        };

        public override void Check(BlockSpec block, LayerSpec layer, int units, List<DiagnosticInfo> diagnostics)
        {
            if (layer.Units <= 0)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NonPositiveWidth, layer.Location, $"Conv2d out channels of '{block.Name}'", layer.Units));
            CheckSetting(block, layer, "kernel size", layer.KernelSize, 1, diagnostics);
            CheckSetting(block, layer, "Stride", layer.Stride, 1, diagnostics);
            CheckSetting(block, layer, "Padding", layer.Padding, 0, diagnostics);
            CheckSetting(block, layer, "Dilation", layer.Dilation, 1, diagnostics);
            CheckSetting(block, layer, "Groups", layer.Groups, 1, diagnostics);
        }

        public string Describe(LayerSpec layer, int inChannels)
        {
            var text = $"Conv2d({inChannels} → {layer.Units}, {layer.KernelSize}×{layer.KernelSize}";
            if (layer.Stride != 1) text += $", stride {layer.Stride}";
            if (layer.Padding != 0) text += $", padding {layer.Padding}";
            if (layer.Dilation != 1) text += $", dilation {layer.Dilation}";
            if (layer.Groups != 1) text += $", groups {layer.Groups}";
            return text + (layer.Bias ? ")" : ", no bias)");
        }
    }
}
