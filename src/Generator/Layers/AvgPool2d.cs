using DslNet.Generator.Parsing;
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

        public override LayerSpec Read(LayerSpec spec, AttributeData attribute) => base.Read(spec, attribute) with
        {
            CountIncludePad = AttributeArguments.Bool(AttributeArguments.Named(attribute, "CountIncludePad"), true),
        };

        public override string Describe(LayerSpec layer) =>
            $"AvgPool2d({Window(layer)}{(layer.CountIncludePad || layer.Padding == 0 ? "" : ", padding not counted")})";
    }
}
