using DslNet.Generator.Parsing;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// <c>[MaxPool2d(kernelSize, Stride, Padding)]</c>: <c>nn.MaxPool2d</c> (ceil_mode = False). The forward pass keeps each
    /// window's argmax in the workspace; the backward pass routes the gradient there (CpuKernels.Spatial.Pool2d.Max*).
    /// </summary>
    internal sealed class MaxPool2d : PoolDescriptor
    {
        public override LayerKind Kind => LayerKind.MaxPool2d;

        public override string Describe(LayerSpec layer) => $"MaxPool2d({Window((PoolSpec)layer)})";
    }
}
