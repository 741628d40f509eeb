using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// What the layers with a weight (Dense, Conv2d) share: their output width (units, or output channels), whether they
    /// have a bias, and how their weight is initialized.
    /// </summary>
    internal abstract record LinearSpec(LayerKind Kind, LocationInfo? Location) : LayerSpec(Kind, Location)
    {
        /// <summary>Output features (Dense) or output channels (Conv2d).</summary>
        public int Units { get; init; }

        public bool Bias { get; init; } = true;

        public InitSpec Init { get; init; } = InitSpec.Auto;
    }

    /// <summary>A weight's initialization arguments: <c>Init</c>, <c>Fan</c> and <c>InitStd</c> (Init.Normal's standard deviation).</summary>
    internal sealed record InitSpec(InitKind Kind, FanKind Fan, double Std)
    {
        /// <summary>The attributes' defaults: Init.Auto, fan-in, std 0.01.</summary>
        public static readonly InitSpec Auto = new InitSpec(InitKind.Auto, FanKind.In, 0.01);

        public bool IsXavier => Kind == InitKind.XavierUniform || Kind == InitKind.XavierNormal;

        /// <summary>Reads <c>Init</c> and <c>Fan</c>, and <c>InitStd</c> where the attribute has one; a malformed argument falls back.</summary>
        public static InitSpec Read(AttributeData attribute, bool hasStd) => new InitSpec(
            (InitKind)AttributeArguments.Int(AttributeArguments.Named(attribute, "Init"), (int)Auto.Kind),
            (FanKind)AttributeArguments.Int(AttributeArguments.Named(attribute, "Fan"), (int)Auto.Fan),
            hasStd && AttributeArguments.Named(attribute, "InitStd") is { } std ? AttributeArguments.Double(std, double.NaN) : Auto.Std);
    }
}
