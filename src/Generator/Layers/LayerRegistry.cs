using System.Collections.Generic;
using System.Linq;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;

namespace DslNet.Generator.Layers
{
    /// <summary>The one list of layer kinds. Adding a kind is a new descriptor file plus its kernels, and one line here.</summary>
    internal static class LayerRegistry
    {
        public static readonly IReadOnlyList<LayerDescriptor> All = new LayerDescriptor[]
        {
            new Dense(),
            new BatchNorm(),
            new LayerNorm(),
            new GroupNorm(),
            new Relu(),
            new LeakyRelu(),
            new Gelu(),
            new Tanh(),
            new Sigmoid(),
            new Silu(),
            new Dropout(),
            new Add(),
            new Conv2d(),
            new MaxPool2d(),
            new AvgPool2d(),
            new GlobalAvgPool2d(),
            new Flatten(),
            new BatchNorm2d(),
            new InstanceNorm2d(),
            new Dropout2d(),
        };

        private static readonly Dictionary<string, LayerDescriptor> ByAttribute = All.ToDictionary(d => d.AttributeName);
        private static readonly Dictionary<LayerKind, LayerDescriptor> ByKind = All.ToDictionary(d => d.Kind);

        public static LayerDescriptor? ForAttribute(string metadataName) =>
            ByAttribute.TryGetValue(metadataName, out var descriptor) ? descriptor : null;

        public static LayerDescriptor Of(LayerKind kind) => ByKind[kind];

        public static LayerRole RoleOf(LayerKind kind) => Of(kind).Role;

        /// <summary>The spelling of a planned activation (identity when the block has none).</summary>
        public static IActivationEmission Activation(ActivationKind kind) =>
            (IActivationEmission?)All.OfType<ActivationDescriptor>().FirstOrDefault(a => a.Spells(kind)) ?? IdentityActivation.Instance;

        public static NormDescriptor Norm(NormKind kind) => All.OfType<NormDescriptor>().First(n => n.Norm == kind);
    }
}
