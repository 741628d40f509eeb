using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Emitting;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;
using DslNet.Generator.Planning.Spatial;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// <c>[GroupNorm(groups, Eps)]</c>: <c>nn.GroupNorm(groups, units)</c> over each row's features split into contiguous
    /// groups (kernels CpuKernels.GroupNorm / GpuNorm.GroupNormForward); one inverse std per row and group is kept.
    /// </summary>
    internal sealed class GroupNorm : NormDescriptor
    {
        public override LayerKind Kind => LayerKind.GroupNorm;
        public override NormKind Norm => NormKind.GroupNorm;

        public override LayerSpec Read(LocationInfo? location, AttributeData attribute) => ReadEps(new GroupNormSpec(location), attribute) with
        {
            Groups = AttributeArguments.Int(AttributeArguments.Positional(attribute, 0), 0),
        };

        public override void Check(BlockSpec block, LayerSpec layer, int units, List<DiagnosticInfo> diagnostics)
        {
            base.Check(block, layer, units, diagnostics);
            CheckGroups(block, (GroupNormSpec)layer, units, diagnostics);
        }

        /// <summary>DSL0012 when the groups do not divide the normalized width (features, or an image's channels); false then.</summary>
        public static bool CheckGroups(BlockSpec block, GroupNormSpec norm, int width, List<DiagnosticInfo> diagnostics)
        {
            if (width <= 0 || (norm.Groups > 0 && width % norm.Groups == 0)) return true;
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.GroupsDoNotDivideWidth, norm.Location, norm.Groups, block.Name, width));
            return false;
        }

        public override int InverseStdPerRow(NormSpec layer) => ((GroupNormSpec)layer).Groups;

        /// <summary>In an image model the groups split the channels (checked against the value it is applied to).</summary>
        public override bool CheckInput(BlockSpec block, LayerSpec layer, ValueShape input, List<DiagnosticInfo> diagnostics) =>
            CheckGroups(block, (GroupNormSpec)layer, input.IsSpatial ? input.Channels : input.Size, diagnostics);

        public override ImageNormPlan PlanImage(NormSpec norm, int channels) =>
            new ImageNormPlan(SpatialNormKind.GroupNorm, ((GroupNormSpec)norm).Groups, Affine: true);

        public override NormOp Plan(NormSpec layer, int units, bool zeroInitGamma, LayoutBuilder layout) =>
            base.Plan(layer, units, zeroInitGamma, layout) with { Groups = ((GroupNormSpec)layer).Groups };

        public override string Describe(LayerSpec layer) => $"GroupNorm({((GroupNormSpec)layer).Groups})";

        public override string CpuForward(NormSite site, string field, string values, string activation, string dropout, string output) =>
            $"{K}.GroupNorm.Forward({values}, {field}.Gamma!.Span, {field}.Beta!.Span, {site.RowStatistics},\n" +
            $"    {output}, rows, {site.Width}, groups: {site.Op.Groups}, eps: {Float(site.Op.Eps)}, {activation}, {dropout});";

        public override string CpuBackward(NormSite site, string field, string gradient, string values, string activation, string dropout) =>
            $"{K}.GroupNorm.Backward({gradient}, {values}, {field}.Gamma!.Span, {field}.Beta!.Span,\n" +
            $"    {site.RowStatistics}, {field}.GammaGradient!.Span, {field}.BetaGradient!.Span, rows, {site.Width},\n" +
            $"    groups: {site.Op.Groups}, {activation}, {dropout});";

        public override IEnumerable<GpuKernel> GpuForward(NormSite site, GpuNormArguments arguments)
        {
            yield return RowNormalize(site, arguments, $"{site.Block}Normalize", arguments.Output, arguments.Dropout,
                $"{site.Block} GroupNorm ({site.Op.Groups} groups), activation and dropout");
        }

        protected override GpuKernel GpuInputGradient(NormSite site, GpuNormArguments arguments) => RowInputGradient(site, arguments, "GroupNorm");

        public override IEnumerable<GpuKernel> GpuInference(NormSite site, GpuNormArguments arguments, string input, string output) =>
            RowInference(site, arguments, "GroupNorm", output);
    }

    /// <summary>[GroupNorm]'s arguments: Eps and the number of groups.</summary>
    internal sealed record GroupNormSpec(LocationInfo? Location) : NormSpec(LayerKind.GroupNorm, Location)
    {
        public int Groups { get; init; }
    }
}
