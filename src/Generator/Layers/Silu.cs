using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// <c>[Silu]</c>: <c>nn.SiLU</c> (swish), <c>u·σ(u)</c>, kernel <c>CpuKernels.Silu</c>. Non-monotonic but ReLU-like
    /// for initialization: Init.Auto picks He with gain √2, as for GELU.
    /// </summary>
    internal sealed class Silu : ActivationDescriptor
    {
        public override LayerKind Kind => LayerKind.Silu;
        protected override ActivationKind Activation => ActivationKind.Silu;
        public override bool IsReluLike => true;
    }
}
