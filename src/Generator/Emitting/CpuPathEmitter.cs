using System.Linq;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;

namespace DslNet.Generator.Emitting
{
    /// <summary>
    /// Writes the CPU path: TrainStep, Predict and EvaluateLoss, and for each block its forward, backward and
    /// inference side by side. Every shape is a constant; each call is one fused kernel from DslNet.Kernels.
    /// </summary>
    internal static class CpuPathEmitter
    {
        private const string K = Names.Kernels;

        public static string Emit(ExecutionPlan plan)
        {
            var w = new SourceWriter();
            FileHeader.Write(w, plan, "CPU forward and backward code", usesKernels: true);
            using (FileHeader.OpenNamespace(w, plan))
            {
                // [GeneratedCode] sits on the model surface's declaration: the parts of a partial class share attributes,
                // and repeating it here would be a duplicate (CS0579).
                using (w.Block($"partial class {plan.ClassName} : {K}.IRowInference"))
                {
                    WriteTrainStep(w, plan);
                    WritePredict(w, plan);
                    WriteEvaluateLoss(w, plan);
                    foreach (var block in plan.Blocks)
                        WriteBlock(w, plan, block);
                    WriteWorkspace(w, plan);
                    WriteStorageRounding(w);
                }
            }
            return w.ToString();
        }

        private static void WriteTrainStep(SourceWriter w, ExecutionPlan plan)
        {
            var last = plan.Last;
            w.Line("/// <summary>");
            w.Line("/// One training step on a batch: forward in training mode (batch statistics, dropout), the loss, and the");
            w.Line("/// backward pass into <see cref=\"Gradients\"/> (overwritten, not accumulated). Returns the mean loss.");
            w.Line("/// </summary>");
            w.Line("public float TrainStep(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<float> targets) =>");
            w.Line("    TrainStep(inputs, targets, lossScale: 1f);");
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// A training step whose gradients are multiplied by <paramref name=\"lossScale\"/> (dynamic loss scaling);");
            w.Line("/// returns the unscaled loss.");
            w.Line("/// </summary>");
            using (w.Block("public float TrainStep(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<float> targets, float lossScale)"))
            {
                w.Line($"var rows = global::DslNet.NetworkArguments.Rows(nameof({plan.ClassName}), InputSize, inputs, {TargetsPerRow(plan)}, targets);");
                w.Line("if (_device is not null) return _device.TrainStep(_parameters, _runningStatistics, inputs, targets, rows, lossScale, _seed, _stepCount++);");
                w.Line("EnsureRowCapacity(rows);");
                w.Line("var gather = _monitor.Gathers(_stepCount);");
                w.Line("var watch = gather || _monitor.DetectAnomalies;");
                w.Line();
                foreach (var index in plan.ForwardOrder)
                {
                    var b = plan.Blocks[index];
                    w.Line($"{b.Name}Forward({ValueSpan(plan, plan.InputOf(b))}, rows);");
                    w.Line($"if (watch) _monitor.RecordOutput({b.Index}, _stepCount, {ValueSpan(plan, plan.OutputOf(b))}, Layout.{b.Name}Units, gather);");
                }
                w.Line();
                w.Line($"var lossGradient = {GradientSpan(plan, plan.OutputOf(last))};");
                w.Line($"var loss = {CpuLossCall.Write(plan.Loss, plan.LabelSmoothing, ValueSpan(plan, plan.OutputOf(last)), "targets", "lossGradient", "rows")};");
                w.Line($"if (lossScale != 1f) {K}.Losses.ScaleGradient(lossGradient, lossScale);");
                w.Line("// Scaled first, then stored: the loss scale is what keeps small gradients above fp16's underflow.");
                w.Line("RoundToStorage(lossGradient);");
                w.Line();
                w.Line("// The plan's backward schedule: per block, a residual skip's gradient, the block's own backward, its input gradient.");
                w.Line("// Each block's parameter gradients are handed over as soon as they are final, except in a step the monitor");
                w.Line("// samples: it reads them after the backward pass, so the caller hands them all over at the end.");
                w.Line("var gradientsReady = watch ? null : GradientsReady;");
                foreach (var step in plan.BackwardSchedule)
                {
                    var b = plan.Blocks[step.Block];
                    switch (step.Kind)
                    {
                        case BackwardStepKind.SkipGradient:
                            w.Line($"{b.Name}BackwardSkip(rows);");
                            break;
                        case BackwardStepKind.GroupBackward:
                            w.Line($"{b.Name}Backward({DenseInput(plan, b)}, rows);");
                            w.Line($"if (_monitor.DetectAnomalies) _monitor.RecordGradient({b.Index}, _stepCount, {GradientSpan(plan, plan.OutputOf(b))});");
                            break;
                        default:
                            w.Line($"{b.Name}BackwardInput(rows);");
                            break;
                    }
                    if (step.ParameterGradientsFinal)
                        w.Line($"gradientsReady?.OnGradientsReady(Layout.{b.Name}ParameterOffset, Layout.{b.Name}ParameterCount);");
                }
                w.Line("if (watch) _monitor.RecordParameterGradients(_stepCount, gather);");
                w.Line();
                w.Line("_stepCount++;");
                w.Line("return loss;");
            }
            w.Line();
        }

