using DslNet.Generator.Parsing;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// <c>[GlobalAvgPool2d]</c>: <c>nn.AdaptiveAvgPool2d(1)</c> then <c>nn.Flatten()</c>, an image [C, H, W] to C features
    /// (CpuKernels.Spatial.Pool2d.GlobalAvg*). Channels-last makes it a mean over each image's pixel rows.
    /// </summary>
    internal sealed class GlobalAvgPool2d : SpatialLayerDescriptor
    {
        public override LayerKind Kind => LayerKind.GlobalAvgPool2d;
        public override LayerRole Role => LayerRole.Reshape;
    }
}
