using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// <c>[Add(nameof(Earlier), Projection = false)]</c>, last in a block: the block's output becomes
    /// <c>F(x) + Earlier</c>, a residual connection (<c>y = x + F(x)</c> in PyTorch's forward). With
    /// <c>Projection = true</c> the skip goes through a bias-free Dense (<c>nn.Linear(in, out, bias=False)</c>), for
    /// widths that differ. The skip source then has two consumers, so its gradient accumulates (CpuKernels.Residual,
    /// GpuElementwise.ResidualAdd/AccumulateGradient, accumulate-mode input-gradient GEMMs).
    /// </summary>
    internal sealed class Add : LayerDescriptor
    {
        public override LayerKind Kind => LayerKind.Add;
        public override LayerRole Role => LayerRole.Residual;

        public override LayerSpec Read(LocationInfo? location, AttributeData attribute) => new AddSpec(location,
            Skip: AttributeArguments.String(AttributeArguments.Positional(attribute, 0)) ?? "",
            Projection: AttributeArguments.Bool(AttributeArguments.Named(attribute, "Projection"), false));

        private static int IndexOf(IReadOnlyList<string> names, string name)
        {
            for (var i = 0; i < names.Count; i++)
                if (names[i] == name) return i;
            return -1;
        }

        public override string Describe(LayerSpec layer)
        {
            var add = (AddSpec)layer;
            return add.Projection ? $"+ Dense({add.Skip})" : $"+ {add.Skip}";
        }

        /// <summary>An image model's projection is torchvision's downsample (a 1×1 Conv2d and BatchNorm2d), or a Dense on features.</summary>
        public override string DescribeInImageModel(LayerSpec layer, ValueShape blockInput)
        {
            var add = (AddSpec)layer;
            return add.Projection ? $"+ Shortcut({add.Skip})" : Describe(layer);
        }

        /// <summary>
        /// Resolves the skip source among the blocks planned so far. Reports a missing name, the block itself, a later
        /// block (a cycle) and widths that differ without a projection; returns the source's value, or null.
        /// </summary>
        public ValuePlan? Resolve(BlockSpec block, AddSpec add, int units, IReadOnlyList<ValuePlan> earlier, IReadOnlyList<string> allBlocks,
            List<DiagnosticInfo> diagnostics)
        {
            if (add.Skip == block.Name)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ResidualAddsItself, add.Location, block.Name));
                return null;
            }

            ValuePlan? source = null;
            foreach (var value in earlier)
                if (value.Producer >= 0 && value.Name == add.Skip) source = value;
            if (source == null)
            {
                var sourceIndex = IndexOf(allBlocks, add.Skip);
                var blockIndex = IndexOf(allBlocks, block.Name);
                // An earlier block that is not in the graph failed to plan: its own diagnostic says why.
                if (sourceIndex >= 0 && sourceIndex < blockIndex) return null;
                var descriptor = sourceIndex >= 0 ? Diagnostics.ResidualSourceNotEarlier : Diagnostics.ResidualSourceUnknown;
                diagnostics.Add(DiagnosticInfo.Create(descriptor, add.Location, block.Name, add.Skip));
                return null;
            }

            if (!add.Projection && units > 0 && source.Width != units)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ResidualShapeMismatch, add.Location, block.Name, add.Skip, source.Shape, ValueShape.Features(units)));
                return null;
            }

            return source;
        }
    }

    /// <summary>[Add]'s arguments: the name of the earlier block whose output is added, and whether it goes through a projection.</summary>
    internal sealed record AddSpec(LocationInfo? Location, string Skip, bool Projection) : LayerSpec(LayerKind.Add, Location);
}