        private static void WritePredict(SourceWriter w, ExecutionPlan plan)
        {
            w.Line("/// <summary>Inference mode (running statistics, no dropout): writes each row's raw outputs (logits).</summary>");
            using (w.Block("public void Predict(global::System.ReadOnlySpan<float> inputs, global::System.Span<float> outputs)"))
            {
                w.Line($"var rows = global::DslNet.NetworkArguments.Rows(nameof({plan.ClassName}), InputSize, inputs);");
                w.Line($"global::DslNet.NetworkArguments.Outputs(nameof({plan.ClassName}), rows, OutputSize, outputs);");
                w.Line("if (_device is not null) { _device.Predict(_parameters, _runningStatistics, inputs, outputs, rows); return; }");
                w.Line("PrepareInference(rows);");
                using (w.Block("for (var start = 0; start < rows; start += InferenceChunkRows)"))
                {
                    w.Line("var count = global::System.Math.Min(InferenceChunkRows, rows - start);");
                    w.Line($"{K}.InferenceSplit.Run(this, inputs.Slice(start * InputSize, count * InputSize), InputSize,");
                    w.Line("    outputs.Slice(start * OutputSize, count * OutputSize), OutputSize, count);");
                }
            }
            w.Line();
            w.Line("// One share of a batch (InferenceSplit runs the shares on the kernel threads): workspace rows [firstRow, firstRow + rows).");
            using (w.Block($"void {K}.IRowInference.InferRows(global::System.ReadOnlySpan<float> inputs, global::System.Span<float> outputs, int rows, int firstRow)"))
            {
                foreach (var index in plan.ForwardOrder)
                {
                    var b = plan.Blocks[index];
                    var input = ValueSpan(plan, plan.InputOf(b), firstRow: true);
                    var output = b == plan.Last ? "outputs" : ValueSpan(plan, plan.OutputOf(b), firstRow: true);
                    w.Line($"{b.Name}Inference({input}, {output}, rows{(UsesWorkspaceInInference(b) ? ", firstRow" : "")});");
                }
            }
            w.Line();
            w.Line("// Eval-mode BatchNorm is an affine map per feature, folded into each block's GEMM epilogue.");
            using (w.Block("private void PrepareInference(int rows)"))
            {
                w.Line("EnsureRowCapacity(global::System.Math.Min(rows, InferenceChunkRows));");
                foreach (var b in plan.Blocks.Where(b => b.AnyNorm != null))
                {
                    var prepare = Norm(b).CpuPrepareInference(new Layers.NormSite(b), Names.Field(b.Name));
                    if (prepare != null) w.Line(prepare);
                }
            }
            w.Line();
        }

