using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;

namespace DslNet.Generator.Layers
{
    /// <summary><c>[Tanh]</c>: <c>nn.Tanh</c>; Init.Auto picks Xavier in front of it, the monitor watches saturation.</summary>
    internal sealed class Tanh : ActivationDescriptor
    {
        public override LayerKind Kind => LayerKind.Tanh;
        protected override ActivationKind Activation => ActivationKind.Tanh;
        public override string Saturation => "Tanh";
    }
}
