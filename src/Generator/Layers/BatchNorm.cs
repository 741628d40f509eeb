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
    /// <c>[BatchNorm(Momentum, Eps, Sync)]</c>: <c>nn.BatchNorm1d</c>. Batch statistics in training (kernels
    /// CpuKernels.BatchNorm / GpuNorm.BatchNormForward), running statistics (unbiased variance) at inference, folded
    /// into the GEMM epilogue as a per-feature scale and shift. Saved inverse std and that scale and shift live in the
    /// fixed scratch, [units] each. <c>Sync = true</c> is <c>nn.SyncBatchNorm</c>: the statistics and the backward
    /// pass's two gradient sums are summed over the processes of a data-parallel job through the model's
    /// <c>StatisticsReducer</c> (unset: this process's batch alone, exactly plain BatchNorm); CPU path only.
    /// </summary>
    internal sealed class BatchNorm : NormDescriptor
    {
        public override LayerKind Kind => LayerKind.BatchNorm;
        public override NormKind Norm => NormKind.BatchNorm;
        public override bool HasRunningStatistics => true;
        public override bool CancelsBias => true;

        public override bool CheckInput(BlockSpec block, LayerSpec layer, ValueShape input, List<DiagnosticInfo> diagnostics) =>
            RequireFeatures(block, layer, input, diagnostics);

        public override ImageNormPlan PlanImage(NormSpec norm, int channels) => new ImageNormPlan(SpatialNormKind.BatchNorm, Groups: 0, Affine: true);

        public override LayerSpec Read(LocationInfo? location, AttributeData attribute) => ReadMomentum(new BatchNormSpec(Kind, location), attribute) with
        {
            Sync = AttributeArguments.Bool(AttributeArguments.Named(attribute, "Sync"), false),
        };

        /// <summary>Reads Eps and Momentum, BatchNorm2d's arguments too.</summary>
        public static BatchNormSpec ReadMomentum(BatchNormSpec spec, AttributeData attribute) => ReadEps(spec, attribute) with
        {
            Momentum = AttributeArguments.Named(attribute, "Momentum") is { } m ? AttributeArguments.Double(m, double.NaN) : 0.1,
        };

        /// <summary>Eps and Momentum checks, BatchNorm2d's too.</summary>
        public override void Check(BlockSpec block, LayerSpec layer, int units, List<DiagnosticInfo> diagnostics)
        {
            var norm = (BatchNormSpec)layer;
            CheckEps(block, norm, diagnostics);
            if (!(norm.Momentum >= 0 && norm.Momentum <= 1))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidNormalizationSetting, norm.Location, norm.Kind, block.Name, "Momentum", Format(norm.Momentum),
                    "it is the weight of the newest batch in the running statistics and must lie in [0, 1] (PyTorch's default is 0.1)"));
        }

        public override string Describe(LayerSpec layer) => ((BatchNormSpec)layer).Sync ? "SyncBatchNorm" : "BatchNorm";

        public override NormOp Plan(NormSpec layer, int units, bool zeroInitGamma, LayoutBuilder layout)
        {
            var norm = (BatchNormSpec)layer;
            return base.Plan(layer, units, zeroInitGamma, layout) with { Momentum = norm.Momentum, Sync = norm.Sync };
        }

        /// <summary>Whether the plan has a synced BatchNorm (its model refuses a reducer on a device path).</summary>
        public static bool AnySynced(ExecutionPlan plan)
        {
            foreach (var block in plan.Blocks)
                if (block.AnyNorm is { Kind: NormKind.BatchNorm, Sync: true }) return true;
            return false;
        }

        public override string CpuForward(NormSite site, string field, string values, string activation, string dropout, string output) =>
            $"{K}.BatchNorm.ForwardTraining{Synced(site)}({values}, {field}.Gamma!.Span, {field}.Beta!.Span,\n" +
            $"    {field}.RunningMean!.Span, {field}.RunningVariance!.Span, Scratch({site.Offset("InverseStd")}, {site.Width}),\n" +
            $"    {output}, rows, {site.Width},\n" +
            $"    momentum: {Float(site.Op.Momentum)}, eps: {Float(site.Op.Eps)}, {activation}, {dropout}{Reducer(site)});";

        public override string CpuBackward(NormSite site, string field, string gradient, string values, string activation, string dropout) =>
            $"{K}.BatchNorm.Backward{Synced(site)}({gradient}, {values}, {field}.Gamma!.Span, {field}.Beta!.Span,\n" +
            $"    Scratch({site.Offset("InverseStd")}, {site.Width}), {field}.GammaGradient!.Span, {field}.BetaGradient!.Span,\n" +
            $"    rows, {site.Width},\n" +
            $"    {activation}, {dropout}{Reducer(site)});";

        public override string CpuPrepareInference(NormSite site, string field) =>
            $"{K}.BatchNorm.InferenceAffine({field}.Gamma!.Span, {field}.Beta!.Span, {field}.RunningMean!.Span, {field}.RunningVariance!.Span, {Float(site.Op.Eps)},\n" +
            $"    {InferenceAffine(site)},\n" +
            $"    {site.Width});";

        /// <summary>Before the Dense, eval-mode BatchNorm applies its scale and shift and the activation itself.</summary>
        public override string CpuInputInference(NormSite site, string field, string input, string activation) =>
            $"{K}.BatchNorm.Inference({input}, {InferenceAffine(site)}, norm.Output, rows, {site.Width}, {activation});";

        public override string? CpuInferenceAffine(NormSite site) => InferenceAffine(site);

        private static string InferenceAffine(NormSite site) =>
            $"Scratch({site.Offset("InferenceScale")}, {site.Width}), Scratch({site.Offset("InferenceShift")}, {site.Width})";

        public override IEnumerable<GpuKernel> GpuForward(NormSite site, GpuNormArguments arguments)
        {
            var n = site.Block;
            yield return new GpuKernel($"{n}NormStatistics", $"{G}.RowSplit.Config(rows, {site.Width})",
                $"{G}.GpuColumnReductions.BatchStatisticsPartials({arguments.Values}, v.ColumnPartials, v.Rows, {site.Width})",
                $"{n} BatchNorm statistics: mean and M2 per feature over each chunk of the batch");
            yield return new GpuKernel($"{n}NormMerge", $"{G}.RowSplit.MergeConfig({site.Width})",
                $"{G}.GpuColumnReductions.BatchStatisticsMerge(v.ColumnPartials, {site.Statistic("RunningMean")}, {site.Statistic("RunningVariance")}, " +
                $"{site.Scratch("InverseStd")},\n        v.Rows, {site.Width}, momentum: {Float(site.Op.Momentum)}, eps: {Float(site.Op.Eps)})",
                $"{n} BatchNorm statistics: the chunks merged in order (Chan), running statistics, inverse std");
            yield return new GpuKernel($"{n}Normalize", $"{G}.GpuElementwise.Config((long)rows * {site.Width})",
                $"{G}.GpuColumnReductions.BatchNormApply({arguments.Values}, {site.Parameter("Gamma")}, {site.Parameter("Beta")}, v.ColumnPartials, " +
                $"{site.Scratch("InverseStd")}, {arguments.Output},\n        v.Rows, {site.Width}, {arguments.Activation}, {arguments.Dropout})",
                $"{n} BatchNorm normalize, activation and dropout");
        }

        protected override GpuKernel GpuInputGradient(NormSite site, GpuNormArguments arguments) =>
            new GpuKernel($"{site.Block}NormInputGradient", $"{G}.GpuElementwise.Config((long)rows * {site.Width})",
                $"{G}.GpuColumnReductions.BatchNormInputGradient({arguments.Gradient}, {arguments.Values}, {site.Parameter("Gamma")}, {site.Scratch("InverseStd")},\n        " +
                $"v.ColumnPartials, v.Rows, {site.Width})",
                $"{site.Block} BatchNorm input gradient");

        public override IEnumerable<GpuKernel> GpuInference(NormSite site, GpuNormArguments arguments, string input, string output)
        {
            var n = site.Block;
            yield return new GpuKernel($"{n}InferenceAffine", $"{G}.RowGroup.Config(({site.Width} + {G}.RowGroup.Size - 1) / {G}.RowGroup.Size)",
                $"{G}.GpuNorm.InferenceAffine({site.Width}, {site.Parameter("Gamma")}, {site.Parameter("Beta")}, {site.Statistic("RunningMean")}, " +
                $"{site.Statistic("RunningVariance")},\n        {Float(site.Op.Eps)}, {site.Scratch("InferenceScale")}, {site.Scratch("InferenceShift")})",
                $"{n} eval-mode BatchNorm folded into a per-feature scale and shift");
            if (!site.BeforeDense) yield break;
            yield return new GpuKernel($"{n}InferenceNormalize", $"{G}.GpuElementwise.Config((long)rows * {site.Width})",
                $"{G}.GpuNorm.BatchNormInference({input}, {output}, {site.Scratch("InferenceScale")}, {site.Scratch("InferenceShift")},\n        " +
                $"v.Rows * {site.Width}, {site.Width}, {arguments.Activation})",
                $"{n} inference: eval-mode BatchNorm and activation of the input");
        }

        private static string Synced(NormSite site) => site.Op.Sync ? "Synced" : "";

        private static string Reducer(NormSite site) => site.Op.Sync ? ", StatisticsReducer" : "";
    }

    /// <summary>[BatchNorm]'s and [BatchNorm2d]'s arguments: Eps, the running statistics' Momentum, and Sync (BatchNorm only).</summary>
    internal sealed record BatchNormSpec(LayerKind Kind, LocationInfo? Location) : NormSpec(Kind, Location)
    {
        public double Momentum { get; init; } = 0.1;
        public bool Sync { get; init; }
    }
}