        private static void WriteEvaluateLoss(SourceWriter w, ExecutionPlan plan)
        {
            var last = plan.Last;
            w.Line("/// <summary>Mean loss over a batch in inference mode; leaves gradients and running statistics untouched.</summary>");
            using (w.Block("public float EvaluateLoss(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<float> targets)"))
            {
                w.Line($"var rows = global::DslNet.NetworkArguments.Rows(nameof({plan.ClassName}), InputSize, inputs, {TargetsPerRow(plan)}, targets);");
                w.Line("if (_device is not null) return _device.EvaluateLoss(_parameters, _runningStatistics, inputs, targets, rows);");
                w.Line("PrepareInference(rows);");
                w.Line("var total = 0.0;");
                using (w.Block("for (var start = 0; start < rows; start += InferenceChunkRows)"))
                {
                    w.Line("var count = global::System.Math.Min(InferenceChunkRows, rows - start);");
                    w.Line($"var logits = Workspace(Layout.{last.Name}OutputOffset, Layout.{last.Name}Units, count);");
                    w.Line($"{K}.InferenceSplit.Run(this, inputs.Slice(start * InputSize, count * InputSize), InputSize, logits, OutputSize, count);");
                    var chunkTargets = plan.Loss == LossKind.CrossEntropy
                        ? "targets.Slice(start, count)"
                        : "targets.Slice(start * OutputSize, count * OutputSize)";
                    w.Line($"var chunkTargets = {chunkTargets};");
                    w.Line($"var chunkLoss = {CpuLossCall.Write(plan.Loss, plan.LabelSmoothing, "logits", "chunkTargets", "global::System.Span<float>.Empty", "count")};");
                    w.Line("total += (double)chunkLoss * count;");
                }
                w.Line("return (float)(total / rows);");
            }
            w.Line();
        }

        private static void WriteBlock(SourceWriter w, ExecutionPlan plan, BlockPlan b)
        {
            w.Line($"// ── {b.Name}: {b.Description} ──");
            w.Line();
            if (b.HasDropout)
            {
                w.Line($"// Masks are keyed by (seed, step, block {b.Index}, element). The forward pass records its kept bits in the");
                w.Line("// workspace and the backward pass replays them: each mask is drawn once per step.");
                w.Line($"private {K}.Dropout {b.Name}Dropout() => new {K}.Dropout({Names.Float(b.DropoutRate)}, _seed, _stepCount, layer: {b.Index});");
                w.Line();
            }

            WriteRegions(w, plan, b);
            WriteInputNormRegions(w, b);
            WriteForward(w, plan, b);
            WriteBackward(w, plan, b);
            WriteBackwardInput(w, plan, b);
            WriteBackwardSkip(w, plan, b);
            WriteInference(w, plan, b);
        }

        private static void WriteRegions(SourceWriter w, ExecutionPlan plan, BlockPlan b)
        {
            string Region(string offset, string width) => $"Workspace(Layout.{b.Name}{offset}, {width}, rows, firstRow)";
            const string none = "default";
            w.Line($"/// <summary>{b.Name}'s regions of the workspace for these rows.</summary>");
            w.Line($"private BlockRegions {b.Name}Regions(int rows, int firstRow = 0) => new(");
            w.Line($"    preActivation: {Region("PreActivationOffset", $"Layout.{b.Name}Units")},");
            w.Line($"    output: {Region("OutputOffset", $"Layout.{b.Name}Units")},");
            w.Line($"    gradient: {Region("GradientOffset", $"Layout.{b.Name}Units")},");
            w.Line($"    rowStatistics: {(b.InverseStdPerRow > 0 ? Region("InverseStdOffset", Names.Int(b.InverseStdPerRow)) : none)},");
            w.Line($"    dropoutMask: {(b.HasDropout ? Region("DropoutMaskOffset", Names.Int(b.DropoutMaskPerRow)) : none)},");
            w.Line($"    shortcut: {(b.HasProjection ? Region("ShortcutOffset", $"Layout.{b.Name}Units") : none)});");
            w.Line();
            if (!b.HasProjection) return;
            var slice = $"Span.Slice(Layout.{b.Name}ShortcutWeightOffset, Layout.{b.Name}Units * Layout.{b.Name}ShortcutInputs)";
            w.Line($"/// <summary>{b.Name}'s projection shortcut weight [{b.Units}, {b.Add!.SkipWidth}] and its gradient.</summary>");
            w.Line($"private global::System.Span<float> {b.Name}ShortcutWeight =>");
            w.Line($"    _parameters.{slice};");
            w.Line($"private global::System.Span<float> {b.Name}ShortcutWeightGradient =>");
            w.Line($"    _parameters.Gradients.{slice};");
            w.Line();
        }

