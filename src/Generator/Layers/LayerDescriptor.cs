using System.Collections.Generic;
using System.Globalization;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Layers
{
    /// <summary>Where a layer sits in a block: Dense first, then normalization, activation, dropout, and a residual add last.</summary>
    internal enum LayerRole
    {
        Dense = 0,
        Normalization = 1,
        Activation = 2,
        Dropout = 3,
        Residual = 4,

        /// <summary>A layer that reshapes an image value on its own (pooling, Flatten): a step of its own in an image model.</summary>
        Reshape = 5,
    }

    /// <summary>
    /// Everything the generator knows about one layer kind: its attribute, its arguments (a record deriving from
    /// <see cref="LayerSpec"/>, declared in the kind's file) and how they are read, its checks (diagnostics) and its
    /// description; subclasses add planning and the CPU/GPU spelling of its kernels. One file per kind, registered in
    /// <see cref="LayerRegistry"/>. A descriptor is only handed layers of its own kind, so it may cast to its record.
    /// </summary>
    internal abstract class LayerDescriptor
    {
        public abstract LayerKind Kind { get; }

        public abstract LayerRole Role { get; }

        /// <summary>The attribute's metadata name, e.g. <c>DslNet.DenseAttribute</c>.</summary>
        public string AttributeName => "DslNet." + Kind + "Attribute";

        /// <summary>
        /// Reads the attribute written at <paramref name="location"/> into this kind's spec (its own record, declared in its
        /// file, when it has arguments); a malformed argument falls back, never throws.
        /// </summary>
        public virtual LayerSpec Read(LocationInfo? location, AttributeData attribute) => new LayerSpec(Kind, location);

        /// <summary>Reports what is wrong with this layer in <paramref name="block"/> whose width is <paramref name="units"/>.</summary>
        public virtual void Check(BlockSpec block, LayerSpec layer, int units, List<DiagnosticInfo> diagnostics)
        {
        }

        /// <summary>
        /// What the layer requires of the value it is applied to in an image model (an image, features, channels its groups
        /// divide); reports DSL0033/DSL0034/DSL0005 and returns false when the value does not fit. The MLP planner's values are
        /// always features, so it checks widths in <see cref="Check"/> instead.
        /// </summary>
        public virtual bool CheckInput(BlockSpec block, LayerSpec layer, ValueShape input, List<DiagnosticInfo> diagnostics) => true;

        /// <summary>Only image models have it: a model that uses it anywhere is planned by the spatial planner.</summary>
        public virtual bool ImageOnly => false;

        /// <summary>Subtracts the batch mean per feature (BatchNorm), so a bias in front of it is redundant (DSL0008).</summary>
        public virtual bool CancelsBias => false;

        /// <summary>The layer as Summary() and the generated comments show it.</summary>
        public virtual string Describe(LayerSpec layer) => Kind.ToString();

        /// <summary>The layer as Summary() shows it in a block whose input is <paramref name="blockInput"/> (Dense and Conv2d name their input width).</summary>
        public virtual string Describe(LayerSpec layer, ValueShape blockInput) => Describe(layer);

        /// <summary>The same in an image model, where a residual projection is torchvision's shortcut rather than a Dense.</summary>
        public virtual string DescribeInImageModel(LayerSpec layer, ValueShape blockInput) => Describe(layer, blockInput);

        /// <summary>DSL0033: a layer that takes features receives an image.</summary>
        protected static bool RequireFeatures(BlockSpec block, LayerSpec layer, ValueShape input, List<DiagnosticInfo> diagnostics)
        {
            if (!input.IsSpatial) return true;
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ImageIntoFeatureLayer, layer.Location, layer.Kind, block.Name, input));
            return false;
        }

        /// <summary>DSL0034: an image layer receives features; <paramref name="instead"/> says what to write.</summary>
        protected static bool RequireImage(BlockSpec block, LayerSpec layer, ValueShape input, string instead, List<DiagnosticInfo> diagnostics)
        {
            if (input.IsSpatial) return true;
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ImageLayerOnFeatures, layer.Location, layer.Kind, block.Name, input, instead));
            return false;
        }

        internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>Reads attribute arguments: an error constant or a value of the wrong type gives the fallback.</summary>
    internal static class AttributeArguments
    {
        public static TypedConstant? Positional(AttributeData attribute, int index) =>
            attribute.ConstructorArguments.Length > index ? attribute.ConstructorArguments[index] : (TypedConstant?)null;

        public static int Int(TypedConstant? constant, int fallback)
        {
            if (!(constant is { } c) || c.Kind == TypedConstantKind.Error || c.Value == null) return fallback;
            switch (c.Value)
            {
                case int i: return i;
                case short s: return s;
                case byte b: return b;
                case long l: return l > int.MaxValue || l < int.MinValue ? fallback : (int)l;
                default: return fallback;
            }
        }

        public static double Double(TypedConstant? constant, double fallback)
        {
            if (!(constant is { } c) || c.Kind == TypedConstantKind.Error || c.Value == null) return fallback;
            switch (c.Value)
            {
                case double d: return d;
                case float f: return f;
                case int i: return i;
                case long l: return l;
                default: return fallback;
            }
        }

        public static bool Bool(TypedConstant? constant, bool fallback) =>
            constant is { } c && c.Kind != TypedConstantKind.Error && c.Value is bool b ? b : fallback;

        public static string? String(TypedConstant? constant) =>
            constant is { } c && c.Kind != TypedConstantKind.Error && c.Value is string s ? s : null;

        public static TypedConstant? Named(AttributeData attribute, string name)
        {
            foreach (var named in attribute.NamedArguments)
                if (named.Key == name) return named.Value;
            return null;
        }
    }
}
