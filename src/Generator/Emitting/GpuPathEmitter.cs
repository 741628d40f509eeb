using System.Collections.Generic;
using System.Linq;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;

namespace DslNet.Generator.Emitting
{
    /// <summary>
    /// Writes the device path: a nested <c>GpuPath&lt;TActivations&gt;</c> class holding the model's ILGPU kernels. Each
    /// kernel is a static method taking <c>NetworkViews</c> that calls a reusable device function of DslNet.Kernels.Gpu
    /// with the plan's shapes, offsets, rates and epsilons as constants, and the block's activation as a struct functor,
    /// so ILGPU specializes every kernel to this model. The class is generic over the activations' storage (fp32, fp16
    /// or bf16 tensors): one kernel text, one instantiation per precision. Emitted only when the compilation references ILGPU.
    /// </summary>
    internal static class GpuPathEmitter
    {
        private const string G = DeviceNetworkWriter.G;
        private const string Views = DeviceNetworkWriter.Views;

        public static string Emit(ExecutionPlan plan)
        {
            var w = new SourceWriter();
            FileHeader.Write(w, plan, "ILGPU device kernels", usesKernels: true);
            DeviceNetworkWriter.WriteUsings(w);
            w.Line();
            using (FileHeader.OpenNamespace(w, plan))
            using (w.Block($"partial class {plan.ClassName}"))
            {
                DeviceNetworkWriter.WriteFactory(w);
                w.Line("/// <summary>");
                w.Line("/// The device path: the same forward, loss and backward as the CPU path, as one kernel per fused step. Activations");
                w.Line("/// and their gradients are stored as <typeparamref name=\"TActivations\"/>; parameters, their gradients, statistics");
                w.Line("/// and the loss are fp32, and every sum is accumulated in fp32 or double.");
                w.Line("/// </summary>");
                using (w.Block(DeviceNetworkWriter.ClassHeader))
                {
                    WriteRowStatistics(w, plan);
                    WriteGemmChoices(w, plan);
                    var kernels = Kernels(plan).ToList();
                    foreach (var k in kernels)
                        w.Line($"private readonly global::System.Action<KernelConfig, {Views}> _{Lower(k.Name)};");
                    w.Line();
                    using (w.Block("public GpuPath(global::DslNet.Device device, global::DslNet.Precision precision)\n" +
                                   $"    : base(device, precision, new global::DslNet.Devices.NetworkShape(ParameterCount, RunningStatisticCount, Layout.ScratchLength, Layout.ActivationsPerRow, InputSize, OutputSize, {DeviceNetworkWriter.TargetsPerRow(plan.Loss)}, RowStatisticsPerRow, LargestWeight, WidestLayer, WidestGemmRow))"))
                    {
                        foreach (var k in kernels)
                            w.Line($"_{Lower(k.Name)} = Load({k.Name}Kernel);");
                    }
                    w.Line();
                    WriteTrainStep(w, plan);
                    WritePredict(w, plan);
                    WriteEvaluateLoss(w, plan);
                    DeviceNetworkWriter.WriteRegionHelpers(w);
                    WriteLibraryGemms(w, kernels);
                    foreach (var k in kernels)
                    {
                        w.Line($"// {k.Comment}");
                        w.Line($"private static void {k.Name}Kernel({Views} v) =>");
                        w.Line($"    {k.Body};");
                        w.Line();
                    }
                }
            }
            return w.ToString();
        }

        private sealed class Kernel
        {
            public Kernel(string name, string config, string body, string comment, string? condition = null, string? libraryGemm = null)
            {
                Name = name;
                Config = config;
                Body = body;
                Comment = comment;
                Condition = condition;
                LibraryGemm = libraryGemm;
            }

            public string Name { get; }
            public string Config { get; }
            public string Body { get; }
            public string Comment { get; }

            /// <summary>When the launch code runs the kernel (null: always).</summary>
            public string? Condition { get; }

            /// <summary>For a library-eligible GEMM: the <c>LibraryGemm(…)</c> arguments that replace this kernel at large batches,
            /// followed by the kernel named this one's name + "Epilogue".</summary>
            public string? LibraryGemm { get; }
        }