        private static void WriteInputNormRegions(SourceWriter w, BlockPlan b)
        {
            if (!b.HasInputNorm) return;
            string Region(string offset, string width) => $"Workspace(Layout.{b.Name}{offset}, {width}, rows, firstRow)";
            var perRow = b.InputNorm!.Norm.InverseStdPerRow;
            w.Line($"/// <summary>{b.Name}'s input normalization regions of the workspace for these rows (the pre-activation form).</summary>");
            w.Line($"private InputNormRegions {b.Name}InputNormRegions(int rows, int firstRow = 0) => new(");
            w.Line($"    normalized: {Region("NormalizedOffset", $"Layout.{b.Name}Inputs")},");
            w.Line($"    output: {Region("NormOutputOffset", $"Layout.{b.Name}Inputs")},");
            w.Line($"    gradient: {Region("NormGradientOffset", $"Layout.{b.Name}Inputs")},");
            w.Line($"    rowStatistics: {(perRow > 0 ? Region("InverseStdOffset", Names.Int(perRow)) : "default")});");
            w.Line();
        }

        private static void WriteForward(SourceWriter w, ExecutionPlan plan, BlockPlan b)
        {
            var f = Names.Field(b.Name);
            var activation = Names.Activation(b);
            var dropout = b.HasDropout ? $"{b.Name}Dropout().RecordingMask({DropoutMask(b)})" : $"{K}.Dropout.None";
            using (w.Block($"private void {b.Name}Forward(global::System.ReadOnlySpan<float> input, int rows)"))
            {
                if (b.HasInputNorm)
                {
                    w.Line($"// Pre-activation: the Dense reads {DescribeInputNorm(b)}; the input itself stays as it is (a skip reads it too).");
                    w.Line($"var norm = {b.Name}InputNormRegions(rows);");
                    w.Line("input.CopyTo(norm.Normalized);");
                    w.Line(Norm(b).CpuForward(new Layers.NormSite(b), f, "norm.Normalized", InputNormActivation(b), $"{K}.Dropout.None", "norm.Output"));
                    w.Line("RoundToStorage(norm.Normalized);");
                    w.Line("RoundToStorage(norm.Output);");
                    w.Line("input = norm.Output;");
                }
                w.Line($"var regions = {b.Name}Regions(rows);");
                w.Line("var preActivation = regions.PreActivation;");
                w.Line("var output = regions.Output;");
                if (!b.HasNorm)
                {
                    w.Line($"{K}.Dense.Forward(input, {f}.Weight.Span, {Bias(b)},");
                    w.Line($"    preActivation, output, rows, {Shape(b)},");
                    w.Line($"    {activation}, {dropout});");
                }
                else
                {
                    w.Line($"{K}.Dense.Forward(input, {f}.Weight.Span, {Bias(b)},");
                    w.Line($"    preActivation, output: global::System.Span<float>.Empty, rows, {Shape(b)},");
                    w.Line($"    {Names.Identity}, {K}.Dropout.None);");
                    w.Line("RoundToStorage(preActivation);");
                    w.Line("// preActivation becomes the normalized values x̂, which the backward pass reuses.");
                    w.Line(Norm(b).CpuForward(new Layers.NormSite(b), f, "preActivation", activation, dropout, "output"));
                }
                w.Line("RoundToStorage(preActivation);");
                w.Line("RoundToStorage(output);");
                if (b.Add != null) WriteResidualAdd(w, plan, b, "output", firstRow: false);
            }
            w.Line();
        }

        private static void WriteResidualAdd(SourceWriter w, ExecutionPlan plan, BlockPlan b, string output, bool firstRow)
        {
            var add = b.Add!;
            var skip = ValueSpan(plan, plan.Values[add.Skip], firstRow);
            if (add.HasProjection)
            {
                w.Line($"// Residual with a projection: output += {add.SkipName}·Pᵀ (a bias-free Dense shortcut).");
                w.Line($"var shortcut = {ValueSpan(plan, plan.Values[add.ProjectionValue], firstRow)};");
                w.Line($"{K}.Dense.ForwardInference({skip}, {ShortcutWeight(b)},");
                w.Line("    bias: global::System.ReadOnlySpan<float>.Empty,");
                w.Line($"    scale: global::System.ReadOnlySpan<float>.Empty, shift: global::System.ReadOnlySpan<float>.Empty, shortcut, rows,");
                w.Line($"    Layout.{b.Name}ShortcutInputs, Layout.{b.Name}Units, {Names.Identity});");
                w.Line("RoundToStorage(shortcut);");
                w.Line($"{K}.Residual.Add({output}, shortcut);");
            }
            else
            {
                w.Line($"// Residual: output += {add.SkipName}.");
                w.Line($"{K}.Residual.Add({output}, {skip});");
            }
            w.Line($"RoundToStorage({output});");
        }

