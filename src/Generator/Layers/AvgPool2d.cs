using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning.Spatial;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// <c>[AvgPool2d(kernelSize, Stride, Padding, CountIncludePad)]</c>: <c>nn.AvgPool2d</c>; with CountIncludePad (PyTorch's
    /// default) every window divides by k², else by the taps inside the input (CpuKernels.Spatial.Pool2d.Avg*).
    /// </summary>
    internal sealed class AvgPool2d : PoolDescriptor
    {
        public override LayerKind Kind => LayerKind.AvgPool2d;
        protected override SpatialStepKind StepKind => SpatialStepKind.AvgPool;

        public override LayerSpec Read(LocationInfo? location, AttributeData attribute) => ReadWindow(new AvgPoolSpec(location), attribute) with
        {
            CountIncludePad = AttributeArguments.Bool(AttributeArguments.Named(attribute, "CountIncludePad"), true),
        };

        protected override PoolPlan Window(PoolSpec pool) => base.Window(pool) with { CountIncludePad = ((AvgPoolSpec)pool).CountIncludePad };

        public override string Describe(LayerSpec layer)
        {
            var pool = (AvgPoolSpec)layer;
            return $"AvgPool2d({DescribeWindow(pool)}{(pool.CountIncludePad || pool.Padding == 0 ? "" : ", padding not counted")})";
        }
    }

    /// <summary>[AvgPool2d]'s arguments: the window, and whether padded taps count in each window's divisor.</summary>
    internal sealed record AvgPoolSpec(LocationInfo? Location) : PoolSpec(LayerKind.AvgPool2d, Location)
    {
        public bool CountIncludePad { get; init; } = true;
    }
}