        /// <summary>A fused tiled GEMM kernel and, when the planner lets it use the library GEMM, its epilogue kernel over the
        /// library's product (the same epilogue struct, so both paths store the same values).</summary>
        private static IEnumerable<Kernel> Gemm(ExecutionPlan plan, BlockPlan b, GemmRole role, string name, string config, string tiledBody,
            string comment, string libraryArguments, string m, string n, string epilogue)
        {
            var planned = GemmPlanner.Find(plan, b, role);
            var library = planned != null && planned.LibraryEligible;
            yield return new Kernel(name, config, tiledBody, comment, libraryGemm: library ? libraryArguments : null);
            if (library)
                yield return new Kernel(name + "Epilogue", $"{G}.GpuElementwise.Config((long){m.Replace("v.Rows", "rows")} * {n.Replace("v.Rows", "rows")})",
                    $"{G}.GpuGemm.ApplyEpilogue(v.GemmProduct, {m}, {n},\n        {epilogue})",
                    comment + " (epilogue of the library GEMM)");
        }

        private static IEnumerable<Kernel> Kernels(ExecutionPlan plan)
        {
            foreach (var b in plan.Blocks)
            {
                foreach (var k in Forward(plan, b)) yield return k;
                foreach (var k in Residual(plan, b)) yield return k;
                foreach (var k in Backward(plan, b)) yield return k;
                foreach (var k in Inference(plan, b)) yield return k;
            }
            foreach (var k in Loss(plan)) yield return k;
        }

        // ── training forward ──

        private static IEnumerable<Kernel> Forward(ExecutionPlan plan, BlockPlan b)
        {
            var n = b.Name;
            var input = ValueRegion(plan, plan.InputOf(b));
            var epilogue = $"new {G}.BiasActivationEpilogue<TActivations, {Names.ActivationType(b)}>({Region(n, "PreActivation")}, {Bias(b)}, {Bool(b.HasBias)}, " +
                           $"{Region(n, "Output")}, {Bool(!b.HasNorm)}, Layout.{n}Units, {Names.Activation(b)}, {(b.HasNorm ? NoDropout : Dropout(b))})";
            var libraryArguments = $"{FloatValueRegion(plan, plan.InputOf(b))}, Layout.{n}Inputs, 1,{Wrap}{FloatWeight(n)}, 1, Layout.{n}Inputs,{Wrap}v.Rows, Layout.{n}Units, Layout.{n}Inputs";
            foreach (var k in Gemm(plan, b, GemmRole.Forward, $"{n}Forward", $"{G}.GpuGemm.Config(rows, Layout.{n}Units)",
                $"{G}.GpuGemm.Run({input}, Layout.{n}Inputs, 1, {Weight(n)}, 1, Layout.{n}Inputs, v.Rows, Layout.{n}Units, Layout.{n}Inputs,\n        {epilogue})",
                $"{n} forward: preActivation = input·Wᵀ + b" + (b.HasNorm ? "" : ", output = dropout(activation(preActivation))"),
                libraryArguments, "v.Rows", $"Layout.{n}Units", epilogue))
                yield return k;
            if (!b.HasNorm) yield break;
            var common = $"{Param(n, "Gamma", b.Units)}, {Param(n, "Beta", b.Units)}";
            if (b.Norm == NormKind.BatchNorm)
            {
                yield return new Kernel($"{n}NormStatistics", $"{G}.RowSplit.Config(rows, Layout.{n}Units)",
                    $"{G}.GpuColumnReductions.BatchStatisticsPartials({Region(n, "PreActivation")}, v.ColumnPartials, v.Rows, Layout.{n}Units)",
                    $"{n} BatchNorm statistics: mean and M2 per feature over each chunk of the batch");
                yield return new Kernel($"{n}NormMerge", $"{G}.RowSplit.MergeConfig(Layout.{n}Units)",
                    $"{G}.GpuColumnReductions.BatchStatisticsMerge(v.ColumnPartials, {Stat(n, "RunningMean")}, {Stat(n, "RunningVariance")}, {Scratch(n, "InverseStd")},\n        " +
                    $"v.Rows, Layout.{n}Units, momentum: {Names.Float(b.Momentum)}, eps: {Names.Float(b.Eps)})",
                    $"{n} BatchNorm statistics: the chunks merged in order (Chan), running statistics, inverse std");
                yield return new Kernel($"{n}Normalize", $"{G}.GpuElementwise.Config((long)rows * Layout.{n}Units)",
                    $"{G}.GpuColumnReductions.BatchNormApply({Region(n, "PreActivation")}, {common}, v.ColumnPartials, {Scratch(n, "InverseStd")}, {Region(n, "Output")},\n        " +
                    $"v.Rows, Layout.{n}Units, {Names.Activation(b)}, {Dropout(b)})",
                    $"{n} BatchNorm normalize, activation and dropout");
            }
            else
            {
                yield return new Kernel($"{n}Normalize", $"{G}.RowGroup.Config(rows * {Groups(b)})",
                    $"{G}.GpuNorm.GroupNormForward({Region(n, "PreActivation")}, {common}, {RowInverseStd(b)}, {Region(n, "Output")},\n        Layout.{n}Units, groups: {Groups(b)}, eps: {Names.Float(b.Eps)}, hasOutput: true, {Names.Activation(b)}, {Dropout(b)})",
                    $"{n} {b.Norm}" + (b.Norm == NormKind.GroupNorm ? $" ({b.Groups} groups)" : "") + ", activation and dropout");
            }
        }