        private static void WriteBackward(SourceWriter w, ExecutionPlan plan, BlockPlan b)
        {
            var f = Names.Field(b.Name);
            var replayedDropout = b.HasDropout ? $"{b.Name}Dropout().ReplayingMask({DropoutMask(b)})" : $"{K}.Dropout.None";
            using (w.Block($"private void {b.Name}Backward(global::System.ReadOnlySpan<float> input, int rows)"))
            {
                w.Line($"var regions = {b.Name}Regions(rows);");
                w.Line("var gradient = regions.Gradient;");
                if (b.HasNorm)
                {
                    w.Line("// gradient: dL/doutput in, dL/dpreActivation out (dropout, activation and normalization undone).");
                    w.Line(Norm(b).CpuBackward(new Layers.NormSite(b), f, "gradient", "regions.PreActivation", Names.Activation(b), replayedDropout));
                    w.Line("RoundToStorage(gradient);");
                }
                else if (b.ActivationBackwardFusedIntoConsumer)
                {
                    w.Line($"// gradient already holds dL/dpreActivation: {plan.Blocks[b.Index + 1].Name}'s input-gradient GEMM applied this block's");
                    w.Line("// dropout and activation backward in its epilogue.");
                }
                else if (!b.IsIdentityOutput)
                {
                    w.Line($"{K}.Dense.BackwardActivation(gradient, regions.PreActivation, rows, Layout.{b.Name}Units, {Names.Activation(b)},");
                    w.Line($"    {replayedDropout});");
                    w.Line("RoundToStorage(gradient);");
                }
                if (b.BiasGradientIsZero)
                    w.Line("// The bias gradient stays exactly zero: BatchNorm subtracts the batch mean, which cancels the bias.");
                var biasGradient = b.HasBias && !b.BiasGradientIsZero ? $"{f}.BiasGradient!.Span" : "biasGradient: global::System.Span<float>.Empty";
                w.Line($"{K}.Dense.BackwardWeights(gradient, input, {f}.WeightGradient.Span, {biasGradient},");
                w.Line($"    rows, {Shape(b)});");
            }
            w.Line();
        }

        private static void WriteBackwardInput(SourceWriter w, ExecutionPlan plan, BlockPlan b)
        {
            var step = plan.BackwardSchedule.FirstOrDefault(s => s.Kind == BackwardStepKind.InputGradient && s.Block == b.Index);
            if (step == null) return;
            var f = Names.Field(b.Name);
            var target = plan.Values[step.Target];
            if (b.HasInputNorm)
            {
                WriteInputNormBackward(w, plan, b, step, target);
                return;
            }
            var producer = plan.ProducerOf(target)!;
            using (w.Block($"private void {b.Name}BackwardInput(int rows)"))
            {
                w.Line($"var gradient = {b.Name}Regions(rows).Gradient;");
                w.Line($"var inputGradient = {GradientSpan(plan, target)};");
                if (producer.ActivationBackwardFusedIntoConsumer)
                {
                    var dropout = producer.HasDropout ? $"{producer.Name}Dropout().ReplayingMask({DropoutMask(producer)})" : $"{K}.Dropout.None";
                    w.Line($"// {producer.Name}'s dropout and activation backward run in this GEMM's epilogue: inputGradient becomes its dL/dpreActivation.");
                    w.Line($"{K}.Dense.BackwardInput(gradient, {f}.Weight.Span, inputGradient,");
                    w.Line($"    {producer.Name}Regions(rows).PreActivation, rows, {Shape(b)},");
                    w.Line($"    {Names.Activation(producer)}, {dropout});");
                }
                else
                {
                    if (step.Accumulate)
                        w.Line($"// {target.Name} has {target.Consumers.Count} consumers: this adds to the gradient a later block already wrote.");
                    w.Line($"{K}.Dense.BackwardInput(gradient, {f}.Weight.Span, inputGradient, rows, {Shape(b)}, accumulate: {Bool(step.Accumulate)});");
                }
                w.Line("RoundToStorage(inputGradient);");
            }
            w.Line();
        }

