using System.Collections.Generic;
using System.Linq;
using System.Threading;
using DslNet.Generator.Common;
using DslNet.Generator.Layers;
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

        public static NetworkSpec? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            if (!(context.TargetSymbol is INamedTypeSymbol type) || !(context.TargetNode is TypeDeclarationSyntax declaration))
                return null;

            var network = context.Attributes.FirstOrDefault();
            if (network != null && !IsFirstNetworkAttribute(type, network))
                return null;
            var inputs = 0;
            var loss = LossKind.MeanSquaredError;
            var residualInit = ResidualInitKind.Default;
            var labelSmoothing = 0.0;
            int channels = 0, height = 0, width = 0;
            if (network != null)
            {
                channels = AttributeArguments.Int(AttributeArguments.Named(network, "Channels"), 0);
                height = AttributeArguments.Int(AttributeArguments.Named(network, "Height"), 0);
                width = AttributeArguments.Int(AttributeArguments.Named(network, "Width"), 0);
                inputs = AttributeArguments.Int(AttributeArguments.Named(network, "Inputs"), 0);
                loss = (LossKind)AttributeArguments.Int(AttributeArguments.Named(network, "Loss"), (int)LossKind.MeanSquaredError);
                residualInit = (ResidualInitKind)AttributeArguments.Int(AttributeArguments.Named(network, "ResidualInit"), 0);
                labelSmoothing = AttributeArguments.Double(AttributeArguments.Named(network, "LabelSmoothing"), 0.0);
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
                Blocks: blocks.ToEquatableArray()) 
            {
                ResidualInit = residualInit,
                LabelSmoothing = labelSmoothing,
                Channels = channels,
                Height = height,
                Width = width,
            };
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
                var descriptor = name == null ? null : LayerRegistry.ForAttribute(name);
                if (descriptor != null)
                {
                    var location = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken));
                    layers.Add(descriptor.Read(location, attribute));
                }
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
