using DslNet.Generator.Common;
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

        public override LayerSpec Read(LocationInfo? location, AttributeData attribute) =>
            new GeluSpec(location, AttributeArguments.Bool(AttributeArguments.Named(attribute, "Approximate"), false));

        public override ActivationOp Plan(LayerSpec layer) =>
            new ActivationOp(((GeluSpec)layer).Approximate ? ActivationKind.GeluTanh : ActivationKind.GeluExact, 0);

        public override bool Spells(ActivationKind kind) => kind == ActivationKind.GeluExact || kind == ActivationKind.GeluTanh;

        public override string Describe(LayerSpec layer) => ((GeluSpec)layer).Approximate ? "Gelu(tanh)" : "Gelu";
    }

    /// <summary>[Gelu]'s argument: Approximate (the tanh form) or not (the exact, erf form).</summary>
    internal sealed record GeluSpec(LocationInfo? Location, bool Approximate) : LayerSpec(LayerKind.Gelu, Location);
}