        /// <summary>The Dense's input gradient through the input normalization (its γ and β gradients), then into the input's.</summary>
        private static void WriteInputNormBackward(SourceWriter w, ExecutionPlan plan, BlockPlan b, BackwardStep step, ValuePlan target)
        {
            var f = Names.Field(b.Name);
            using (w.Block($"private void {b.Name}BackwardInput(int rows)"))
            {
                w.Line($"var gradient = {b.Name}Regions(rows).Gradient;");
                w.Line($"var norm = {b.Name}InputNormRegions(rows);");
                w.Line($"{K}.Dense.BackwardInput(gradient, {f}.Weight.Span, norm.Gradient, rows, {Shape(b)}, accumulate: false);");
                w.Line("RoundToStorage(norm.Gradient);");
                w.Line("// norm.Gradient: dL/dnorm.Output in, dL/dinput out (the activation and the normalization undone).");
                w.Line(Norm(b).CpuBackward(new Layers.NormSite(b), f, "norm.Gradient", "norm.Normalized", InputNormActivation(b), $"{K}.Dropout.None"));
                w.Line("RoundToStorage(norm.Gradient);");
                if (target.Id == ValuePlan.NetworkInput) return;
                w.Line($"var inputGradient = {GradientSpan(plan, target)};");
                if (step.Accumulate)
                    w.Line($"// {target.Name} has {target.Consumers.Count} consumers: this adds to the gradient a later block already wrote.");
                w.Line($"{K}.Residual.AccumulateGradient(norm.Gradient, inputGradient, accumulate: {Bool(step.Accumulate)});");
                w.Line("RoundToStorage(inputGradient);");
            }
            w.Line();
        }

        private static void WriteBackwardSkip(SourceWriter w, ExecutionPlan plan, BlockPlan b)
        {
            var step = plan.BackwardSchedule.FirstOrDefault(s => s.Kind == BackwardStepKind.SkipGradient && s.Block == b.Index);
            if (step == null) return;
            var add = b.Add!;
            var skip = plan.Values[add.Skip];
            using (w.Block($"private void {b.Name}BackwardSkip(int rows)"))
            {
                w.Line("// Taken before the block's own backward rewrites its output gradient in place.");
                w.Line($"var gradient = {b.Name}Regions(rows).Gradient;");
                w.Line($"var skipGradient = {GradientSpan(plan, skip)};");
                if (add.HasProjection)
                {
                    w.Line($"{K}.Dense.BackwardWeights(gradient, {ValueSpan(plan, skip)}, {ShortcutWeight(b, gradient: true)},");
                    w.Line($"    biasGradient: global::System.Span<float>.Empty, rows, Layout.{b.Name}ShortcutInputs, Layout.{b.Name}Units);");
                    w.Line($"{K}.Dense.BackwardInput(gradient, {ShortcutWeight(b)}, skipGradient,");
                    w.Line($"    rows, Layout.{b.Name}ShortcutInputs, Layout.{b.Name}Units, accumulate: {Bool(step.Accumulate)});");
                }
                else
                {
                    w.Line($"{K}.Residual.AccumulateGradient(gradient, skipGradient, accumulate: {Bool(step.Accumulate)});");
                }
                w.Line("RoundToStorage(skipGradient);");
            }
            w.Line();
        }

