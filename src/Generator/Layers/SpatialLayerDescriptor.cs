using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;
using DslNet.Generator.Planning.Spatial;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// A layer that only image models have (Conv2d, pooling, Flatten, the 2-D norms, Dropout2d): it needs an image value
    /// (<see cref="CheckInput"/>, called by the spatial planner with the value it is applied to); <see cref="LayerDescriptor.Check"/>
    /// needs only the attribute (positive kernel, non-negative padding).
    /// </summary>
    internal abstract class SpatialLayerDescriptor : LayerDescriptor
    {
        public override bool ImageOnly => true;

        /// <summary>What DSL0034 tells a user who applied it to features.</summary>
        protected virtual string InsteadOnFeatures => "the value is already a feature vector, so remove it";

        public override bool CheckInput(BlockSpec block, LayerSpec layer, ValueShape input, List<DiagnosticInfo> diagnostics) =>
            RequireImage(block, layer, input, InsteadOnFeatures, diagnostics);

        /// <summary>Reports a kernel, stride or dilation below its minimum, or a negative padding (DSL0030).</summary>
        protected static void CheckSetting(BlockSpec block, LayerSpec layer, string setting, int value, int minimum, List<DiagnosticInfo> diagnostics)
        {
            if (value >= minimum) return;
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidSpatialSetting, layer.Location, layer.Kind, block.Name, setting, value,
                minimum == 0 ? "it must not be negative" : $"it must be at least {minimum}"));
        }
    }

    /// <summary>A layer that turns an image into another shape as a step of its own (pooling, Flatten).</summary>
    internal abstract class ReshapeDescriptor : SpatialLayerDescriptor
    {
        public override LayerRole Role => LayerRole.Reshape;

        /// <summary>The step and its output for <paramref name="input"/> (an image, checked before), or null after a diagnostic.</summary>
        public abstract ReshapePlan? Plan(BlockSpec block, LayerSpec layer, ValueShape input, List<DiagnosticInfo> diagnostics);
    }

    /// <summary>
    /// A planned reshape: the step's kind, its output, a pooling window (null for Flatten and global pooling), and the
    /// floats per row it keeps for its backward pass (MaxPool2d's argmax; 0 for none).
    /// </summary>
    internal readonly record struct ReshapePlan(SpatialStepKind Kind, ValueShape Output, PoolPlan? Pool = null, int SavedPerRow = 0);

    /// <summary>A pooling window: kernel, stride (0: the kernel, as PyTorch), padding at most half the kernel (PyTorch's rule).</summary>
    internal abstract class PoolDescriptor : ReshapeDescriptor
    {
        /// <summary>MaxPool or AvgPool.</summary>
        protected abstract SpatialStepKind StepKind { get; }

        public override LayerSpec Read(LocationInfo? location, AttributeData attribute) => ReadWindow(new PoolSpec(Kind, location), attribute);

        /// <summary>Reads the window into <paramref name="spec"/> (its runtime type, a kind's own record, is kept).</summary>
        protected static T ReadWindow<T>(T spec, AttributeData attribute) where T : PoolSpec => (T)((PoolSpec)spec with
        {
            KernelSize = AttributeArguments.Int(AttributeArguments.Positional(attribute, 0), 0),
            Stride = AttributeArguments.Int(AttributeArguments.Named(attribute, "Stride"), 0),
            Padding = AttributeArguments.Int(AttributeArguments.Named(attribute, "Padding"), 0),
        });

        public override void Check(BlockSpec block, LayerSpec layer, int units, List<DiagnosticInfo> diagnostics)
        {
            var pool = (PoolSpec)layer;
            CheckSetting(block, pool, "kernel size", pool.KernelSize, 1, diagnostics);
            CheckSetting(block, pool, "Stride", pool.Stride, 0, diagnostics);
            CheckSetting(block, pool, "Padding", pool.Padding, 0, diagnostics);
            if (pool.KernelSize > 0 && 2 * pool.Padding > pool.KernelSize)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidSpatialSetting, pool.Location, pool.Kind, block.Name, "Padding", pool.Padding,
                    $"PyTorch allows at most half the kernel ({pool.KernelSize / 2}), so that no window lies wholly in the padding"));
        }

        /// <summary>The planned window; AvgPool2d adds whether padding counts.</summary>
        protected virtual PoolPlan Window(PoolSpec pool) => new PoolPlan(pool.KernelSize, pool.EffectiveStride, pool.Padding, CountIncludePad: true);

        public override ReshapePlan? Plan(BlockSpec block, LayerSpec layer, ValueShape input, List<DiagnosticInfo> diagnostics)
        {
            var pool = Window((PoolSpec)layer);
            var output = SpatialShapes.Window(layer, block.Name, input, input.Channels, pool.KernelSize, pool.Stride, pool.Padding, 1, diagnostics);
            return output == null ? (ReshapePlan?)null : new ReshapePlan(StepKind, output.Value, pool);
        }

        protected static string DescribeWindow(PoolSpec pool)
        {
            var text = $"{pool.KernelSize}×{pool.KernelSize}";
            if (pool.EffectiveStride != pool.KernelSize) text += $", stride {pool.EffectiveStride}";
            if (pool.Padding != 0) text += $", padding {pool.Padding}";
            return text;
        }
    }

    /// <summary>A pooling attribute's arguments: a square kernel, its stride (0: the kernel) and padding.</summary>
    internal record PoolSpec(LayerKind Kind, LocationInfo? Location) : LayerSpec(Kind, Location)
    {
        public int KernelSize { get; init; }
        public int Stride { get; init; }
        public int Padding { get; init; }

        /// <summary>The stride the attribute means: its default is the kernel size.</summary>
        public int EffectiveStride => Stride == 0 ? KernelSize : Stride;
    }
}
