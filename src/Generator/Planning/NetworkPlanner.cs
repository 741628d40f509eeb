using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;

namespace DslNet.Generator.Planning
{
    /// <summary>
    /// Checks a <see cref="NetworkSpec"/> and turns it into an <see cref="ExecutionPlan"/>: shape inference, flat
    /// layouts, each block's fused recipe, and every model diagnostic. Pure: no Roslyn, no I/O.
    /// </summary>
    internal static class NetworkPlanner
    {
        public static PlanResult Plan(NetworkSpec spec)
        {
            var diagnostics = new List<DiagnosticInfo>();
            if (!spec.IsPartial)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NetworkNotPartial, spec.Location, spec.ClassName));
            if (spec.UnsupportedShape != null)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedNetworkClass, spec.Location, spec.ClassName, spec.UnsupportedShape));
            if (spec.Inputs <= 0)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NonPositiveWidth, spec.Location, $"[Network(Inputs)] of '{spec.ClassName}'", spec.Inputs));
            if (spec.Blocks.Count == 0)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NetworkHasNoBlocks, spec.Location, spec.ClassName));

            var layout = new LayoutBuilder();
            var blocks = new List<BlockPlan>();
            var inputs = spec.Inputs;
            foreach (var block in spec.Blocks)
            {
                var plan = PlanBlock(block, blocks.Count, inputs, layout, diagnostics);
                if (plan == null)
                {
                    inputs = 0;
                    continue;
                }
                blocks.Add(plan);
                inputs = plan.Units;
            }

            if (blocks.Count == spec.Blocks.Count && blocks.Count > 0)
                CheckOutput(spec, blocks[blocks.Count - 1], diagnostics);

            var hasErrors = diagnostics.Any(d => Diagnostics.ById(d.Id).DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
            ExecutionPlan? result = null;
            if (!hasErrors && blocks.Count > 0)
            {
                var last = blocks[blocks.Count - 1];
                result = new ExecutionPlan(
                    spec.Namespace,
                    spec.ClassName,
                    spec.Accessibility,
                    InputSize: spec.Inputs,
                    OutputSize: last.Units,
                    spec.Loss,
                    ParameterCount: layout.Parameters,
                    RunningStatisticCount: layout.RunningStatistics,
                    ActivationFloatsPerRow: layout.ActivationsPerRow,
                    ScratchLength: layout.Scratch,
                    Blocks: blocks.ToEquatableArray());
            }

            return new PlanResult(result, diagnostics.ToEquatableArray(), result == null ? Placeholder(spec) : null);
        }

        /// <summary>The partial members an invalid model declares (a class that cannot take them gets none).</summary>
        private static PlaceholderPlan? Placeholder(NetworkSpec spec)
        {
            if (!spec.IsPartial || spec.UnsupportedShape != null) return null;
            var blocks = spec.Blocks
                .Where(b => b.FormProblem == null)
                .Select(b => new PlaceholderBlock(b.Name, b.Accessibility))
                .ToEquatableArray();
            return blocks.Count == 0 ? null : new PlaceholderPlan(spec.Namespace, spec.ClassName, blocks);
        }

        private static BlockPlan? PlanBlock(BlockSpec block, int index, int inputs, LayoutBuilder layout, List<DiagnosticInfo> diagnostics)
        {
            var errorsBefore = diagnostics.Count;
            if (block.FormProblem != null)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidBlockProperty, block.Location, block.Name, block.FormProblem));

            var dense = CheckComposition(block, diagnostics);
            if (dense == null) return null;

            var norm = block.Layers.FirstOrDefault(l => IsNorm(l.Kind));
            var activation = block.Layers.FirstOrDefault(l => IsActivation(l.Kind));
            var dropout = block.Layers.FirstOrDefault(l => l.Kind == LayerKind.Dropout);

            if (dense.Units <= 0)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NonPositiveWidth, dense.Location, $"Dense units of '{block.Name}'", dense.Units));
            if (dropout != null && !(dropout.Rate >= 0 && dropout.Rate < 1))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DropoutRateOutOfRange, dropout.Location, Format(dropout.Rate), block.Name));
            if (norm != null) CheckNorm(block, norm, dense.Units, diagnostics);
            if (dense.Init == InitKind.Normal && !(dense.InitStd > 0))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NonPositiveWidth, dense.Location, $"InitStd of '{block.Name}'", Format(dense.InitStd)));

            var activationKind = ToActivation(activation);
            if ((dense.Init == InitKind.XavierUniform || dense.Init == InitKind.XavierNormal) && IsReluLike(activationKind))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.XavierBeforeRelu, dense.Location, block.Name, "Init." + dense.Init, activation!.Kind));
            if (dense.Bias && norm?.Kind == LayerKind.BatchNorm)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.BiasBeforeBatchNorm, dense.Location, block.Name));

            var reserved = ReservedNames.Collision(block.Name);
            if (reserved != null)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ReservedBlockName, block.Location, block.Name, reserved));

            if (HasNewErrors(diagnostics, errorsBefore) || inputs <= 0) return null;
            if (!layout.Fits(block.Name, inputs, dense.Units, block.Location, diagnostics)) return null;

            var units = dense.Units;
            var normKind = ToNorm(norm);
            var weightOffset = layout.AddParameters(inputs * units);
            var biasOffset = dense.Bias ? layout.AddParameters(units) : -1;
            var gammaOffset = normKind != NormKind.None ? layout.AddParameters(units) : -1;
            var betaOffset = normKind != NormKind.None ? layout.AddParameters(units) : -1;
            var runningMeanOffset = normKind == NormKind.BatchNorm ? layout.AddRunningStatistics(units) : -1;
            var runningVarianceOffset = normKind == NormKind.BatchNorm ? layout.AddRunningStatistics(units) : -1;
            var inverseStdPerRow = normKind == NormKind.LayerNorm ? 1 : normKind == NormKind.GroupNorm ? norm!.Groups : 0;
            var (init, gain) = ResolveInit(dense.Init, activationKind, activation?.Slope ?? 0);

            return new BlockPlan(
                Index: index,
                Name: block.Name,
                Accessibility: block.Accessibility,
                Inputs: inputs,
                Units: units,
                HasBias: dense.Bias,
                Norm: normKind,
                Groups: norm?.Kind == LayerKind.GroupNorm ? norm.Groups : 0,
                Momentum: norm?.Momentum ?? 0.1,
                Eps: norm?.Eps ?? 1e-5,
                Activation: activationKind,
                Slope: activation?.Kind == LayerKind.LeakyRelu ? activation.Slope : 0,
                DropoutRate: dropout?.Rate ?? 0,
                Init: init,
                InitGain: gain,
                InitStd: dense.InitStd,
                Fan: dense.Fan,
                WeightOffset: weightOffset,
                BiasOffset: biasOffset,
                GammaOffset: gammaOffset,
                BetaOffset: betaOffset,
                RunningMeanOffset: runningMeanOffset,
                RunningVarianceOffset: runningVarianceOffset,
                PreActivationRowOffset: layout.AddActivations(units),
                OutputRowOffset: layout.AddActivations(units),
                GradientRowOffset: layout.AddActivations(units),
                InverseStdRowOffset: inverseStdPerRow > 0 ? layout.AddActivations(inverseStdPerRow) : -1,
                InverseStdPerRow: inverseStdPerRow,
                ScratchOffset: normKind == NormKind.BatchNorm ? layout.AddScratch(3 * units) : -1,
                Description: Describe(inputs, dense, norm, activation, dropout),
                DropoutMaskRowOffset: (dropout?.Rate ?? 0) > 0 ? layout.AddActivations((units + 31) / 32) : -1);
        }

        /// <summary>One Dense first, then at most one normalization, one activation and one Dropout, in that order.</summary>
        private static LayerSpec? CheckComposition(BlockSpec block, List<DiagnosticInfo> diagnostics)
        {
            var layers = block.Layers;
            string? problem = null;
            LocationInfo? where = block.Location;
            if (layers.Count == 0)
                problem = "it has no layers";
            else if (layers[0].Kind != LayerKind.Dense)
                problem = layers.Any(l => l.Kind == LayerKind.Dense) ? $"[{layers[0].Kind}] comes before [Dense]" : "it has no [Dense(units)]";
            else
            {
                var rank = 0;
                var seen = new HashSet<int> { Rank(LayerKind.Dense) }; // layers[0] is the block's one Dense
                for (var i = 1; i < layers.Count && problem == null; i++)
                {
                    var layer = layers[i];
                    var layerRank = Rank(layer.Kind);
                    if (!seen.Add(layerRank))
                        problem = $"it has more than one {RankName(layerRank)} ([{layer.Kind}])";
                    else if (layerRank < rank)
                        problem = $"[{layer.Kind}] comes after {(rank == 2 ? "an" : "a")} {RankName(rank)}";
                    rank = Math.Max(rank, layerRank);
                    if (problem != null) where = layer.Location;
                }
            }

            if (problem == null) return layers[0];
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidLayerCombination, where, block.Name, problem));
            return null;
        }

        private static void CheckNorm(BlockSpec block, LayerSpec norm, int units, List<DiagnosticInfo> diagnostics)
        {
            if (!(norm.Eps > 0))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidNormalizationSetting, norm.Location, norm.Kind, block.Name, "Eps", Format(norm.Eps),
                    "it keeps the division by the standard deviation finite and must be positive (PyTorch's default is 1e-5)"));
            if (norm.Kind == LayerKind.BatchNorm && !(norm.Momentum >= 0 && norm.Momentum <= 1))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidNormalizationSetting, norm.Location, norm.Kind, block.Name, "Momentum", Format(norm.Momentum),
                    "it is the weight of the newest batch in the running statistics and must lie in [0, 1] (PyTorch's default is 0.1)"));
            if (norm.Kind == LayerKind.GroupNorm && units > 0 && (norm.Groups <= 0 || units % norm.Groups != 0))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.GroupsDoNotDivideWidth, norm.Location, norm.Groups, block.Name, units));
        }

        private static void CheckOutput(NetworkSpec spec, BlockPlan last, List<DiagnosticInfo> diagnostics)
        {
            var lastSpec = spec.Blocks[spec.Blocks.Count - 1];
            var activation = lastSpec.Layers.FirstOrDefault(l => IsActivation(l.Kind));
            if (activation != null && spec.Loss == LossKind.BinaryCrossEntropyWithLogits && activation.Kind == LayerKind.Sigmoid)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ActivationBeforeLogitsLoss, activation.Location, last.Name, "[Sigmoid]", "BinaryCrossEntropyWithLogits", "sigmoid"));
            else if (activation != null && spec.Loss != LossKind.MeanSquaredError)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ActivationBeforeLogitsLoss, activation.Location, last.Name, $"[{activation.Kind}]", spec.Loss,
                    spec.Loss == LossKind.CrossEntropy ? "softmax" : "sigmoid"));
            if (spec.Loss == LossKind.CrossEntropy && last.Units < 2)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.TooFewClasses, lastSpec.Location, last.Name, last.Units));
            var dropout = lastSpec.Layers.FirstOrDefault(l => l.Kind == LayerKind.Dropout);
            if (dropout != null && dropout.Rate > 0)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DropoutOnOutput, dropout.Location, last.Name));
        }

        /// <summary>
        /// Init.Auto is the variance argument: He (fan-in, normal) in front of ReLU-like activations, Xavier
        /// (uniform) otherwise. Gains follow torch.nn.init.calculate_gain; GELU is treated as ReLU (√2).
        /// </summary>
        private static (InitKind Init, double Gain) ResolveInit(InitKind requested, ActivationKind activation, double slope)
        {
            var init = requested == InitKind.Auto
                ? (IsReluLike(activation) ? InitKind.HeNormal : InitKind.XavierUniform)
                : requested;
            double gain;
            if (init == InitKind.HeNormal || init == InitKind.HeUniform)
                gain = activation == ActivationKind.LeakyRelu ? Math.Sqrt(2.0 / (1 + slope * slope)) : Math.Sqrt(2.0);
            else if (init == InitKind.Orthogonal)
                gain = IsReluLike(activation) ? Math.Sqrt(2.0) : 1.0;
            else
                gain = 1.0;
            return (init, gain);
        }

        private static bool HasNewErrors(List<DiagnosticInfo> diagnostics, int since)
        {
            for (var i = since; i < diagnostics.Count; i++)
                if (Diagnostics.ById(diagnostics[i].Id).DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error) return true;
            return false;
        }

        private static string Describe(int inputs, LayerSpec dense, LayerSpec? norm, LayerSpec? activation, LayerSpec? dropout)
        {
            var parts = new List<string> { $"Dense({inputs} → {dense.Units}{(dense.Bias ? "" : ", no bias")})" };
            if (norm != null) parts.Add(norm.Kind == LayerKind.GroupNorm ? $"GroupNorm({norm.Groups})" : norm.Kind.ToString());
            if (activation != null)
                parts.Add(activation.Kind == LayerKind.LeakyRelu ? $"LeakyRelu({Format(activation.Slope)})"
                    : activation.Kind == LayerKind.Gelu ? (activation.Approximate ? "Gelu(tanh)" : "Gelu")
                    : activation.Kind.ToString());
            if (dropout != null) parts.Add($"Dropout({Format(dropout.Rate)})");
            return string.Join(", ", parts);
        }

        /// <summary>Generated members and fields a block's property or field name would collide with.</summary>
        private static class ReservedNames
        {
            private static readonly HashSet<string> Members = new HashSet<string>
            {
                "InputSize", "OutputSize", "ParameterCount", "RunningStatisticCount", "InferenceChunkRows", "Layout",
                "ParameterSlots", "RunningStatisticSlots", "SummaryText", "Parameters", "Gradients", "RunningStatistics",
                "StepCount", "Summary", "TrainStep", "Predict", "EvaluateLoss", "Monitor", "Seed", "InferChunk", "PrepareInference",
                "EnsureRowCapacity", "Workspace", "Scratch",
            };

            // Each block gets a field named _camelCase; these are the generator's own fields.
            private static readonly HashSet<string> Fields = new HashSet<string>
            {
                "Parameters", "RunningStatistics", "Scratch", "Seed", "Activations", "RowCapacity", "StepCount", "Monitor",
            };

            public static string? Collision(string name)
            {
                if (Members.Contains(name)) return "member " + name;
                if (Fields.Contains(name)) return "field _" + char.ToLowerInvariant(name[0]) + name.Substring(1);
                return null;
            }
        }

        private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

        private static bool IsNorm(LayerKind kind) => kind == LayerKind.BatchNorm || kind == LayerKind.LayerNorm || kind == LayerKind.GroupNorm;

        private static bool IsActivation(LayerKind kind) =>
            kind == LayerKind.Relu || kind == LayerKind.LeakyRelu || kind == LayerKind.Gelu || kind == LayerKind.Tanh || kind == LayerKind.Sigmoid;

        private static bool IsReluLike(ActivationKind kind) =>
            kind == ActivationKind.Relu || kind == ActivationKind.LeakyRelu || kind == ActivationKind.GeluExact || kind == ActivationKind.GeluTanh;

        private static int Rank(LayerKind kind) => kind == LayerKind.Dense ? 0 : IsNorm(kind) ? 1 : IsActivation(kind) ? 2 : 3;

        private static string RankName(int rank) => rank == 0 ? "Dense layer" : rank == 1 ? "normalization" : rank == 2 ? "activation" : "Dropout";

        private static NormKind ToNorm(LayerSpec? norm)
        {
            switch (norm?.Kind)
            {
                case LayerKind.BatchNorm: return NormKind.BatchNorm;
                case LayerKind.LayerNorm: return NormKind.LayerNorm;
                case LayerKind.GroupNorm: return NormKind.GroupNorm;
                default: return NormKind.None;
            }
        }

        private static ActivationKind ToActivation(LayerSpec? activation)
        {
            switch (activation?.Kind)
            {
                case LayerKind.Relu: return ActivationKind.Relu;
                case LayerKind.LeakyRelu: return ActivationKind.LeakyRelu;
                case LayerKind.Gelu: return activation.Approximate ? ActivationKind.GeluTanh : ActivationKind.GeluExact;
                case LayerKind.Tanh: return ActivationKind.Tanh;
                case LayerKind.Sigmoid: return ActivationKind.Sigmoid;
                default: return ActivationKind.Identity;
            }
        }

        /// <summary>Hands out consecutive offsets in each flat buffer.</summary>
        private sealed class LayoutBuilder
        {
            // Array.MaxLength for a float[]: every flat buffer and every per-row workspace must stay below it.
            private const long MaxBufferLength = 0x7FFFFFC7;

            public int Parameters { get; private set; }
            public int RunningStatistics { get; private set; }
            public int ActivationsPerRow { get; private set; }
            public int Scratch { get; private set; }

            public int AddParameters(int count) => (Parameters += count) - count;
            public int AddRunningStatistics(int count) => (RunningStatistics += count) - count;
            public int AddActivations(int count) => (ActivationsPerRow += count) - count;
            public int AddScratch(int count) => (Scratch += count) - count;

            /// <summary>Whether a block of this size still fits; reports DSL0015 where it does not.</summary>
            public bool Fits(string block, int inputs, int units, LocationInfo? location, List<DiagnosticInfo> diagnostics)
            {
                var parameters = Parameters + (long)inputs * units + 3L * units;
                var activations = ActivationsPerRow + 4L * units + (units + 31) / 32;
                var (what, total) = parameters > MaxBufferLength ? ("parameters", parameters) : ("activations per row", activations);
                if (total <= MaxBufferLength) return true;
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NetworkTooLarge, location, block, what, total, MaxBufferLength));
                return false;
            }
        }
    }
}
