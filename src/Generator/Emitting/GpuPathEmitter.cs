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
                    var shape = "new global::DslNet.Devices.NetworkShape(" + CallLayout.Group("ParameterCount", "RunningStatisticCount", "Layout.ScratchLength") + ", " +
                                CallLayout.Group("Layout.ActivationsPerRow", "InputSize", "OutputSize", DeviceNetworkWriter.TargetsPerRow(plan.Loss)) + ", " +
                                CallLayout.Group("RowStatisticsPerRow", "LargestWeight", "WidestLayer", "WidestGemmRow") + ")";
                    using (w.Block("public GpuPath(global::DslNet.Device device, global::DslNet.Precision precision)\n" +
                                   "    : " + CallLayout.Fit($"base(device, precision, {shape})", w.Column + 6).Replace("\n", "\n    ")))
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
                        w.Line("    " + CallLayout.Fit(NameArguments(k.Body), w.Column + 4, trailing: 1).Replace("\n", "\n    ") + ";");
                        w.Line();
                    }
                }
            }
            return w.ToString();
        }

        /// <summary>A fused tiled GEMM kernel and, when the planner lets it use the library GEMM, its epilogue kernel over the
        /// library's product (the same epilogue struct, so both paths store the same values).</summary>
        private static IEnumerable<GpuKernel> Gemm(ExecutionPlan plan, BlockPlan b, GemmRole role, string name, string config, string tiledBody,
            string comment, string libraryArguments, string m, string n, string epilogue)
        {
            var planned = GemmPlanner.Find(plan, b, role);
            var library = planned != null && planned.LibraryEligible;
            yield return new GpuKernel(name, config, tiledBody, comment, libraryGemm: library ? libraryArguments : null);
            if (library)
                yield return new GpuKernel(name + "Epilogue", $"{G}.GpuElementwise.Config((long){m.Replace("v.Rows", "rows")} * {n.Replace("v.Rows", "rows")})",
                    $"{G}.GpuGemm.ApplyEpilogue(v.GemmProduct, {m}, {n},\n        {epilogue})",
                    comment + " (epilogue of the library GEMM)");
        }

        private static IEnumerable<GpuKernel> Kernels(ExecutionPlan plan)
        {
            foreach (var b in plan.Blocks)
            {
                foreach (var k in InputNorm(plan, b)) yield return k;
                foreach (var k in Forward(plan, b)) yield return k;
                foreach (var k in Residual(plan, b)) yield return k;
                foreach (var k in Backward(plan, b)) yield return k;
                foreach (var k in Inference(plan, b)) yield return k;
            }
            foreach (var k in Loss(plan)) yield return k;
        }

        // ── training forward ──

        private static IEnumerable<GpuKernel> Forward(ExecutionPlan plan, BlockPlan b)
        {
            var n = b.Name;
            var input = DenseInput(plan, b);
            var epilogue = $"new {G}.BiasActivationEpilogue<TActivations, {Names.ActivationType(b)}>({Region(n, "PreActivation")}, {Bias(b)}, HasBias: {Bool(b.HasBias)}, " +
                           $"{Region(n, "Output")}, HasOutput: {Bool(!b.HasNorm)}, Layout.{n}Units, {Names.Activation(b)}, {(b.HasNorm ? NoDropout : Dropout(b))})";
            var libraryArguments = $"{FloatDenseInput(plan, b)}, Layout.{n}Inputs, 1,{Wrap}{FloatWeight(n)}, 1, Layout.{n}Inputs,{Wrap}v.Rows, Layout.{n}Units, Layout.{n}Inputs";
            foreach (var k in Gemm(plan, b, GemmRole.Forward, $"{n}Forward", $"{G}.GpuGemm.Config(rows, Layout.{n}Units)",
                $"{G}.GpuGemm.Run({input}, Layout.{n}Inputs, 1, {Weight(n)}, 1, Layout.{n}Inputs, v.Rows, Layout.{n}Units, Layout.{n}Inputs,\n        {epilogue})",
                $"{n} forward: preActivation = input·Wᵀ + b" + (b.HasNorm ? "" : ", output = dropout(activation(preActivation))"),
                libraryArguments, "v.Rows", $"Layout.{n}Units", epilogue))
                yield return k;
            if (b.HasNorm)
                foreach (var k in Norm(b).GpuForward(new Layers.NormSite(b), NormArguments(b)))
                    yield return k;
        }

        /// <summary>
        /// A pre-activation block's input normalization: the input copied (a skip reads it as it is), normalized in place
        /// and activated into the region its Dense reads; in backward, the Dense's input gradient taken back through them
        /// and written or added to the input's gradient.
        /// </summary>
        private static IEnumerable<GpuKernel> InputNorm(ExecutionPlan plan, BlockPlan b)
        {
            if (!b.HasInputNorm) yield break;
            var n = b.Name;
            var site = new Layers.NormSite(b);
            var arguments = NormArguments(b);
            var config = $"{G}.GpuElementwise.Config((long)rows * Layout.{n}Inputs)";
            yield return new GpuKernel($"{n}InputCopy", config,
                $"{G}.GpuElementwise.Copy({ValueRegion(plan, plan.InputOf(b))}, {arguments.Values}, v.Rows * Layout.{n}Inputs)",
                $"{n} input copied for its normalization (the input stays as it is)");
            foreach (var k in Norm(b).GpuForward(site, arguments)) yield return k;
            foreach (var k in Norm(b).GpuBackward(site, arguments)) yield return k;
            foreach (var k in Norm(b).GpuInference(site, arguments, ValueRegion(plan, plan.InputOf(b)), arguments.Output)) yield return k;

            var step = plan.BackwardSchedule.First(x => x.Kind == BackwardStepKind.InputGradient && x.Block == b.Index);
            if (step.Target == ValuePlan.NetworkInput) yield break;
            var target = plan.ProducerOf(plan.Values[step.Target])!;
            yield return new GpuKernel($"{n}InputNormGradient", config,
                $"{G}.GpuElementwise.AccumulateGradient({Region(target.Name, "Gradient")}, {arguments.Gradient}, v.Rows * Layout.{n}Inputs, " +
                $"accumulate: {Bool(step.Accumulate)})",
                $"{n} input normalization backward: {target.Name}'s gradient {(step.Accumulate ? "+=" : "=")} its input gradient");
        }

        /// <summary>How a block's normalization reads and writes its regions: after the Dense, the pre-activation (z, then x̂),
        /// output and gradient with the block's activation and dropout; before it, its own regions and activation.</summary>
        private static Layers.GpuNormArguments NormArguments(BlockPlan b)
        {
            var n = b.Name;
            var rowInverseStd = $"v.RowStatisticsRegion({n}RowStatisticsOffset, {new Layers.NormSite(b).Groups})";
            if (!b.HasInputNorm)
                return new Layers.GpuNormArguments(Region(n, "PreActivation"), Region(n, "Output"), Region(n, "Gradient"), rowInverseStd,
                    Names.Activation(b), Dropout(b));
            var activation = b.InputNorm!.Activation;
            return new Layers.GpuNormArguments(InputsRegion(n, "Normalized"), InputsRegion(n, "NormOutput"), InputsRegion(n, "NormGradient", gradient: true),
                rowInverseStd, Layers.LayerRegistry.Activation(activation.Kind).Functor(activation), NoDropout);
        }

        // ── backward ──

        private static IEnumerable<GpuKernel> Backward(ExecutionPlan plan, BlockPlan b)
        {
            var n = b.Name;
            var gradient = Region(n, "Gradient");
            if (b.HasNorm)
            {
                foreach (var k in Norm(b).GpuBackward(new Layers.NormSite(b), NormArguments(b)))
                    yield return k;
            }
            else if (!b.ActivationBackwardFusedIntoConsumer && !b.IsIdentityOutput)
            {
                yield return new GpuKernel($"{n}ActivationBackward", $"{G}.GpuElementwise.Config((long)rows * Layout.{n}Units)",
                    $"{G}.GpuElementwise.ActivationBackward({gradient}, {Region(n, "PreActivation")}, v.Rows * Layout.{n}Units, {Names.Activation(b)}, {Dropout(b)})",
                    $"{n} backward through dropout and activation");
            }

            var weightGradient = $"new {G}.StoreEpilogue<{G}.Fp32Tensor>({Grad(n, "Weight", -1)}, Layout.{n}Inputs)";
            var weightArguments = $"{FloatRegion(n, "Gradient")}, 1, Layout.{n}Units,{Wrap}{FloatDenseInput(plan, b)}, Layout.{n}Inputs, 1,{Wrap}" +
                                  $"Layout.{n}Units, Layout.{n}Inputs, v.Rows";
            foreach (var k in Gemm(plan, b, GemmRole.WeightGradient, $"{n}WeightGradient", $"{G}.GpuGemm.SplitConfig(Layout.{n}Units, Layout.{n}Inputs, rows)",
                $"{G}.GpuGemm.RunSplit({gradient}, 1, Layout.{n}Units, {DenseInput(plan, b)}, Layout.{n}Inputs, 1, Layout.{n}Units, Layout.{n}Inputs, v.Rows,\n        v.SplitPartials, {weightGradient})",
                $"{n} weight gradient: gradᵀ·input, the batch split over groups when it is long", weightArguments, $"Layout.{n}Units", $"Layout.{n}Inputs", weightGradient))
                yield return k;
            var library = GemmPlanner.Find(plan, b, GemmRole.WeightGradient)!.LibraryEligible;
            yield return new GpuKernel($"{n}WeightGradientSum", $"{G}.GpuGemm.SumConfig(Layout.{n}Units, Layout.{n}Inputs)",
                $"{G}.GpuGemm.SumSplits(v.SplitPartials, Layout.{n}Units, Layout.{n}Inputs, v.Rows, {weightGradient})",
                $"{n} weight gradient: the split partial products added in order (launched only when the batch was split)",
                condition: (library ? "!library && " : "") + $"{G}.GpuGemm.Splits(Layout.{n}Units, Layout.{n}Inputs, rows) > 1");
            if (b.HasBias && !b.BiasGradientIsZero)
            {
                yield return new GpuKernel($"{n}BiasGradient", $"{G}.RowSplit.Config(rows, Layout.{n}Units)",
                    $"{G}.GpuColumnReductions.ColumnSumPartials({gradient}, v.ColumnPartials, v.Rows, Layout.{n}Units)",
                    $"{n} bias gradient: column sums per chunk of the batch, in double");
                yield return new GpuKernel($"{n}BiasGradientMerge", $"{G}.RowSplit.MergeConfig(Layout.{n}Units)",
                    $"{G}.GpuColumnReductions.ColumnSumMerge(v.ColumnPartials, {Grad(n, "Bias", b.Units)}, v.Rows, Layout.{n}Units)",
                    $"{n} bias gradient: the chunks' sums added in order");
            }
            var step = plan.BackwardSchedule.FirstOrDefault(x => x.Kind == BackwardStepKind.InputGradient && x.Block == b.Index);
            if (step == null) yield break;
            if (b.HasInputNorm)
            {
                var normEpilogue = GradientEpilogue(InputsRegion(n, "NormGradient", gradient: true), $"Layout.{n}Inputs", accumulate: false);
                foreach (var k in InputGradientGemm(plan, b, normEpilogue, $"{n} input gradient: grad·W, into its input normalization's gradient"))
                    yield return k;
                yield break;
            }
            var p = plan.ProducerOf(plan.Values[step.Target])!;
            var previousGradient = Region(p.Name, "Gradient");
            var epilogue = p.ActivationBackwardFusedIntoConsumer
                ? $"new {G}.ActivationBackwardEpilogue<TActivations, {Names.ActivationType(p)}>({previousGradient}, {Region(p.Name, "PreActivation")}, Layout.{n}Inputs, {Names.Activation(p)}, {Dropout(p)})"
                : GradientEpilogue(previousGradient, $"Layout.{n}Inputs", step.Accumulate);
            var comment = $"{n} input gradient: grad·W" + (p.ActivationBackwardFusedIntoConsumer ? $", fused with {p.Name}'s dropout and activation backward"
                : step.Accumulate ? $", added to {p.Name}'s gradient (two consumers)" : "");
            foreach (var k in InputGradientGemm(plan, b, epilogue, comment))
                yield return k;
        }

        private static IEnumerable<GpuKernel> InputGradientGemm(ExecutionPlan plan, BlockPlan b, string epilogue, string comment)
        {
            var n = b.Name;
            var gradient = Region(n, "Gradient");
            var inputArguments = $"{FloatRegion(n, "Gradient")}, Layout.{n}Units, 1,{Wrap}{FloatWeight(n)}, Layout.{n}Inputs, 1,{Wrap}v.Rows, Layout.{n}Inputs, Layout.{n}Units";
            foreach (var k in Gemm(plan, b, GemmRole.InputGradient, $"{n}InputGradient", $"{G}.GpuGemm.Config(rows, Layout.{n}Inputs)",
                $"{G}.GpuGemm.Run({gradient}, Layout.{n}Units, 1, {Weight(n)}, Layout.{n}Inputs, 1, v.Rows, Layout.{n}Inputs, Layout.{n}Units,\n        {epilogue})",
                comment,
                inputArguments, "v.Rows", $"Layout.{n}Inputs", epilogue))
                yield return k;
        }

        private static string GradientEpilogue(string target, string width, bool accumulate) =>
            accumulate ? $"new {G}.AccumulateEpilogue<TActivations>({target}, {width})" : $"new {G}.StoreEpilogue<TActivations>({target}, {width})";

        // ── residual add ──

        private static IEnumerable<GpuKernel> Residual(ExecutionPlan plan, BlockPlan b)
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
                    yield return new GpuKernel($"{n}{mode}Shortcut", $"{G}.GpuGemm.Config(rows, Layout.{n}Units)",
                        $"{G}.GpuGemm.Run({skip}, Layout.{n}ShortcutInputs, 1, {ShortcutWeight(n)}, 1, Layout.{n}ShortcutInputs, v.Rows, Layout.{n}Units,\n        " +
                        $"Layout.{n}ShortcutInputs, new {G}.StoreEpilogue<TActivations>({shortcut}, Layout.{n}Units))",
                        $"{n} projection shortcut: {add.SkipName}·Pᵀ");
                yield return new GpuKernel($"{n}{mode}ResidualAdd", config, $"{G}.GpuElementwise.ResidualAdd({output}, {shortcut}, {count})",
                    $"{n} residual: output += {(add.HasProjection ? "the shortcut" : add.SkipName)}");
            }

            var step = plan.BackwardSchedule.First(x => x.Kind == BackwardStepKind.SkipGradient && x.Block == b.Index);
            var skipGradient = Region(plan.ProducerOf(plan.Values[add.Skip])!.Name, "Gradient");
            var gradient = Region(n, "Gradient");
            if (!add.HasProjection)
            {
                yield return new GpuKernel($"{n}SkipGradient", config,
                    $"{G}.GpuElementwise.AccumulateGradient({skipGradient}, {gradient}, {count}, accumulate: {Bool(step.Accumulate)})",
                    $"{n} residual backward: {add.SkipName}'s gradient {(step.Accumulate ? "+=" : "=")} this block's output gradient");
                yield break;
            }

            var weightGradient = $"new {G}.StoreEpilogue<{G}.Fp32Tensor>({ShortcutWeight(n, gradient: true)}, Layout.{n}ShortcutInputs)";
            yield return new GpuKernel($"{n}ShortcutWeightGradient", $"{G}.GpuGemm.SplitConfig(Layout.{n}Units, Layout.{n}ShortcutInputs, rows)",
                $"{G}.GpuGemm.RunSplit({gradient}, 1, Layout.{n}Units, {skip}, Layout.{n}ShortcutInputs, 1, Layout.{n}Units, Layout.{n}ShortcutInputs, v.Rows,\n        " +
                $"v.SplitPartials, {weightGradient})",
                $"{n} projection weight gradient: gradᵀ·{add.SkipName}");
            yield return new GpuKernel($"{n}ShortcutWeightGradientSum", $"{G}.GpuGemm.SumConfig(Layout.{n}Units, Layout.{n}ShortcutInputs)",
                $"{G}.GpuGemm.SumSplits(v.SplitPartials, Layout.{n}Units, Layout.{n}ShortcutInputs, v.Rows, {weightGradient})",
                $"{n} projection weight gradient: the split partial products added in order (launched only when the batch was split)",
                condition: $"{G}.GpuGemm.Splits(Layout.{n}Units, Layout.{n}ShortcutInputs, rows) > 1");
            yield return new GpuKernel($"{n}SkipGradient", $"{G}.GpuGemm.Config(rows, Layout.{n}ShortcutInputs)",
                $"{G}.GpuGemm.Run({gradient}, Layout.{n}Units, 1, {ShortcutWeight(n)}, Layout.{n}ShortcutInputs, 1, v.Rows, Layout.{n}ShortcutInputs, Layout.{n}Units,\n        " +
                $"{GradientEpilogue(skipGradient, $"Layout.{n}ShortcutInputs", step.Accumulate)})",
                $"{n} projection backward: {add.SkipName}'s gradient {(step.Accumulate ? "+=" : "=")} grad·P");
        }

        // ── inference ──

        private static IEnumerable<GpuKernel> Inference(ExecutionPlan plan, BlockPlan b)
        {
            var n = b.Name;
            var output = b == plan.Last ? "v.OutputTensor" : Region(n, "Output");
            var norm = b.HasNorm ? Norm(b).GpuInference(new Layers.NormSite(b), NormArguments(b), Region(n, "PreActivation"), output).ToList() : new List<GpuKernel>();
            foreach (var k in norm.Where(k => k.Name == $"{n}InferenceAffine"))
                yield return k;
            var folded = b.NormOp is { HasRunningStatistics: true };
            var gemmOutput = b.HasNorm && !folded ? Region(n, "PreActivation") : output;
            var activation = b.HasNorm && !folded ? Names.Identity : Names.Activation(b);
            var activationType = b.HasNorm && !folded ? Names.Kernels + ".Identity" : Names.ActivationType(b);
            var outputType = gemmOutput == "v.OutputTensor" ? G + ".Fp32Tensor" : "TActivations";
            var affine = folded ? $"{Scratch(n, "InferenceScale")}, {Scratch(n, "InferenceShift")}, HasAffine: true" : "v.Scratch, v.Scratch, HasAffine: false";
            var inferenceEpilogue = $"new {G}.InferenceEpilogue<{outputType}, {activationType}>({gemmOutput}, {Bias(b)}, HasBias: {Bool(b.HasBias)}, {affine}, Layout.{n}Units, {activation})";
            var inferenceArguments = $"{FloatDenseInput(plan, b)}, Layout.{n}Inputs, 1,{Wrap}{FloatWeight(n)}, 1, Layout.{n}Inputs,{Wrap}v.Rows, Layout.{n}Units, Layout.{n}Inputs";
            foreach (var k in Gemm(plan, b, GemmRole.Inference, $"{n}Inference", $"{G}.GpuGemm.Config(rows, Layout.{n}Units)",
                $"{G}.GpuGemm.Run({DenseInput(plan, b)}, Layout.{n}Inputs, 1, {Weight(n)}, 1, Layout.{n}Inputs, v.Rows, Layout.{n}Units, Layout.{n}Inputs,\n        {inferenceEpilogue})",
                $"{n} inference: input·Wᵀ + b" + (folded ? ", eval-mode BatchNorm and activation" : b.HasNorm ? "" : " and activation"),
                inferenceArguments, "v.Rows", $"Layout.{n}Units", inferenceEpilogue))
                yield return k;
            foreach (var k in norm.Where(k => k.Name == $"{n}InferenceNormalize"))
                yield return k;
        }

        // ── loss ──

        private static IEnumerable<GpuKernel> Loss(ExecutionPlan plan)
        {
            var last = plan.Last.Name;
            var config = DeviceNetworkWriter.LossConfig(plan.Loss);
            yield return new GpuKernel("Loss", config,
                DeviceNetworkWriter.LossCall(plan.Loss, plan.LabelSmoothing, Region(last, "Output"), Region(last, "Gradient"), true, "v.LossScale"),
                $"{plan.Loss}: the mean loss's sum, and its gradient times the loss scale into {last}'s gradient");
            yield return new GpuKernel("EvaluationLoss", config,
                DeviceNetworkWriter.LossCall(plan.Loss, plan.LabelSmoothing, "v.OutputTensor", "v.OutputTensor", false, "1f"), $"{plan.Loss} over the inference outputs");
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
                    var suffixes = b.HasInputNorm
                        ? new[] { "InputCopy", "NormStatistics", "NormMerge", "Normalize", "Forward", "Shortcut", "ResidualAdd" }
                        : new[] { "Forward", "NormStatistics", "NormMerge", "Normalize", "Shortcut", "ResidualAdd" };
                    foreach (var suffix in suffixes)
                        Launch(w, all, b.Name + suffix);
                }
                w.Line("ClearSums();");
                Launch(w, all, "Loss");
                w.Line("// The plan's backward schedule: per block, a residual skip's gradient, the block's own backward, its input gradient.");
                foreach (var step in plan.BackwardSchedule)
                {
                    var b = plan.Blocks[step.Block];
                    foreach (var suffix in BackwardSuffixes(step.Kind, b)) Launch(w, all, b.Name + suffix);
                }
                w.Line(DeviceNetworkWriter.MeanLoss(plan.Loss));
            }
            w.Line();
        }

        /// <summary>The kernels one backward step launches, in order; a block's normalization runs in the step that reaches it.</summary>
        private static string[] BackwardSuffixes(BackwardStepKind kind, BlockPlan b)
        {
            var norm = new[] { "NormBackward", "NormParameterMerge", "NormInputGradient" };
            switch (kind)
            {
                case BackwardStepKind.SkipGradient:
                    return new[] { "ShortcutWeightGradient", "ShortcutWeightGradientSum", "SkipGradient" };
                case BackwardStepKind.GroupBackward:
                    return (b.HasInputNorm ? new string[0] : norm)
                        .Concat(new[] { "ActivationBackward", "WeightGradient", "WeightGradientSum", "BiasGradient", "BiasGradientMerge" }).ToArray();
                default:
                    return b.HasInputNorm ? new[] { "InputGradient" }.Concat(norm).Concat(new[] { "InputNormGradient" }).ToArray() : new[] { "InputGradient" };
            }
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
                    var suffixes = b.HasInputNorm
                        ? new[] { "InferenceAffine", "InputCopy", "InferenceNormalize", "Inference", "InferenceShortcut", "InferenceResidualAdd" }
                        : new[] { "InferenceAffine", "Inference", "InferenceNormalize", "InferenceShortcut", "InferenceResidualAdd" };
                    foreach (var suffix in suffixes)
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

        private static void Launch(SourceWriter w, Dictionary<string, GpuKernel> all, string name)
        {
            if (!all.TryGetValue(name, out var k)) return;
            if (k.LibraryGemm != null)
            {
                w.Line($"if (library) {k.Name}Library(v, rows);");
                w.Line($"else _{Lower(k.Name)}({k.Config}, v);");
                return;
            }

            var launch = $"_{Lower(k.Name)}({k.Config}, v);";
            if (k.Condition == null) w.Line(launch);
            else if (w.Column + k.Condition.Length + launch.Length + 5 <= CallLayout.MaxLineLength) w.Line($"if ({k.Condition}) {launch}");
            else w.Line($"if ({k.Condition})\n    {launch}");
        }

        // ── storage ──

        private static void WriteRowStatistics(SourceWriter w, ExecutionPlan plan)
        {
            w.Line("// LayerNorm/GroupNorm inverse standard deviations per row: normalization statistics, so fp32 in every precision,");
            w.Line("// in their own buffer (the workspace is 16-bit in Fp16/Bf16).");
            var offset = 0;
            foreach (var b in plan.Blocks.Where(b => b.AnyNorm is { InverseStdPerRow: > 0 }))
            {
                w.Line($"private const int {b.Name}RowStatisticsOffset = {offset}; // per row");
                offset += new Layers.NormSite(b).Groups;
            }
            w.Line($"private const int RowStatisticsPerRow = {offset};");
            w.Line();
            w.Line("// Elements of the largest weight matrix: the split weight-gradient GEMM keeps partial products of this size.");
            w.Line($"private const int LargestWeight = {plan.Blocks.Max(b => System.Math.Max(b.WeightCount, b.Add?.ProjectionWeightCount(b.Units) ?? 0))};");
            w.Line();
            w.Line("// Features of the widest layer: the batch-split column reductions keep per-feature partials of this width.");
            w.Line($"private const int WidestLayer = {plan.Blocks.Max(b => b.HasInputNorm ? System.Math.Max(b.Units, b.Inputs) : b.Units)};");
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

        private static void WriteLibraryGemms(SourceWriter w, List<GpuKernel> kernels)
        {
            foreach (var k in kernels.Where(k => k.LibraryGemm != null))
            {
                var epilogue = kernels.First(e => e.Name == k.Name + "Epilogue");
                w.Line($"// {k.Comment}: the library GEMM (fp32 views), then the epilogue kernel.");
                using (w.Block($"private void {k.Name}Library({Views} v, int rows)"))
                {
                    w.Line(CallLayout.Fit(NameArguments($"LibraryGemm({k.LibraryGemm})"), w.Column, trailing: 1) + ";");
                    w.Line($"_{Lower(epilogue.Name)}({epilogue.Config}, v);");
                }
                w.Line();
            }
        }

        // ── spelling ──

        /// <summary>
        /// A GEMM call with its arguments named and grouped: each matrix with its row and column strides, then m, n and k
        /// (bare numbers there would not say which dimension or stride they are).
        /// </summary>
        private static string NameArguments(string call)
        {
            if (!CallLayout.TrySplit(call, out var head, out var a)) return call;
            string Named(string name, string value) => $"{name}: {value}";
            bool Is(string method) => head.EndsWith(method, System.StringComparison.Ordinal);
            List<string> groups;
            int consumed;
            if ((Is(".GpuGemm.Run") || Is(".GpuGemm.RunSplit") || head == "LibraryGemm") && a.Count >= 9)
            {
                groups = new List<string>
                {
                    CallLayout.Group(a[0], Named("aRow", a[1]), Named("aCol", a[2])),
                    CallLayout.Group(a[3], Named("bRow", a[4]), Named("bCol", a[5])),
                    CallLayout.Group(Named("m", a[6]), Named("n", a[7]), Named("k", a[8])),
                };
                consumed = 9;
            }
            else if (Is(".GpuGemm.SumSplits") && a.Count >= 4)
            {
                groups = new List<string> { a[0], CallLayout.Group(Named("m", a[1]), Named("n", a[2]), Named("k", a[3])) };
                consumed = 4;
            }
            else if (Is(".GpuGemm.ApplyEpilogue") && a.Count >= 3)
            {
                groups = new List<string> { a[0], CallLayout.Group(Named("m", a[1]), Named("n", a[2])) };
                consumed = 3;
            }
            else
                return call;
            groups.AddRange(a.Skip(consumed));
            return head + "(" + string.Join(", ", groups) + ")";
        }

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


        private static string Weight(string block) => $"v.ParameterTensor(Layout.{block}WeightOffset, Layout.{block}Units * Layout.{block}Inputs)";

        private static string Param(string block, string part, int length) => $"v.Parameters.SubView(Layout.{block}{part}Offset, Layout.{block}Units)";

        private static string Grad(string block, string part, int length) =>
            part == "Weight" ? $"v.GradientTensor(Layout.{block}WeightOffset, Layout.{block}Units * Layout.{block}Inputs)" : $"v.GradientTensor(Layout.{block}{part}Offset, Layout.{block}Units)";

        private static string Stat(string block, string part) => $"v.Statistics.SubView(Layout.{block}{part}Offset, Layout.{block}Units)";

        private static string Scratch(string block, string part) => $"v.Scratch.SubView(Layout.{block}{part}Offset, Layout.{block}Units)";

        private static string Bias(BlockPlan b) => b.HasBias ? Param(b.Name, "Bias", b.Units) : "v.Parameters";

        private static Layers.NormDescriptor Norm(BlockPlan b) => Layers.LayerRegistry.Norm(b.AnyNorm!.Kind);

        /// <summary>A region of a block's input width (a pre-activation block's input normalization).</summary>
        private static string InputsRegion(string block, string part, bool gradient = false) =>
            $"{(gradient ? "ActivationGradients" : "Activations")}(v, Layout.{block}{part}Offset, Layout.{block}Inputs)";

        /// <summary>What a block's Dense reads: its input value, or in the pre-activation form its input normalization's output.</summary>
        private static string DenseInput(ExecutionPlan plan, BlockPlan b) =>
            b.HasInputNorm ? InputsRegion(b.Name, "NormOutput") : ValueRegion(plan, plan.InputOf(b));

        private static string FloatDenseInput(ExecutionPlan plan, BlockPlan b) =>
            b.HasInputNorm ? $"v.Region(Layout.{b.Name}NormOutputOffset, Layout.{b.Name}Inputs)" : FloatValueRegion(plan, plan.InputOf(b));

        private static string Bool(bool value) => value ? "true" : "false";

        private static string Lower(string name) => char.ToLowerInvariant(name[0]) + name.Substring(1);
    }
}