        // ── backward ──

        private static IEnumerable<Kernel> Backward(ExecutionPlan plan, BlockPlan b)
        {
            var n = b.Name;
            var gradient = Region(n, "Gradient");
            if (b.HasNorm)
            {
                yield return new Kernel($"{n}NormBackward", $"{G}.RowSplit.Config(rows, Layout.{n}Units)",
                    $"{G}.GpuColumnReductions.NormParameterPartials({gradient}, {Region(n, "PreActivation")}, {Param(n, "Gamma", b.Units)}, {Param(n, "Beta", b.Units)},\n        " +
                    $"v.ColumnPartials, v.Rows, Layout.{n}Units, {Names.Activation(b)}, {Dropout(b)})",
                    $"{n} backward through dropout, activation and the normalization's scale and shift; gamma/beta gradient sums per chunk");
                yield return new Kernel($"{n}NormParameterMerge", $"{G}.RowSplit.MergeConfig(Layout.{n}Units)",
                    $"{G}.GpuColumnReductions.NormParameterMerge(v.ColumnPartials, {Grad(n, "Gamma", b.Units)}, {Grad(n, "Beta", b.Units)}, v.Rows, Layout.{n}Units)",
                    $"{n} gamma/beta gradients: the chunks' sums added in order");
                if (b.Norm == NormKind.BatchNorm)
                    yield return new Kernel($"{n}NormInputGradient", $"{G}.GpuElementwise.Config((long)rows * Layout.{n}Units)",
                        $"{G}.GpuColumnReductions.BatchNormInputGradient({gradient}, {Region(n, "PreActivation")}, {Param(n, "Gamma", b.Units)}, {Scratch(n, "InverseStd")},\n        " +
                        $"v.ColumnPartials, v.Rows, Layout.{n}Units)",
                        $"{n} BatchNorm input gradient");
                else
                    yield return new Kernel($"{n}NormInputGradient", $"{G}.RowGroup.Config(rows * {Groups(b)})",
                        $"{G}.GpuNorm.GroupNormInputGradient({gradient}, {Region(n, "PreActivation")}, {Param(n, "Gamma", b.Units)}, {RowInverseStd(b)}, Layout.{n}Units, groups: {Groups(b)})",
                        $"{n} {b.Norm} input gradient");
            }
            else if (!b.ActivationBackwardFusedIntoConsumer && !b.IsIdentityOutput)
            {
                yield return new Kernel($"{n}ActivationBackward", $"{G}.GpuElementwise.Config((long)rows * Layout.{n}Units)",
                    $"{G}.GpuElementwise.ActivationBackward({gradient}, {Region(n, "PreActivation")}, v.Rows * Layout.{n}Units, {Names.Activation(b)}, {Dropout(b)})",
                    $"{n} backward through dropout and activation");
            }

            var weightGradient = $"new {G}.StoreEpilogue<{G}.Fp32Tensor>({Grad(n, "Weight", -1)}, Layout.{n}Inputs)";
            var weightArguments = $"{FloatRegion(n, "Gradient")}, 1, Layout.{n}Units,{Wrap}{FloatValueRegion(plan, plan.InputOf(b))}, Layout.{n}Inputs, 1,{Wrap}" +
                                  $"Layout.{n}Units, Layout.{n}Inputs, v.Rows";
            foreach (var k in Gemm(plan, b, GemmRole.WeightGradient, $"{n}WeightGradient", $"{G}.GpuGemm.SplitConfig(Layout.{n}Units, Layout.{n}Inputs, rows)",
                $"{G}.GpuGemm.RunSplit({gradient}, 1, Layout.{n}Units, {ValueRegion(plan, plan.InputOf(b))}, Layout.{n}Inputs, 1, Layout.{n}Units, Layout.{n}Inputs, v.Rows,\n        v.SplitPartials, {weightGradient})",
                $"{n} weight gradient: gradᵀ·input, the batch split over groups when it is long", weightArguments, $"Layout.{n}Units", $"Layout.{n}Inputs", weightGradient))
                yield return k;
            var library = GemmPlanner.Find(plan, b, GemmRole.WeightGradient)!.LibraryEligible;
            yield return new Kernel($"{n}WeightGradientSum", $"{G}.GpuGemm.SumConfig(Layout.{n}Units, Layout.{n}Inputs)",
                $"{G}.GpuGemm.SumSplits(v.SplitPartials, Layout.{n}Units, Layout.{n}Inputs, v.Rows, {weightGradient})",
                $"{n} weight gradient: the split partial products added in order (launched only when the batch was split)",
                condition: (library ? "!library && " : "") + $"{G}.GpuGemm.Splits(Layout.{n}Units, Layout.{n}Inputs, rows) > 1");
            if (b.HasBias && !b.BiasGradientIsZero)
            {
                yield return new Kernel($"{n}BiasGradient", $"{G}.RowSplit.Config(rows, Layout.{n}Units)",
                    $"{G}.GpuColumnReductions.ColumnSumPartials({gradient}, v.ColumnPartials, v.Rows, Layout.{n}Units)",
                    $"{n} bias gradient: column sums per chunk of the batch, in double");
                yield return new Kernel($"{n}BiasGradientMerge", $"{G}.RowSplit.MergeConfig(Layout.{n}Units)",
                    $"{G}.GpuColumnReductions.ColumnSumMerge(v.ColumnPartials, {Grad(n, "Bias", b.Units)}, v.Rows, Layout.{n}Units)",
                    $"{n} bias gradient: the chunks' sums added in order");
            }
            var step = plan.BackwardSchedule.FirstOrDefault(x => x.Kind == BackwardStepKind.InputGradient && x.Block == b.Index);
            if (step == null) yield break;
            var p = plan.ProducerOf(plan.Values[step.Target])!;
            var previousGradient = Region(p.Name, "Gradient");
            var epilogue = p.ActivationBackwardFusedIntoConsumer
                ? $"new {G}.ActivationBackwardEpilogue<TActivations, {Names.ActivationType(p)}>({previousGradient}, {Region(p.Name, "PreActivation")}, Layout.{n}Inputs, {Names.Activation(p)}, {Dropout(p)})"
                : GradientEpilogue(previousGradient, $"Layout.{n}Inputs", step.Accumulate);
            var inputArguments = $"{FloatRegion(n, "Gradient")}, Layout.{n}Units, 1,{Wrap}{FloatWeight(n)}, Layout.{n}Inputs, 1,{Wrap}v.Rows, Layout.{n}Inputs, Layout.{n}Units";
            foreach (var k in Gemm(plan, b, GemmRole.InputGradient, $"{n}InputGradient", $"{G}.GpuGemm.Config(rows, Layout.{n}Inputs)",
                $"{G}.GpuGemm.Run({gradient}, Layout.{n}Units, 1, {Weight(n)}, Layout.{n}Inputs, 1, v.Rows, Layout.{n}Inputs, Layout.{n}Units,\n        {epilogue})",
                $"{n} input gradient: grad·W" + (p.ActivationBackwardFusedIntoConsumer ? $", fused with {p.Name}'s dropout and activation backward"
                    : step.Accumulate ? $", added to {p.Name}'s gradient (two consumers)" : ""),
                inputArguments, "v.Rows", $"Layout.{n}Inputs", epilogue))
                yield return k;
        }

