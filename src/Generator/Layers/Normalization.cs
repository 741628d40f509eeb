using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// A normalization over a block's Dense output, with a learned scale γ and shift β per feature. Subclasses give
    /// their statistics' layout and the spelling of their CPU and GPU kernels; the activation and dropout that follow
    /// are fused into the same kernels.
    /// </summary>
    internal abstract class NormDescriptor : LayerDescriptor
    {
        public override LayerRole Role => LayerRole.Normalization;

        public abstract NormKind Norm { get; }

        public override LayerSpec Read(LayerSpec spec, AttributeData attribute) => spec with
        {
            Eps = AttributeArguments.Named(attribute, "Eps") is { } eps ? AttributeArguments.Double(eps, double.NaN) : 1e-5,
        };

        public override void Check(BlockSpec block, LayerSpec layer, int units, List<DiagnosticInfo> diagnostics)
        {
            if (!(layer.Eps > 0))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidNormalizationSetting, layer.Location, layer.Kind, block.Name, "Eps", Format(layer.Eps),
                    "it keeps the division by the standard deviation finite and must be positive (PyTorch's default is 1e-5)"));
        }

        /// <summary>Inverse standard deviations kept per row for the backward pass (LayerNorm 1, GroupNorm its groups).</summary>
        public virtual int InverseStdPerRow(LayerSpec layer) => 0;

        /// <summary>Running statistics and a fixed scratch (BatchNorm only).</summary>
        public virtual bool HasRunningStatistics => false;

        public virtual NormOp Plan(LayerSpec layer, int units, bool zeroInitGamma, LayoutBuilder layout)
        {
            var gamma = layout.AddParameters(units);
            var beta = layout.AddParameters(units);
            var runningMean = HasRunningStatistics ? layout.AddRunningStatistics(units) : -1;
            var runningVariance = HasRunningStatistics ? layout.AddRunningStatistics(units) : -1;
            var perRow = InverseStdPerRow(layer);
            return new NormOp(
                Kind: Norm,
                Groups: layer.Kind == LayerKind.GroupNorm ? layer.Groups : 0,
                Momentum: layer.Momentum,
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

        /// <summary>
        /// CPU forward (the generated method has the block's <c>regions</c> in scope): normalizes <c>preActivation</c> in place (it becomes x̂, which the backward pass
        /// reuses), then writes dropout(activation(γx̂ + β)) to <paramref name="output"/>.
        /// </summary>
        public abstract string CpuForward(BlockPlan b, string field, string activation, string dropout, string output);

        /// <summary>CPU backward, in place on <c>gradient</c>: dL/doutput in, dL/dpreActivation out; γ and β gradients written.</summary>
        public abstract string CpuBackward(BlockPlan b, string field, string activation, string dropout);

        protected static string K => Emitting.Names.Kernels;

        protected static string Float(double value) => Emitting.Names.Float(value);
    }
}