        private static void WriteInference(SourceWriter w, ExecutionPlan plan, BlockPlan b)
        {
            var f = Names.Field(b.Name);
            var activation = Names.Activation(b);
            var noAffine = "scale: global::System.ReadOnlySpan<float>.Empty, shift: global::System.ReadOnlySpan<float>.Empty";
            var firstRow = UsesWorkspaceInInference(b) ? ", int firstRow" : "";
            using (w.Block($"private void {b.Name}Inference(global::System.ReadOnlySpan<float> input, global::System.Span<float> output, int rows{firstRow})"))
            {
                if (b.HasInputNorm)
                {
                    w.Line($"var norm = {b.Name}InputNormRegions(rows, firstRow);");
                    w.Line(Norm(b).CpuInputInference(new Layers.NormSite(b), f, "input", InputNormActivation(b)));
                    w.Line("RoundToStorage(norm.Output);");
                    w.Line("input = norm.Output;");
                }
                // A normalization with running statistics folds into the Dense's epilogue; any other runs on its own.
                var folded = b.HasNorm ? Norm(b).CpuInferenceAffine(new Layers.NormSite(b)) : null;
                if (!b.HasNorm || folded != null)
                {
                    w.Line($"{K}.Dense.ForwardInference(input, {f}.Weight.Span, {Bias(b)},");
                    w.Line($"    {folded ?? noAffine},");
                    w.Line($"    output, rows, {Shape(b)}, {activation});");
                }
                else
                {
                    w.Line($"var regions = {b.Name}Regions(rows, firstRow);");
                    w.Line("var preActivation = regions.PreActivation;");
                    w.Line($"{K}.Dense.ForwardInference(input, {f}.Weight.Span, {Bias(b)},");
                    w.Line($"    {noAffine},");
                    w.Line($"    preActivation, rows, {Shape(b)}, {Names.Identity});");
                    w.Line("RoundToStorage(preActivation);");
                    w.Line(Norm(b).CpuForward(new Layers.NormSite(b), f, "preActivation", activation, $"{K}.Dropout.None", "output"));
                }
                w.Line("RoundToStorage(output);");
                if (b.Add != null) WriteResidualAdd(w, plan, b, "output", firstRow: true);
            }
            w.Line();
        }

        // LayerNorm and GroupNorm normalize a stored pre-activation, and a residual reads its skip from the workspace;
        // eval-mode BatchNorm and plain blocks need no workspace.
        private static bool UsesWorkspaceInInference(BlockPlan b) => (b.HasNorm && !b.NormOp!.HasRunningStatistics) || b.HasAdd || b.HasInputNorm;

        private static string DropoutMask(BlockPlan b) => $"{b.Name}Regions(rows).DropoutMask";

        private static Layers.NormDescriptor Norm(BlockPlan b) => Layers.LayerRegistry.Norm(b.AnyNorm!.Kind);

        private static string InputNormActivation(BlockPlan b) =>
            Layers.LayerRegistry.Activation(b.InputNorm!.Activation.Kind).Functor(b.InputNorm.Activation);

        private static string DescribeInputNorm(BlockPlan b) =>
            b.InputNorm!.Activation.Kind == ActivationKind.Identity ? $"{b.InputNorm.Norm.Kind}(input)" : $"{b.InputNorm.Activation.Kind}({b.InputNorm.Norm.Kind}(input))";

        /// <summary>What the block's Dense reads: its input value, or in the pre-activation form its input normalization's output.</summary>
        private static string DenseInput(ExecutionPlan plan, BlockPlan b) =>
            b.HasInputNorm ? $"{b.Name}InputNormRegions(rows).Output" : ValueSpan(plan, plan.InputOf(b));

        private static string Shape(BlockPlan b) => $"Layout.{b.Name}Inputs, Layout.{b.Name}Units";

        private static string Bias(BlockPlan b) =>
            b.HasBias ? $"{Names.Field(b.Name)}.Bias!.Span" : "bias: global::System.ReadOnlySpan<float>.Empty";

        private static string ShortcutWeight(BlockPlan b, bool gradient = false) => $"{b.Name}ShortcutWeight{(gradient ? "Gradient" : "")}";

        private static string Bool(bool value) => value ? "true" : "false";