        private static string GradientEpilogue(string target, string width, bool accumulate) =>
            accumulate ? $"new {G}.AccumulateEpilogue<TActivations>({target}, {width})" : $"new {G}.StoreEpilogue<TActivations>({target}, {width})";

        // ── residual add ──

        private static IEnumerable<Kernel> Residual(ExecutionPlan plan, BlockPlan b)
        {
            if (b.Add == null) yield break;
            var n = b.Name;
            var add = b.Add;
            var skip = ValueRegion(plan, plan.Values[add.Skip]);
            var count = $"v.Rows * Layout.{n}Units";
            var config = $"{G}.GpuElementwise.Config((long)rows * Layout.{n}Units)";
            var shortcut = add.HasProjection ? ValueRegion(plan, plan.Values[add.ProjectionValue]) : skip;
            foreach (var mode in new[] { "", "Inference" })
            {
                var output = mode == "Inference" && b == plan.Last ? "v.OutputTensor" : Region(n, "Output");
                if (add.HasProjection)
                    yield return new Kernel($"{n}{mode}Shortcut", $"{G}.GpuGemm.Config(rows, Layout.{n}Units)",
                        $"{G}.GpuGemm.Run({skip}, Layout.{n}ShortcutInputs, 1, {ShortcutWeight(n)}, 1, Layout.{n}ShortcutInputs, v.Rows, Layout.{n}Units,\n        " +
                        $"Layout.{n}ShortcutInputs, new {G}.StoreEpilogue<TActivations>({shortcut}, Layout.{n}Units))",
                        $"{n} projection shortcut: {add.SkipName}·Pᵀ");
                yield return new Kernel($"{n}{mode}ResidualAdd", config, $"{G}.GpuElementwise.ResidualAdd({output}, {shortcut}, {count})",
                    $"{n} residual: output += {(add.HasProjection ? "the shortcut" : add.SkipName)}");
            }

            var step = plan.BackwardSchedule.First(x => x.Kind == BackwardStepKind.SkipGradient && x.Block == b.Index);
            var skipGradient = Region(plan.ProducerOf(plan.Values[add.Skip])!.Name, "Gradient");
            var gradient = Region(n, "Gradient");
            if (!add.HasProjection)
            {
                yield return new Kernel($"{n}SkipGradient", config,
                    $"{G}.GpuElementwise.AccumulateGradient({skipGradient}, {gradient}, {count}, accumulate: {Bool(step.Accumulate)})",
                    $"{n} residual backward: {add.SkipName}'s gradient {(step.Accumulate ? "+=" : "=")} this block's output gradient");
                yield break;
            }

            var weightGradient = $"new {G}.StoreEpilogue<{G}.Fp32Tensor>({ShortcutWeight(n, gradient: true)}, Layout.{n}ShortcutInputs)";
            yield return new Kernel($"{n}ShortcutWeightGradient", $"{G}.GpuGemm.SplitConfig(Layout.{n}Units, Layout.{n}ShortcutInputs, rows)",
                $"{G}.GpuGemm.RunSplit({gradient}, 1, Layout.{n}Units, {skip}, Layout.{n}ShortcutInputs, 1, Layout.{n}Units, Layout.{n}ShortcutInputs, v.Rows,\n        " +
                $"v.SplitPartials, {weightGradient})",
                $"{n} projection weight gradient: gradᵀ·{add.SkipName}");
            yield return new Kernel($"{n}ShortcutWeightGradientSum", $"{G}.GpuGemm.SumConfig(Layout.{n}Units, Layout.{n}ShortcutInputs)",
                $"{G}.GpuGemm.SumSplits(v.SplitPartials, Layout.{n}Units, Layout.{n}ShortcutInputs, v.Rows, {weightGradient})",
                $"{n} projection weight gradient: the split partial products added in order (launched only when the batch was split)",
                condition: $"{G}.GpuGemm.Splits(Layout.{n}Units, Layout.{n}ShortcutInputs, rows) > 1");
            yield return new Kernel($"{n}SkipGradient", $"{G}.GpuGemm.Config(rows, Layout.{n}ShortcutInputs)",
                $"{G}.GpuGemm.Run({gradient}, Layout.{n}Units, 1, {ShortcutWeight(n)}, Layout.{n}ShortcutInputs, 1, v.Rows, Layout.{n}ShortcutInputs, Layout.{n}Units,\n        " +
                $"{GradientEpilogue(skipGradient, $"Layout.{n}ShortcutInputs", step.Accumulate)})",
                $"{n} projection backward: {add.SkipName}'s gradient {(step.Accumulate ? "+=" : "=")} grad·P");
        }

