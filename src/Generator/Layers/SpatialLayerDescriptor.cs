using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// A layer that only image models have (Conv2d, pooling, Flatten, the 2-D norms, Dropout2d). Its shape rules live in
    /// the spatial planner (Planning/SpatialPlanner.cs), which knows the value it is applied to; the checks here need only
    /// the attribute (positive kernel, non-negative padding).
    /// </summary>
    internal abstract class SpatialLayerDescriptor : LayerDescriptor
    {
        /// <summary>Reports a kernel, stride or dilation below its minimum, or a negative padding (DSL0030).</summary>
        protected static void CheckSetting(BlockSpec block, LayerSpec layer, string setting, int value, int minimum, List<DiagnosticInfo> diagnostics)
        {
            if (value >= minimum) return;
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidSpatialSetting, layer.Location, layer.Kind, block.Name, setting, value,
                minimum == 0 ? "it must not be negative" : $"it must be at least {minimum}"));
        }
    }

    /// <summary>A pooling window: kernel, stride (0: the kernel, as PyTorch), padding at most half the kernel (PyTorch's rule).</summary>
    internal abstract class PoolDescriptor : SpatialLayerDescriptor
    {
        public override LayerRole Role => LayerRole.Reshape;

        public override LayerSpec Read(LayerSpec spec, AttributeData attribute) => spec with
        {
            KernelSize = AttributeArguments.Int(AttributeArguments.Positional(attribute, 0), 0),
            Stride = AttributeArguments.Int(AttributeArguments.Named(attribute, "Stride"), 0),
            Padding = AttributeArguments.Int(AttributeArguments.Named(attribute, "Padding"), 0),
        };

        public override void Check(BlockSpec block, LayerSpec layer, int units, List<DiagnosticInfo> diagnostics)
        {
            CheckSetting(block, layer, "kernel size", layer.KernelSize, 1, diagnostics);
            CheckSetting(block, layer, "Stride", layer.Stride, 0, diagnostics);
            CheckSetting(block, layer, "Padding", layer.Padding, 0, diagnostics);
            if (layer.KernelSize > 0 && 2 * layer.Padding > layer.KernelSize)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidSpatialSetting, layer.Location, layer.Kind, block.Name, "Padding", layer.Padding,
                    $"PyTorch allows at most half the kernel ({layer.KernelSize / 2}), so that no window lies wholly in the padding"));
        }

        /// <summary>The stride the attribute means: its default is the kernel size.</summary>
        public static int EffectiveStride(LayerSpec layer) => layer.Stride == 0 ? layer.KernelSize : layer.Stride;

        protected static string Window(LayerSpec layer)
        {
            var text = $"{layer.KernelSize}×{layer.KernelSize}";
            if (EffectiveStride(layer) != layer.KernelSize) text += $", stride {EffectiveStride(layer)}";
            if (layer.Padding != 0) text += $", padding {layer.Padding}";
            return text;
        }
    }
}
