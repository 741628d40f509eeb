using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;
using DslNet.Generator.Planning.Spatial;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// A normalization over a block's Dense output, with a learned scale γ and shift β per feature. Subclasses give
    /// their statistics' layout and the spelling of their CPU and GPU kernels; the activation and dropout that follow
    /// are fused into the same kernels.
    /// </summary>
    internal abstract class NormDescriptor : LayerDescriptor, IImageNorm
    {
        public override LayerRole Role => LayerRole.Normalization;

        public abstract NormKind Norm { get; }

        /// <summary>In an image model: the spatial kernels' family and row groups (LayerNorm one, GroupNorm its groups).</summary>
        public abstract ImageNormPlan PlanImage(NormSpec norm, int channels);

        public override LayerSpec Read(LocationInfo? location, AttributeData attribute) => ReadEps(new NormSpec(Kind, location), attribute);

        public override void Check(BlockSpec block, LayerSpec layer, int units, List<DiagnosticInfo> diagnostics) =>
            CheckEps(block, (NormSpec)layer, diagnostics);

        /// <summary>Reads <c>Eps</c> into <paramref name="spec"/> (its runtime type, a kind's own record, is kept).</summary>
        public static T ReadEps<T>(T spec, AttributeData attribute) where T : NormSpec => (T)((NormSpec)spec with
        {
            Eps = AttributeArguments.Named(attribute, "Eps") is { } eps ? AttributeArguments.Double(eps, double.NaN) : 1e-5,
        });

        /// <summary>DSL0029 on an Eps that is not positive.</summary>
        public static void CheckEps(BlockSpec block, NormSpec norm, List<DiagnosticInfo> diagnostics)
        {
            if (!(norm.Eps > 0))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidNormalizationSetting, norm.Location, norm.Kind, block.Name, "Eps", Format(norm.Eps),
                    "it keeps the division by the standard deviation finite and must be positive (PyTorch's default is 1e-5)"));
        }

        /// <summary>Inverse standard deviations kept per row for the backward pass (LayerNorm 1, GroupNorm its groups).</summary>
        public virtual int InverseStdPerRow(NormSpec layer) => 0;

        /// <summary>Running statistics and a fixed scratch (BatchNorm only).</summary>
        public virtual bool HasRunningStatistics => false;

        public virtual NormOp Plan(NormSpec layer, int units, bool zeroInitGamma, LayoutBuilder layout)
        {
            var gamma = layout.AddParameters(units);
            var beta = layout.AddParameters(units);
            var runningMean = HasRunningStatistics ? layout.AddRunningStatistics(units) : -1;
            var runningVariance = HasRunningStatistics ? layout.AddRunningStatistics(units) : -1;
            var perRow = InverseStdPerRow(layer);
            return new NormOp(
                Kind: Norm,
                Groups: 0,
                Momentum: 0,
                Eps: layer.Eps,
                ZeroInitGamma: zeroInitGamma,
                GammaOffset: gamma,
                BetaOffset: beta,
                RunningMeanOffset: runningMean,
                RunningVarianceOffset: runningVariance,
                InverseStdRowOffset: -1,
                InverseStdPerRow: perRow,
                ScratchOffset: -1);
        }

        /// <summary>Its saved statistics, placed after the block's activations: LayerNorm/GroupNorm's inverse std per row in the
        /// workspace, BatchNorm's inverse std and eval-mode scale and shift (3 × width) in the scratch.</summary>
        public NormOp PlaceStatistics(NormOp norm, int width, LayoutBuilder layout) => norm with
        {
            InverseStdRowOffset = norm.InverseStdPerRow > 0 ? layout.AddActivations(norm.InverseStdPerRow) : -1,
            ScratchOffset = HasRunningStatistics ? layout.AddScratch(3 * width) : -1,
        };

        // ── CPU ──

        /// <summary>
        /// CPU forward: normalizes <paramref name="values"/> in place (they become x̂, which the backward pass reuses), then
        /// writes dropout(activation(γx̂ + β)) to <paramref name="output"/>.
        /// </summary>
        public abstract string CpuForward(NormSite site, string field, string values, string activation, string dropout, string output);

        /// <summary>CPU backward, in place on <paramref name="gradient"/>: dL/doutput in, dL/dvalues out; γ and β gradients written.</summary>
        public abstract string CpuBackward(NormSite site, string field, string gradient, string values, string activation, string dropout);

        /// <summary>
        /// At inference after the Dense: the per-feature scale and shift the Dense's epilogue applies (BatchNorm's running
        /// statistics, folded by <see cref="CpuPrepareInference"/>), or null when the normalization runs on its own.
        /// </summary>
        public virtual string? CpuInferenceAffine(NormSite site) => null;

        /// <summary>Before inference (BatchNorm: its running statistics folded into a scale and shift per feature); null when none.</summary>
        public virtual string? CpuPrepareInference(NormSite site, string field) => null;

        /// <summary>
        /// CPU inference of a normalization before the Dense (the pre-activation form): from <paramref name="input"/> into
        /// the block's <c>norm.Output</c>; LayerNorm/GroupNorm normalize a copy of the input in <c>norm.Normalized</c>.
        /// </summary>
        public virtual string CpuInputInference(NormSite site, string field, string input, string activation) =>
            $"{input}.CopyTo(norm.Normalized);\n" + CpuForward(site, field, "norm.Normalized", activation, $"{K}.Dropout.None", "norm.Output");

        // ── device ──

        /// <summary>Device forward in training: normalizes <see cref="GpuNormArguments.Values"/> in place (x̂) and writes the
        /// output through the activation and dropout.</summary>
        public abstract System.Collections.Generic.IEnumerable<Emitting.GpuKernel> GpuForward(NormSite site, GpuNormArguments arguments);

        /// <summary>Device backward, in place on <see cref="GpuNormArguments.Gradient"/>: through dropout and activation, the γ and β
        /// gradients (batch-split sums merged in order), then the normalization's input gradient.</summary>
        public System.Collections.Generic.IEnumerable<Emitting.GpuKernel> GpuBackward(NormSite site, GpuNormArguments arguments)
        {
            var n = site.Block;
            yield return new Emitting.GpuKernel($"{n}NormBackward", $"{G}.RowSplit.Config(rows, {site.Width})",
                $"{G}.GpuColumnReductions.NormParameterPartials({arguments.Gradient}, {arguments.Values}, {site.Parameter("Gamma")}, {site.Parameter("Beta")},\n        " +
                $"v.ColumnPartials, v.Rows, {site.Width}, {arguments.Activation}, {arguments.Dropout})",
                $"{n} backward through {(site.BeforeDense ? "the input normalization's activation" : "dropout, activation")} and the normalization's scale and shift; " +
                "gamma/beta gradient sums per chunk");
            yield return new Emitting.GpuKernel($"{n}NormParameterMerge", $"{G}.RowSplit.MergeConfig({site.Width})",
                $"{G}.GpuColumnReductions.NormParameterMerge(v.ColumnPartials, {site.Gradient("Gamma")}, {site.Gradient("Beta")}, v.Rows, {site.Width})",
                $"{n} gamma/beta gradients: the chunks' sums added in order");
            yield return GpuInputGradient(site, arguments);
        }

        /// <summary>The normalization's input gradient on the device, in place on <see cref="GpuNormArguments.Gradient"/>.</summary>
        protected abstract Emitting.GpuKernel GpuInputGradient(NormSite site, GpuNormArguments arguments);

        /// <summary>
        /// Device inference into <paramref name="output"/>. After the Dense, BatchNorm only folds its running statistics into
        /// the scale and shift the GEMM's epilogue applies; before it, it applies them itself.
        /// </summary>
        public abstract System.Collections.Generic.IEnumerable<Emitting.GpuKernel> GpuInference(NormSite site, GpuNormArguments arguments, string input, string output);

        /// <summary>LayerNorm/GroupNorm on the device: one (row, group) per row group, the inverse std kept per row.</summary>
        protected static Emitting.GpuKernel RowNormalize(NormSite site, GpuNormArguments arguments, string name, string output, string dropout, string comment) =>
            new Emitting.GpuKernel(name, $"{G}.RowGroup.Config(rows * {site.Groups})",
                $"{G}.GpuNorm.GroupNormForward({arguments.Values}, {site.Parameter("Gamma")}, {site.Parameter("Beta")}, {arguments.RowInverseStd}, {output},\n        " +
                $"{site.Width}, groups: {site.Groups}, eps: {Float(site.Op.Eps)}, hasOutput: true, {arguments.Activation}, {dropout})",
                comment);

        protected static Emitting.GpuKernel RowInputGradient(NormSite site, GpuNormArguments arguments, string kind) =>
            new Emitting.GpuKernel($"{site.Block}NormInputGradient", $"{G}.RowGroup.Config(rows * {site.Groups})",
                $"{G}.GpuNorm.GroupNormInputGradient({arguments.Gradient}, {arguments.Values}, {site.Parameter("Gamma")}, {arguments.RowInverseStd}, " +
                $"{site.Width}, groups: {site.Groups})",
                $"{site.Block} {kind} input gradient");

        protected static System.Collections.Generic.IEnumerable<Emitting.GpuKernel> RowInference(NormSite site, GpuNormArguments arguments, string kind, string output)
        {
            var n = site.Block;
            yield return RowNormalize(site, arguments, $"{n}InferenceNormalize", output, NoDropout, $"{n} inference {kind} and activation");
        }

        protected const string G = "GpuKernels";

        protected const string NoDropout = "default(" + G + ".GpuDropout)";

        protected static string K => Emitting.Names.Kernels;

        protected static string Float(double value) => Emitting.Names.Float(value);
    }

    /// <summary>
    /// A normalization's arguments: <c>Eps</c>, which every kind has. Kinds with more derive from it (BatchNormSpec adds
    /// Momentum, GroupNormSpec its groups, InstanceNormSpec Affine); LayerNorm is this record itself.
    /// </summary>
    internal record NormSpec(LayerKind Kind, LocationInfo? Location) : LayerSpec(Kind, Location)
    {
        public double Eps { get; init; } = 1e-5;
    }

    /// <summary>A normalization an image model can plan (Planning/Spatial): the feature norms and BatchNorm2d, InstanceNorm2d.</summary>
    internal interface IImageNorm
    {
        /// <summary>Its spatial kernel family, row groups (0 for BatchNorm) and whether it has γ and β, over <paramref name="channels"/>.</summary>
        ImageNormPlan PlanImage(NormSpec norm, int channels);
    }

    /// <summary>What the spatial planner needs of a normalization's kind.</summary>
    internal readonly record struct ImageNormPlan(SpatialNormKind Kind, int Groups, bool Affine);
}