        // ── inference ──

        private static IEnumerable<Kernel> Inference(ExecutionPlan plan, BlockPlan b)
        {
            var n = b.Name;
            var output = b == plan.Last ? "v.OutputTensor" : Region(n, "Output");
            if (b.Norm == NormKind.BatchNorm)
                yield return new Kernel($"{n}InferenceAffine", $"{G}.RowGroup.Config((Layout.{n}Units + {G}.RowGroup.Size - 1) / {G}.RowGroup.Size)",
                    $"{G}.GpuNorm.InferenceAffine(Layout.{n}Units, {Param(n, "Gamma", b.Units)}, {Param(n, "Beta", b.Units)}, {Stat(n, "RunningMean")}, {Stat(n, "RunningVariance")},\n        {Names.Float(b.Eps)}, {Scratch(n, "InferenceScale")}, {Scratch(n, "InferenceShift")})",
                    $"{n} eval-mode BatchNorm folded into a per-feature scale and shift");
            var folded = b.Norm == NormKind.BatchNorm;
            var gemmOutput = b.HasNorm && !folded ? Region(n, "PreActivation") : output;
            var activation = b.HasNorm && !folded ? Names.Identity : Names.Activation(b);
            var activationType = b.HasNorm && !folded ? Names.Kernels + ".Identity" : Names.ActivationType(b);
            var outputType = gemmOutput == "v.OutputTensor" ? G + ".Fp32Tensor" : "TActivations";
            var affine = folded ? $"{Scratch(n, "InferenceScale")}, {Scratch(n, "InferenceShift")}, true" : "v.Scratch, v.Scratch, false";
            var inferenceEpilogue = $"new {G}.InferenceEpilogue<{outputType}, {activationType}>({gemmOutput}, {Bias(b)}, {Bool(b.HasBias)}, {affine}, Layout.{n}Units, {activation})";
            var inferenceArguments = $"{FloatValueRegion(plan, plan.InputOf(b))}, Layout.{n}Inputs, 1,{Wrap}{FloatWeight(n)}, 1, Layout.{n}Inputs,{Wrap}v.Rows, Layout.{n}Units, Layout.{n}Inputs";
            foreach (var k in Gemm(plan, b, GemmRole.Inference, $"{n}Inference", $"{G}.GpuGemm.Config(rows, Layout.{n}Units)",
                $"{G}.GpuGemm.Run({ValueRegion(plan, plan.InputOf(b))}, Layout.{n}Inputs, 1, {Weight(n)}, 1, Layout.{n}Inputs, v.Rows, Layout.{n}Units, Layout.{n}Inputs,\n        {inferenceEpilogue})",
                $"{n} inference: input·Wᵀ + b" + (folded ? ", eval-mode BatchNorm and activation" : b.HasNorm ? "" : " and activation"),
                inferenceArguments, "v.Rows", $"Layout.{n}Units", inferenceEpilogue))
                yield return k;
            if (b.HasNorm && !folded)
                yield return new Kernel($"{n}InferenceNormalize", $"{G}.RowGroup.Config(rows * {Groups(b)})",
                    $"{G}.GpuNorm.GroupNormForward({Region(n, "PreActivation")}, {Param(n, "Gamma", b.Units)}, {Param(n, "Beta", b.Units)}, {RowInverseStd(b)}, {output},\n        Layout.{n}Units, groups: {Groups(b)}, eps: {Names.Float(b.Eps)}, hasOutput: true, {Names.Activation(b)}, {NoDropout})",
                    $"{n} inference {b.Norm} and activation");
        }

