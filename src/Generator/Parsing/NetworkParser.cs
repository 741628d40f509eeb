using System.Collections.Generic;
using System.Linq;
using System.Threading;
using DslNet.Generator.Common;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DslNet.Generator.Parsing
{
    /// <summary>Reads a [Network] class and its layer attributes into a <see cref="NetworkSpec"/>. Never throws on bad input.</summary>
    internal static class NetworkParser
    {
        public const string NetworkAttributeName = "DslNet.NetworkAttribute";
        private const string DenseBlockTypeName = "DslNet.DenseBlock";

        private static readonly Dictionary<string, LayerKind> LayerAttributes = new Dictionary<string, LayerKind>
        {
            ["DslNet.DenseAttribute"] = LayerKind.Dense,
            ["DslNet.ReluAttribute"] = LayerKind.Relu,
            ["DslNet.LeakyReluAttribute"] = LayerKind.LeakyRelu,
            ["DslNet.GeluAttribute"] = LayerKind.Gelu,
            ["DslNet.TanhAttribute"] = LayerKind.Tanh,
            ["DslNet.SigmoidAttribute"] = LayerKind.Sigmoid,
            ["DslNet.BatchNormAttribute"] = LayerKind.BatchNorm,
            ["DslNet.LayerNormAttribute"] = LayerKind.LayerNorm,
            ["DslNet.GroupNormAttribute"] = LayerKind.GroupNorm,
            ["DslNet.DropoutAttribute"] = LayerKind.Dropout,
        };

        public static NetworkSpec? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            if (!(context.TargetSymbol is INamedTypeSymbol type) || !(context.TargetNode is TypeDeclarationSyntax declaration))
                return null;

            var network = context.Attributes.FirstOrDefault();
            if (network != null && !IsFirstNetworkAttribute(type, network))
                return null;
            var inputs = 0;
            var loss = LossKind.MeanSquaredError;
            if (network != null)
            {
                foreach (var named in network.NamedArguments)
                {
                    if (named.Key == "Inputs") inputs = AsInt(named.Value, 0);
                    else if (named.Key == "Loss") loss = (LossKind)AsInt(named.Value, (int)LossKind.MeanSquaredError);
                }
            }

            var blocks = new List<BlockSpec>();
            foreach (var property in type.GetMembers().OfType<IPropertySymbol>())
            {
                cancellationToken.ThrowIfCancellationRequested();
                var block = ParseBlock(property, cancellationToken);
                if (block != null) blocks.Add(block);
            }

            return new NetworkSpec(
                Namespace: type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
                ClassName: type.Name,
                Accessibility: AccessibilityText(type.DeclaredAccessibility),
                IsSealed: type.IsSealed,
                IsPartial: type.DeclaringSyntaxReferences.All(r =>
                    r.GetSyntax(cancellationToken) is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword)),
                UnsupportedShape: UnsupportedShape(type),
                Inputs: inputs,
                Loss: loss,
                Location: LocationInfo.From(declaration.Identifier.GetLocation()),
                Blocks: blocks.ToEquatableArray());
        }

        // [Network] repeated on several declarations of one partial class (already CS0579): each declaration is a
        // separate target, so parse only the first, or both would emit the same hint names and the generator would throw.
        private static bool IsFirstNetworkAttribute(INamedTypeSymbol type, AttributeData network)
        {
            var first = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == NetworkAttributeName);
            var firstSyntax = first?.ApplicationSyntaxReference;
            var thisSyntax = network.ApplicationSyntaxReference;
            return firstSyntax == null || thisSyntax == null ||
                   (firstSyntax.SyntaxTree == thisSyntax.SyntaxTree && firstSyntax.Span == thisSyntax.Span);
        }

        private static string? UnsupportedShape(INamedTypeSymbol type)
        {
            if (type.TypeParameters.Length > 0) return "generic";
            if (type.ContainingType != null) return "nested in another type";
            if (type.IsStatic) return "static";
            if (type.IsAbstract) return "abstract";
            if (type.TypeKind != TypeKind.Class) return "a " + type.TypeKind.ToString().ToLowerInvariant();
            if (type.IsRecord) return "a record"; // the generated part is a 'partial class', which cannot complete a record (CS0261)
            return null;
        }

        private static BlockSpec? ParseBlock(IPropertySymbol property, CancellationToken cancellationToken)
        {
            var layers = new List<LayerSpec>();
            foreach (var attribute in property.GetAttributes())
            {
                var name = attribute.AttributeClass?.ToDisplayString();
                if (name != null && LayerAttributes.TryGetValue(name, out var kind))
                    layers.Add(ParseLayer(kind, attribute, cancellationToken));
            }

            var isDenseBlock = property.Type.ToDisplayString() == DenseBlockTypeName;
            if (layers.Count == 0 && !isDenseBlock) return null;

            var syntax = property.DeclaringSyntaxReferences
                .Select(r => r.GetSyntax(cancellationToken))
                .OfType<PropertyDeclarationSyntax>()
                .FirstOrDefault();
            return new BlockSpec(
                Name: property.Name,
                Accessibility: AccessibilityText(property.DeclaredAccessibility),
                FormProblem: FormProblem(property, syntax, isDenseBlock),
                Location: LocationInfo.From(syntax?.Identifier.GetLocation() ?? property.Locations.FirstOrDefault()),
                Layers: layers.ToEquatableArray());
        }

        private static string? FormProblem(IPropertySymbol property, PropertyDeclarationSyntax? syntax, bool isDenseBlock)
        {
            if (!isDenseBlock) return $"its type is '{property.Type.ToDisplayString()}', not DenseBlock";
            if (syntax == null || !syntax.Modifiers.Any(SyntaxKind.PartialKeyword)) return "it is not partial";
            if (property.IsStatic) return "it is static";
            if (property.SetMethod != null) return "it has a setter (the generator owns the block)";
            if (property.GetMethod == null) return "it has no getter";
            var accessor = syntax.AccessorList?.Accessors.FirstOrDefault();
            if (syntax.ExpressionBody != null || accessor?.Body != null || accessor?.ExpressionBody != null)
                return "it already has a body (the generator writes it)";
            return null;
        }

        private static LayerSpec ParseLayer(LayerKind kind, AttributeData attribute, CancellationToken cancellationToken)
        {
            var location = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken));
            var spec = new LayerSpec(kind, location);
            var positional = attribute.ConstructorArguments;
            switch (kind)
            {
                case LayerKind.Dense:
                    spec = spec with { Units = positional.Length > 0 ? AsInt(positional[0], 0) : 0 };
                    break;
                case LayerKind.LeakyRelu:
                    spec = spec with { Slope = positional.Length > 0 ? AsDouble(positional[0], 0.01) : 0.01 };
                    break;
                case LayerKind.GroupNorm:
                    spec = spec with { Groups = positional.Length > 0 ? AsInt(positional[0], 0) : 0 };
                    break;
                case LayerKind.Dropout:
                    spec = spec with { Rate = positional.Length > 0 ? AsDouble(positional[0], double.NaN) : double.NaN };
                    break;
            }

            foreach (var named in attribute.NamedArguments)
            {
                var value = named.Value;
                switch (named.Key)
                {
                    case "Bias": spec = spec with { Bias = value.Value is bool b ? b : spec.Bias }; break;
                    case "Init": spec = spec with { Init = (InitKind)AsInt(value, 0) }; break;
                    case "Fan": spec = spec with { Fan = (FanKind)AsInt(value, 0) }; break;
                    case "InitStd": spec = spec with { InitStd = AsDouble(value, double.NaN) }; break;
                    case "Approximate": spec = spec with { Approximate = value.Value is bool a && a }; break;
                    case "Momentum": spec = spec with { Momentum = AsDouble(value, double.NaN) }; break;
                    case "Eps": spec = spec with { Eps = AsDouble(value, double.NaN) }; break;
                }
            }

            return spec;
        }

        // A malformed argument (wrong type, unresolved constant) arrives as an error constant: fall back to a value the
        // planner rejects or to the default, never throw.
        private static int AsInt(TypedConstant constant, int fallback)
        {
            if (constant.Kind == TypedConstantKind.Error || constant.Value == null) return fallback;
            switch (constant.Value)
            {
                case int i: return i;
                case short s: return s;
                case byte b: return b;
                case long l: return l > int.MaxValue || l < int.MinValue ? fallback : (int)l;
                default: return fallback;
            }
        }

        private static double AsDouble(TypedConstant constant, double fallback)
        {
            if (constant.Kind == TypedConstantKind.Error || constant.Value == null) return fallback;
            switch (constant.Value)
            {
                case double d: return d;
                case float f: return f;
                case int i: return i;
                case long l: return l;
                default: return fallback;
            }
        }

        private static string AccessibilityText(Accessibility accessibility)
        {
            switch (accessibility)
            {
                case Accessibility.Public: return "public";
                case Accessibility.Internal: return "internal";
                case Accessibility.Private: return "private";
                case Accessibility.Protected: return "protected";
                case Accessibility.ProtectedOrInternal: return "protected internal";
                case Accessibility.ProtectedAndInternal: return "private protected";
                default: return "internal";
            }
        }
    }
}
