using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;
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

        public override LayerSpec Read(LayerSpec spec, AttributeData attribute) => base.Read(spec, attribute) with
        {
            Groups = AttributeArguments.Int(AttributeArguments.Positional(attribute, 0), 0),
        };

        public override void Check(BlockSpec block, LayerSpec layer, int units, List<DiagnosticInfo> diagnostics)
        {
            base.Check(block, layer, units, diagnostics);
            if (units > 0 && (layer.Groups <= 0 || units % layer.Groups != 0))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.GroupsDoNotDivideWidth, layer.Location, layer.Groups, block.Name, units));
        }

        public override int InverseStdPerRow(LayerSpec layer) => layer.Groups;

        public override string Describe(LayerSpec layer) => $"GroupNorm({layer.Groups})";

        public override string CpuForward(BlockPlan b, string field, string activation, string dropout, string output) =>
            $"{K}.GroupNorm.Forward(preActivation, {field}.Gamma!.Span, {field}.Beta!.Span, regions.RowStatistics,\n" +
            $"    {output}, rows, Layout.{b.Name}Units, groups: {b.Groups}, eps: {Float(b.Eps)}, {activation}, {dropout});";

        public override string CpuBackward(BlockPlan b, string field, string activation, string dropout) =>
            $"{K}.GroupNorm.Backward(gradient, regions.PreActivation, {field}.Gamma!.Span, {field}.Beta!.Span,\n" +
            $"    regions.RowStatistics, {field}.GammaGradient!.Span, {field}.BetaGradient!.Span, rows, Layout.{b.Name}Units,\n" +
            $"    groups: {b.Groups}, {activation}, {dropout});";
    }
}
