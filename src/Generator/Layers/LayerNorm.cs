using System.Collections.Generic;
using DslNet.Generator.Emitting;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;
using DslNet.Generator.Planning.Spatial;

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

        public override int InverseStdPerRow(NormSpec layer) => 1;

        /// <summary>On an image, over all of [C, H, W] with γ and β of that shape, as nn.LayerNorm([C, H, W]).</summary>
        public override ImageNormPlan PlanImage(NormSpec norm, int channels) => new ImageNormPlan(SpatialNormKind.LayerNorm, Groups: 1, Affine: true);

        public override string CpuForward(NormSite site, string field, string values, string activation, string dropout, string output) =>
            $"{K}.LayerNorm.Forward({values}, {field}.Gamma!.Span, {field}.Beta!.Span, {site.RowStatistics},\n" +
            $"    {output}, rows, {site.Width}, eps: {Float(site.Op.Eps)}, {activation}, {dropout});";

        public override string CpuBackward(NormSite site, string field, string gradient, string values, string activation, string dropout) =>
            $"{K}.LayerNorm.Backward({gradient}, {values}, {field}.Gamma!.Span, {field}.Beta!.Span,\n" +
            $"    {site.RowStatistics}, {field}.GammaGradient!.Span, {field}.BetaGradient!.Span, rows, {site.Width},\n" +
            $"    {activation}, {dropout});";

        public override IEnumerable<GpuKernel> GpuForward(NormSite site, GpuNormArguments arguments)
        {
            yield return RowNormalize(site, arguments, $"{site.Block}Normalize", arguments.Output, arguments.Dropout,
                $"{site.Block} LayerNorm, activation and dropout");
        }

        protected override GpuKernel GpuInputGradient(NormSite site, GpuNormArguments arguments) => RowInputGradient(site, arguments, "LayerNorm");

        public override IEnumerable<GpuKernel> GpuInference(NormSite site, GpuNormArguments arguments, string input, string output) =>
            RowInference(site, arguments, "LayerNorm", output);
    }
}