        // ── loss ──

        private static IEnumerable<Kernel> Loss(ExecutionPlan plan)
        {
            var last = plan.Last.Name;
            var config = DeviceNetworkWriter.LossConfig(plan.Loss);
            yield return new Kernel("Loss", config,
                DeviceNetworkWriter.LossCall(plan.Loss, Region(last, "Output"), Region(last, "Gradient"), true, "v.LossScale"),
                $"{plan.Loss}: the mean loss's sum, and its gradient times the loss scale into {last}'s gradient");
            yield return new Kernel("EvaluationLoss", config,
                DeviceNetworkWriter.LossCall(plan.Loss, "v.OutputTensor", "v.OutputTensor", false, "1f"), $"{plan.Loss} over the inference outputs");
        }

        // ── launch sequences ──

        private static void WriteTrainStep(SourceWriter w, ExecutionPlan plan)
        {
            var all = Kernels(plan).ToDictionary(k => k.Name);
            using (w.Block("protected override float TrainStepCore(int rows, float lossScale, ulong seed, long step)"))
            {
                w.Line("var v = Views(rows, seed, step, lossScale);");
                w.Line("var library = UseLibraryGemm(rows);");
                foreach (var index in plan.ForwardOrder)
                {
                    var b = plan.Blocks[index];
                    foreach (var suffix in new[] { "Forward", "NormStatistics", "NormMerge", "Normalize", "Shortcut", "ResidualAdd" })
                        Launch(w, all, b.Name + suffix);
                }
                w.Line("ClearSums();");
                Launch(w, all, "Loss");
                w.Line("// The plan's backward schedule: per block, a residual skip's gradient, the block's own backward, its input gradient.");
                foreach (var step in plan.BackwardSchedule)
                {
                    var n = plan.Blocks[step.Block].Name;
                    var suffixes = step.Kind == BackwardStepKind.SkipGradient
                        ? new[] { "ShortcutWeightGradient", "ShortcutWeightGradientSum", "SkipGradient" }
                        : step.Kind == BackwardStepKind.GroupBackward
                            ? new[] { "NormBackward", "NormParameterMerge", "NormInputGradient", "ActivationBackward", "WeightGradient", "WeightGradientSum",
                                "BiasGradient", "BiasGradientMerge" }
                            : new[] { "InputGradient" };
                    foreach (var suffix in suffixes) Launch(w, all, n + suffix);
                }
                w.Line(DeviceNetworkWriter.MeanLoss(plan.Loss));
            }
            w.Line();
        }

