using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;
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

        public override LayerSpec Read(LayerSpec spec, AttributeData attribute) => base.Read(spec, attribute) with
        {
            Momentum = AttributeArguments.Named(attribute, "Momentum") is { } m ? AttributeArguments.Double(m, double.NaN) : 0.1,
            Sync = AttributeArguments.Bool(AttributeArguments.Named(attribute, "Sync"), false),
        };

        public override void Check(BlockSpec block, LayerSpec layer, int units, System.Collections.Generic.List<Common.DiagnosticInfo> diagnostics)
        {
            base.Check(block, layer, units, diagnostics);
            if (!(layer.Momentum >= 0 && layer.Momentum <= 1))
                diagnostics.Add(Common.DiagnosticInfo.Create(Diagnostics.InvalidNormalizationSetting, layer.Location, layer.Kind, block.Name, "Momentum", Format(layer.Momentum),
                    "it is the weight of the newest batch in the running statistics and must lie in [0, 1] (PyTorch's default is 0.1)"));
        }

        public override string Describe(LayerSpec layer) => layer.Sync ? "SyncBatchNorm" : "BatchNorm";

        public override NormOp Plan(LayerSpec layer, int units, bool zeroInitGamma, LayoutBuilder layout) =>
            base.Plan(layer, units, zeroInitGamma, layout) with { Sync = layer.Sync };

        /// <summary>Whether the plan has a synced BatchNorm (its model refuses a reducer on a device path).</summary>
        public static bool AnySynced(ExecutionPlan plan)
        {
            foreach (var block in plan.Blocks)
                if (block.NormOp is { Kind: NormKind.BatchNorm, Sync: true }) return true;
            return false;
        }

        public override string CpuForward(BlockPlan b, string field, string activation, string dropout, string output) =>
            $"{K}.BatchNorm.ForwardTraining{Synced(b)}(preActivation, {field}.Gamma!.Span, {field}.Beta!.Span,\n" +
            $"    {field}.RunningMean!.Span, {field}.RunningVariance!.Span, Scratch(Layout.{b.Name}InverseStdOffset, Layout.{b.Name}Units),\n" +
            $"    {output}, rows, Layout.{b.Name}Units,\n" +
            $"    momentum: {Float(b.Momentum)}, eps: {Float(b.Eps)}, {activation}, {dropout}{Reducer(b)});";

        public override string CpuBackward(BlockPlan b, string field, string activation, string dropout) =>
            $"{K}.BatchNorm.Backward{Synced(b)}(gradient, regions.PreActivation, {field}.Gamma!.Span, {field}.Beta!.Span,\n" +
            $"    Scratch(Layout.{b.Name}InverseStdOffset, Layout.{b.Name}Units), {field}.GammaGradient!.Span, {field}.BetaGradient!.Span,\n" +
            $"    rows, Layout.{b.Name}Units,\n" +
            $"    {activation}, {dropout}{Reducer(b)});";

        private static string Synced(BlockPlan b) => b.NormOp!.Sync ? "Synced" : "";

        private static string Reducer(BlockPlan b) => b.NormOp!.Sync ? ", StatisticsReducer" : "";
    }
}
