using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// <c>[LayerNorm(Eps)]</c>: <c>nn.LayerNorm(units)</c> over each row's features (kernels CpuKernels.LayerNorm /
    /// GpuNorm.GroupNormForward with one group). The per-row inverse std is kept in the workspace for the backward pass.
    /// </summary>
    internal sealed class LayerNorm : NormDescriptor
    {
        public override LayerKind Kind => LayerKind.LayerNorm;
        public override NormKind Norm => NormKind.LayerNorm;

        public override int InverseStdPerRow(LayerSpec layer) => 1;

        public override string CpuForward(BlockPlan b, string field, string activation, string dropout, string output) =>
            $"{K}.LayerNorm.Forward(preActivation, {field}.Gamma!.Span, {field}.Beta!.Span, regions.RowStatistics,\n" +
            $"    {output}, rows, Layout.{b.Name}Units, eps: {Float(b.Eps)}, {activation}, {dropout});";

        public override string CpuBackward(BlockPlan b, string field, string activation, string dropout) =>
            $"{K}.LayerNorm.Backward(gradient, regions.PreActivation, {field}.Gamma!.Span, {field}.Beta!.Span,\n" +
            $"    regions.RowStatistics, {field}.GammaGradient!.Span, {field}.BetaGradient!.Span, rows, Layout.{b.Name}Units,\n" +
            $"    {activation}, {dropout});";
    }
}
