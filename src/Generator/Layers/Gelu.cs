using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Layers
{
    /// <summary><c>[Gelu]</c> (exact, erf) or <c>[Gelu(Approximate = true)]</c> (tanh): <c>nn.GELU</c>; treated as ReLU-like (gain √2).</summary>
    internal sealed class Gelu : ActivationDescriptor
    {
        public override LayerKind Kind => LayerKind.Gelu;
        protected override ActivationKind Activation => ActivationKind.GeluExact;
        public override bool IsReluLike => true;

        public override LayerSpec Read(LayerSpec spec, AttributeData attribute) =>
            spec with { Approximate = AttributeArguments.Bool(AttributeArguments.Named(attribute, "Approximate"), false) };

        public override ActivationOp Plan(LayerSpec layer) =>
            new ActivationOp(layer.Approximate ? ActivationKind.GeluTanh : ActivationKind.GeluExact, 0);

        public override bool Spells(ActivationKind kind) => kind == ActivationKind.GeluExact || kind == ActivationKind.GeluTanh;

        public override string Describe(LayerSpec layer) => layer.Approximate ? "Gelu(tanh)" : "Gelu";
    }
}
