using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;

namespace DslNet.Generator.Layers
{
    /// <summary><c>[Sigmoid]</c>: <c>nn.Sigmoid</c>; Init.Auto picks Xavier in front of it, the monitor watches saturation.</summary>
    internal sealed class Sigmoid : ActivationDescriptor
    {
        public override LayerKind Kind => LayerKind.Sigmoid;
        protected override ActivationKind Activation => ActivationKind.Sigmoid;
        public override string Saturation => "Sigmoid";
    }
}