        private static void WritePredict(SourceWriter w, ExecutionPlan plan)
        {
            var all = Kernels(plan).ToDictionary(k => k.Name);
            using (w.Block("protected override void PredictCore(int rows)"))
            {
                w.Line("var v = Views(rows);");
                w.Line("var library = UseLibraryGemm(rows);");
                foreach (var index in plan.ForwardOrder)
                {
                    var b = plan.Blocks[index];
                    foreach (var suffix in new[] { "InferenceAffine", "Inference", "InferenceNormalize", "InferenceShortcut", "InferenceResidualAdd" })
                        Launch(w, all, b.Name + suffix);
                }
            }
            w.Line();
        }

        private static void WriteEvaluateLoss(SourceWriter w, ExecutionPlan plan)
        {
            var all = Kernels(plan).ToDictionary(k => k.Name);
            using (w.Block("protected override float EvaluateLossCore(int rows)"))
            {
                w.Line("PredictCore(rows);");
                w.Line("var v = Views(rows);");
                w.Line("ClearLossSum();");
                Launch(w, all, "EvaluationLoss");
                w.Line(DeviceNetworkWriter.MeanLoss(plan.Loss));
            }
            w.Line();
        }

        private static void Launch(SourceWriter w, Dictionary<string, Kernel> all, string name)
        {
            if (!all.TryGetValue(name, out var k)) return;
            if (k.LibraryGemm != null)
            {
                w.Line($"if (library) {k.Name}Library(v, rows);");
                w.Line($"else _{Lower(k.Name)}({k.Config}, v);");
                return;
            }

            w.Line(k.Condition == null ? $"_{Lower(k.Name)}({k.Config}, v);" : $"if ({k.Condition}) _{Lower(k.Name)}({k.Config}, v);");
        }

        // ── storage ──

        private static void WriteRowStatistics(SourceWriter w, ExecutionPlan plan)
        {
            w.Line("// LayerNorm/GroupNorm inverse standard deviations per row: normalization statistics, so fp32 in every precision,");
            w.Line("// in their own buffer (the workspace is 16-bit in Fp16/Bf16).");
            var offset = 0;
            foreach (var b in plan.Blocks.Where(b => b.HasNorm && b.Norm != NormKind.BatchNorm))
            {
                w.Line($"private const int {b.Name}RowStatisticsOffset = {offset}; // per row");
                offset += Groups(b);
            }
            w.Line($"private const int RowStatisticsPerRow = {offset};");
            w.Line();
            w.Line("// Elements of the largest weight matrix: the split weight-gradient GEMM keeps partial products of this size.");
            w.Line($"private const int LargestWeight = {plan.Blocks.Max(b => System.Math.Max(b.WeightCount, b.Add?.ProjectionWeightCount(b.Units) ?? 0))};");
            w.Line();
            w.Line("// Features of the widest layer: the batch-split column reductions keep per-feature partials of this width.");
            w.Line($"private const int WidestLayer = {plan.Blocks.Max(b => b.Units)};");
            w.Line();
        }

        private static void WriteGemmChoices(SourceWriter w, ExecutionPlan plan)
        {
            w.Line("// The planner's GEMM choice: eligible GEMMs run as the library GEMM (cuBLAS) + an epilogue kernel from the crossover on.");
            w.Line($"private const int WidestGemmRow = {plan.Blocks.Max(b => System.Math.Max(b.Units, b.Inputs))};");
            w.Line();
            w.Line($"protected override int PlannedGemmCrossoverRows => {GemmPlanner.CrossoverRows};");
            w.Line();
            w.Line("protected override global::System.Collections.Generic.IReadOnlyList<global::DslNet.Devices.GemmChoice> GemmChoices => PlannedGemms;");
            w.Line();
            w.Line("private static readonly global::DslNet.Devices.GemmChoice[] PlannedGemms =");
            w.Line("{");
            foreach (var g in GemmPlanner.Plan(plan))
                w.Line($"    new(\"{g.Operation}\", Layout.{g.Block.Name}Inputs, Layout.{g.Block.Name}Units, LibraryEligible: {Bool(g.LibraryEligible)}),");
            w.Line("};");
            w.Line();
        }