        private static void WriteWorkspace(SourceWriter w, ExecutionPlan plan)
        {
            w.Line("// ── Workspace: one pinned buffer for every activation and gradient, grown only when a batch is larger than any before ──");
            w.Line();
            using (w.Block("private void EnsureRowCapacity(int rows)"))
            {
                w.Line("_activations = global::DslNet.NetworkArguments.EnsureRows(_activations, Layout.ActivationsPerRow, rows, ref _rowCapacity);");
            }
            w.Line();
            w.Line("private global::System.Span<float> Workspace(int offsetPerRow, int width, int rows, int firstRow = 0) =>");
            w.Line("    new global::System.Span<float>(_activations, offsetPerRow * _rowCapacity + firstRow * width, rows * width);");
            w.Line();
            w.Line("private global::System.Span<float> Scratch(int offset, int length) => new global::System.Span<float>(_scratch, offset, length);");
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// One block's regions of the workspace for a range of rows, by name (llm.c's per-layer activation struct): the Dense");
            w.Line("/// output before the activation (x̂ after a normalization), the block's output and its gradient, the per-row");
            w.Line("/// normalization statistics, the dropout mask bits and a projection shortcut's output. Absent pieces are empty.");
            w.Line("/// </summary>");
            using (w.Block("private readonly ref struct BlockRegions"))
            {
                var names = new[] { "PreActivation", "Output", "Gradient", "RowStatistics", "DropoutMask", "Shortcut" };
                foreach (var name in names)
                    w.Line($"public readonly global::System.Span<float> {name};");
                w.Line();
                w.Line("public BlockRegions(global::System.Span<float> preActivation, global::System.Span<float> output, global::System.Span<float> gradient,");
                using (w.Block("    global::System.Span<float> rowStatistics, global::System.Span<float> dropoutMask, global::System.Span<float> shortcut)"))
                {
                    foreach (var name in names)
                        w.Line($"{name} = {char.ToLowerInvariant(name[0]) + name.Substring(1)};");
                }
            }
            if (plan.Blocks.Any(b => b.HasInputNorm)) WriteInputNormRegionsType(w);
        }

        private static void WriteInputNormRegionsType(SourceWriter w)
        {
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// A pre-activation block's input normalization regions: the copy of the input it normalizes in place (x̂), the");
            w.Line("/// activation of γx̂ + β that its Dense reads, that output's gradient, and the per-row normalization statistics.");
            w.Line("/// </summary>");
            using (w.Block("private readonly ref struct InputNormRegions"))
            {
                var names = new[] { "Normalized", "Output", "Gradient", "RowStatistics" };
                foreach (var name in names)
                    w.Line($"public readonly global::System.Span<float> {name};");
                w.Line();
                w.Line("public InputNormRegions(global::System.Span<float> normalized, global::System.Span<float> output, global::System.Span<float> gradient,");
                using (w.Block("    global::System.Span<float> rowStatistics)"))
                {
                    foreach (var name in names)
                        w.Line($"{name} = {char.ToLowerInvariant(name[0]) + name.Substring(1)};");
                }
            }
        }

        private static void WriteStorageRounding(SourceWriter w)
        {
            w.Line();
            w.Line("// ── Storage precision ──");
            w.Line("//");
            w.Line("// With Precision.Fp16 or Bf16 the workspace stays fp32, but each activation and activation gradient is rounded");
            w.Line("// to the 16-bit format (to nearest even; fp16 overflows to ±∞) where it is stored, so every later read sees");
            w.Line("// exactly what a 16-bit buffer would hold. Parameters, their gradients, normalization statistics, dropout");
            w.Line("// masks and the loss stay fp32. Fp32 rounds nothing.");
            w.Line();
            using (w.Block("private void RoundToStorage(global::System.Span<float> values)"))
            {
                w.Line("if (Precision == global::DslNet.Precision.Fp16)");
                w.Line($"    {K}.StorageRounding.Round(values, default({K}.Float16Storage));");
                w.Line("else if (Precision == global::DslNet.Precision.Bf16)");
                w.Line($"    {K}.StorageRounding.Round(values, default({K}.BFloat16Storage));");
            }
        }

        /// <summary>A value's rows in the workspace (the caller's inputs for the network input).</summary>
        private static string ValueSpan(ExecutionPlan plan, ValuePlan value, bool firstRow = false)
        {
            if (value.Id == ValuePlan.NetworkInput) return "inputs";
            var producer = plan.ProducerOf(value)!;
            var region = value.Id == producer.OutputValue ? "Output" : "Shortcut";
            return $"{producer.Name}Regions(rows{(firstRow ? ", firstRow" : "")}).{region}";
        }

        private static string GradientSpan(ExecutionPlan plan, ValuePlan value) =>
            $"{plan.ProducerOf(value)!.Name}Regions(rows).Gradient";

        private static string TargetsPerRow(ExecutionPlan plan) => plan.Loss == LossKind.CrossEntropy ? "1" : "OutputSize";
    }
}
