using DslNet.Generator.Planning;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// Where a block's one normalization sits, as the emitters spell it: after the Dense over the block's units (its
    /// pre-activation region holds z, then x̂), or before it over the block's inputs (the pre-activation form, with its
    /// own normalized, output and gradient regions). Its layout constants are the block's: a block has one normalization.
    /// </summary>
    internal sealed class NormSite
    {
        public NormSite(BlockPlan block)
        {
            Block = block.Name;
            Op = block.AnyNorm!;
            BeforeDense = block.HasInputNorm;
            Width = $"Layout.{block.Name}{(BeforeDense ? "Inputs" : "Units")}";
        }

        public string Block { get; }
        public NormOp Op { get; }
        public bool BeforeDense { get; }

        /// <summary>The layout constant of the normalized width.</summary>
        public string Width { get; }

        /// <summary>The CPU path's per-row statistics region (LayerNorm/GroupNorm's inverse std).</summary>
        public string RowStatistics => BeforeDense ? "norm.RowStatistics" : "regions.RowStatistics";

        /// <summary>The generated name of a constant of this normalization's layout, e.g. <c>Layout.Hidden1GammaOffset</c>.</summary>
        public string Offset(string part) => $"Layout.{Block}{part}Offset";

        // ── device views of the normalization's parameters, gradients, statistics and scratch ──

        public string Parameter(string part) => $"v.Parameters.SubView({Offset(part)}, {Width})";

        public string Gradient(string part) => $"v.GradientTensor({Offset(part)}, {Width})";

        public string Statistic(string part) => $"v.Statistics.SubView({Offset(part)}, {Width})";

        public string Scratch(string part) => $"v.Scratch.SubView({Offset(part)}, {Width})";

        /// <summary>Row groups the device's LayerNorm/GroupNorm kernels run over (1 for LayerNorm).</summary>
        public int Groups => Op.Kind == NormKind.LayerNorm ? 1 : Op.Groups;
    }

    /// <summary>The device path's spelling of a normalization's regions, activation functor and dropout.</summary>
    internal sealed record GpuNormArguments(string Values, string Output, string Gradient, string RowInverseStd, string Activation, string Dropout);
}