        private static void WriteLibraryGemms(SourceWriter w, List<Kernel> kernels)
        {
            foreach (var k in kernels.Where(k => k.LibraryGemm != null))
            {
                var epilogue = kernels.First(e => e.Name == k.Name + "Epilogue");
                w.Line($"// {k.Comment}: the library GEMM (fp32 views), then the epilogue kernel.");
                using (w.Block($"private void {k.Name}Library({Views} v, int rows)"))
                {
                    w.Line($"LibraryGemm({k.LibraryGemm});");
                    w.Line($"_{Lower(epilogue.Name)}({epilogue.Config}, v);");
                }
                w.Line();
            }
        }

        // ── spelling ──

        private const string NoDropout = DeviceNetworkWriter.NoDropout;

        /// <summary>A line break inside a long argument list of the generated code.</summary>
        private const string Wrap = "\n    ";

        private static string Dropout(BlockPlan b) =>
            b.HasDropout ? $"new {G}.GpuDropout({Names.Float(b.DropoutRate)}, v.Seed, v.Step, layer: {b.Index})" : NoDropout;

        private static string Region(string block, string part) =>
            $"{(part == "Gradient" ? "ActivationGradients" : "Activations")}(v, Layout.{block}{part}Offset, Layout.{block}Units)";

        /// <summary>A value's region (the network input's tensor for the input).</summary>
        private static string ValueRegion(ExecutionPlan plan, ValuePlan value)
        {
            if (value.Id == ValuePlan.NetworkInput) return "v.InputTensor";
            var producer = plan.ProducerOf(value)!;
            return Region(producer.Name, value.Id == producer.OutputValue ? "Output" : "Shortcut");
        }

        /// <summary>A value's region as a plain fp32 view, for the library GEMM (which runs in Precision.Fp32 only).</summary>
        private static string FloatValueRegion(ExecutionPlan plan, ValuePlan value)
        {
            if (value.Id == ValuePlan.NetworkInput) return "v.Inputs";
            var producer = plan.ProducerOf(value)!;
            return FloatRegion(producer.Name, value.Id == producer.OutputValue ? "Output" : "Shortcut");
        }

        private static string FloatRegion(string block, string part) => $"v.Region(Layout.{block}{part}Offset, Layout.{block}Units)";

        private static string FloatWeight(string block) => $"v.Parameters.SubView(Layout.{block}WeightOffset, Layout.{block}Units * Layout.{block}Inputs)";

        private static string ShortcutWeight(string block, bool gradient = false) =>
            $"v.{(gradient ? "Gradient" : "Parameter")}Tensor(Layout.{block}ShortcutWeightOffset, Layout.{block}Units * Layout.{block}ShortcutInputs)";

        private static string RowInverseStd(BlockPlan b) => $"v.RowStatisticsRegion({b.Name}RowStatisticsOffset, {Groups(b)})";

        private static string Weight(string block) => $"v.ParameterTensor(Layout.{block}WeightOffset, Layout.{block}Units * Layout.{block}Inputs)";

        private static string Param(string block, string part, int length) => $"v.Parameters.SubView(Layout.{block}{part}Offset, Layout.{block}Units)";

        private static string Grad(string block, string part, int length) =>
            part == "Weight" ? $"v.GradientTensor(Layout.{block}WeightOffset, Layout.{block}Units * Layout.{block}Inputs)" : $"v.GradientTensor(Layout.{block}{part}Offset, Layout.{block}Units)";

        private static string Stat(string block, string part) => $"v.Statistics.SubView(Layout.{block}{part}Offset, Layout.{block}Units)";

        private static string Scratch(string block, string part) => $"v.Scratch.SubView(Layout.{block}{part}Offset, Layout.{block}Units)";

        private static string Bias(BlockPlan b) => b.HasBias ? Param(b.Name, "Bias", b.Units) : "v.Parameters";

        private static int Groups(BlockPlan b) => b.Norm == NormKind.LayerNorm ? 1 : b.Groups;

        private static string Bool(bool value) => value ? "true" : "false";

        private static string Lower(string name) => char.ToLowerInvariant(name[0]) + name.Substring(1);
    }
}
