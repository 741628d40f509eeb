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
            w.Line("/// <summary>A training step whose gradients are multiplied by <paramref name=\"lossScale\"/> (dynamic loss scaling); returns the unscaled loss.</summary>");
            using (w.Block("public float TrainStep(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<float> targets, float lossScale)"))
            {
                w.Line($"var rows = global::DslNet.NetworkArguments.Rows(nameof({plan.ClassName}), InputSize, inputs, {TargetsPerRow(plan)}, targets);");
                w.Line("if (_device is not null) return _device.TrainStep(_parameters, _runningStatistics, inputs, targets, rows, lossScale, _seed, _stepCount++);");
                w.Line("EnsureRowCapacity(rows);");
                w.Line("var gather = _monitor.Gathers(_stepCount);");
                w.Line("var watch = gather || _monitor.DetectAnomalies;");
                w.Line();
                for (var i = 0; i < plan.Blocks.Count; i++)
                {
                    var b = plan.Blocks[i];
                    w.Line($"{b.Name}Forward({InputOf(plan, i)}, rows);");
                    w.Line($"if (watch) _monitor.RecordOutput({b.Index}, _stepCount, Workspace(Layout.{b.Name}OutputPerRow, Layout.{b.Name}Units, rows), Layout.{b.Name}Units, gather);");
                }
                w.Line();
                w.Line($"var lossGradient = Workspace(Layout.{last.Name}GradientPerRow, Layout.{last.Name}Units, rows);");
                w.Line($"var loss = {LossCall(plan, $"Workspace(Layout.{last.Name}OutputPerRow, Layout.{last.Name}Units, rows)", "targets", "lossGradient")};");
                w.Line($"if (lossScale != 1f) {K}.Losses.ScaleGradient(lossGradient, lossScale);");
                w.Line("// Scaled first, then stored: the loss scale is what keeps small gradients above fp16's underflow.");
                w.Line("RoundToStorage(lossGradient);");
                w.Line();
                for (var i = plan.Blocks.Count - 1; i >= 0; i--)
                {
                    var b = plan.Blocks[i];
                    w.Line($"{b.Name}Backward({InputOf(plan, i)}, rows);");
                    w.Line($"if (_monitor.DetectAnomalies) _monitor.RecordGradient({b.Index}, _stepCount, Workspace(Layout.{b.Name}GradientPerRow, Layout.{b.Name}Units, rows));");
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
                    w.Line($"{K}.InferenceSplit.Run(this, inputs.Slice(start * InputSize, count * InputSize), InputSize, outputs.Slice(start * OutputSize, count * OutputSize), OutputSize, count);");
                }
            }
            w.Line();
            w.Line("// One share of a batch (InferenceSplit runs the shares on the kernel threads): workspace rows [firstRow, firstRow + rows).");
            using (w.Block($"void {K}.IRowInference.InferRows(global::System.ReadOnlySpan<float> inputs, global::System.Span<float> outputs, int rows, int firstRow)"))
            {
                for (var i = 0; i < plan.Blocks.Count; i++)
                {
                    var b = plan.Blocks[i];
                    var input = i == 0 ? "inputs" : $"Workspace(Layout.{plan.Blocks[i - 1].Name}OutputPerRow, Layout.{plan.Blocks[i - 1].Name}Units, rows, firstRow)";
                    var output = i == plan.Blocks.Count - 1 ? "outputs" : $"Workspace(Layout.{b.Name}OutputPerRow, Layout.{b.Name}Units, rows, firstRow)";
                    w.Line($"{b.Name}Inference({input}, {output}, rows{(UsesWorkspaceInInference(b) ? ", firstRow" : "")});");
                }
            }
            w.Line();
            w.Line("// Eval-mode BatchNorm is an affine map per feature, folded into each block's GEMM epilogue.");
            using (w.Block("private void PrepareInference(int rows)"))
            {
                w.Line("EnsureRowCapacity(global::System.Math.Min(rows, InferenceChunkRows));");
                foreach (var b in plan.Blocks.Where(b => b.Norm == NormKind.BatchNorm))
                {
                    var f = Names.Field(b.Name);
                    w.Line($"{K}.BatchNorm.InferenceAffine({f}.Gamma!.Span, {f}.Beta!.Span, {f}.RunningMean!.Span, {f}.RunningVariance!.Span, {Names.Float(b.Eps)},");
                    w.Line($"    Scratch(Layout.{b.Name}InferenceScale, Layout.{b.Name}Units), Scratch(Layout.{b.Name}InferenceShift, Layout.{b.Name}Units), Layout.{b.Name}Units);");
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
                    w.Line($"var logits = Workspace(Layout.{last.Name}OutputPerRow, Layout.{last.Name}Units, count);");
                    w.Line($"{K}.InferenceSplit.Run(this, inputs.Slice(start * InputSize, count * InputSize), InputSize, logits, OutputSize, count);");
                    var chunkTargets = plan.Loss == LossKind.CrossEntropy
                        ? "targets.Slice(start, count)"
                        : "targets.Slice(start * OutputSize, count * OutputSize)";
                    w.Line($"total += (double){LossCall(plan, "logits", chunkTargets, "global::System.Span<float>.Empty", "count")} * count;");
                }
                w.Line("return (float)(total / rows);");
            }
            w.Line();
        }

        private static void WriteBlock(SourceWriter w, ExecutionPlan plan, BlockPlan b)
        {
            var f = Names.Field(b.Name);
            var shape = $"Layout.{b.Name}Inputs, Layout.{b.Name}Units";
            var bias = b.HasBias ? $"{f}.Bias!.Span" : "global::System.ReadOnlySpan<float>.Empty";
            var biasGradient = b.HasBias && !b.BiasGradientIsZero ? $"{f}.BiasGradient!.Span" : "global::System.Span<float>.Empty";
            var dropout = b.HasDropout ? $"{b.Name}Dropout().RecordingMask({DropoutMask(b)})" : $"{K}.Dropout.None";
            var replayedDropout = b.HasDropout ? $"{b.Name}Dropout().ReplayingMask({DropoutMask(b)})" : $"{K}.Dropout.None";
            var activation = Names.Activation(b);

            w.Line($"// ── {b.Name}: {b.Description} ──");
            w.Line();
            if (b.HasDropout)
            {
                w.Line($"// Masks are keyed by (seed, step, block {b.Index}, element). The forward pass records its kept bits in the");
                w.Line("// workspace and the backward pass replays them: each mask is drawn once per step.");
                w.Line($"private {K}.Dropout {b.Name}Dropout() => new {K}.Dropout({Names.Float(b.DropoutRate)}, _seed, _stepCount, layer: {b.Index});");
                w.Line();
            }

            using (w.Block($"private void {b.Name}Forward(global::System.ReadOnlySpan<float> input, int rows)"))
            {
                w.Line($"var preActivation = Workspace(Layout.{b.Name}PreActivationPerRow, Layout.{b.Name}Units, rows);");
                w.Line($"var output = Workspace(Layout.{b.Name}OutputPerRow, Layout.{b.Name}Units, rows);");
                if (!b.HasNorm)
                {
                    w.Line($"{K}.Dense.Forward(input, {f}.Weight.Span, {bias}, preActivation, output, rows, {shape}, {activation}, {dropout});");
                }
                else
                {
                    w.Line($"{K}.Dense.Forward(input, {f}.Weight.Span, {bias}, preActivation, global::System.Span<float>.Empty, rows, {shape}, {Names.Identity}, {K}.Dropout.None);");
                    w.Line("RoundToStorage(preActivation);");
                    w.Line("// preActivation becomes the normalized values x̂, which the backward pass reuses.");
                    w.Line(NormForward(b, f, activation, dropout));
                }
                w.Line("RoundToStorage(preActivation);");
                w.Line("RoundToStorage(output);");
            }
            w.Line();

            using (w.Block($"private void {b.Name}Backward(global::System.ReadOnlySpan<float> input, int rows)"))
            {
                w.Line($"var gradient = Workspace(Layout.{b.Name}GradientPerRow, Layout.{b.Name}Units, rows);");
                var isLast = b.Index == plan.Blocks.Count - 1;
                if (b.HasNorm)
                {
                    w.Line("// gradient: dL/doutput in, dL/dpreActivation out (dropout, activation and normalization undone).");
                    w.Line(NormBackward(b, f, activation, replayedDropout));
                    w.Line("RoundToStorage(gradient);");
                }
                else if (isLast && !b.IsIdentityOutput)
                {
                    w.Line($"{K}.Dense.BackwardActivation(gradient, Workspace(Layout.{b.Name}PreActivationPerRow, Layout.{b.Name}Units, rows), rows, Layout.{b.Name}Units, {activation}, {replayedDropout});");
                    w.Line("RoundToStorage(gradient);");
                }
                else if (!isLast && !b.IsIdentityOutput)
                {
                    w.Line($"// gradient already holds dL/dpreActivation: {plan.Blocks[b.Index + 1].Name}'s input-gradient GEMM applied this block's");
                    w.Line("// dropout and activation backward in its epilogue.");
                }
                if (b.BiasGradientIsZero)
                    w.Line("// The bias gradient stays exactly zero: BatchNorm subtracts the batch mean, which cancels the bias.");
                w.Line($"{K}.Dense.BackwardWeights(gradient, input, {f}.WeightGradient.Span, {biasGradient}, rows, {shape});");
                if (b.Index > 0)
                {
                    var previous = plan.Blocks[b.Index - 1];
                    w.Line($"var previousGradient = Workspace(Layout.{previous.Name}GradientPerRow, Layout.{previous.Name}Units, rows);");
                    if (previous.BackwardFusesIntoNextGemm && !previous.IsIdentityOutput)
                    {
                        var previousDropout = previous.HasDropout ? $"{previous.Name}Dropout().ReplayingMask({DropoutMask(previous)})" : $"{K}.Dropout.None";
                        w.Line($"{K}.Dense.BackwardInput(gradient, {f}.Weight.Span, previousGradient,");
                        w.Line($"    Workspace(Layout.{previous.Name}PreActivationPerRow, Layout.{previous.Name}Units, rows), rows, {shape}, {Names.Activation(previous)}, {previousDropout});");
                    }
                    else
                    {
                        w.Line($"{K}.Dense.BackwardInput(gradient, {f}.Weight.Span, previousGradient, rows, {shape});");
                    }
                    w.Line("RoundToStorage(previousGradient);");
                }
            }
            w.Line();

            var firstRow = UsesWorkspaceInInference(b) ? ", int firstRow" : "";
            using (w.Block($"private void {b.Name}Inference(global::System.ReadOnlySpan<float> input, global::System.Span<float> output, int rows{firstRow})"))
            {
                switch (b.Norm)
                {
                    case NormKind.None:
                        w.Line($"{K}.Dense.ForwardInference(input, {f}.Weight.Span, {bias}, global::System.ReadOnlySpan<float>.Empty, global::System.ReadOnlySpan<float>.Empty, output, rows, {shape}, {activation});");
                        break;
                    case NormKind.BatchNorm:
                        w.Line($"{K}.Dense.ForwardInference(input, {f}.Weight.Span, {bias}, Scratch(Layout.{b.Name}InferenceScale, Layout.{b.Name}Units), Scratch(Layout.{b.Name}InferenceShift, Layout.{b.Name}Units),");
                        w.Line($"    output, rows, {shape}, {activation});");
                        break;
                    default:
                        w.Line($"var preActivation = Workspace(Layout.{b.Name}PreActivationPerRow, Layout.{b.Name}Units, rows, firstRow);");
                        w.Line($"{K}.Dense.ForwardInference(input, {f}.Weight.Span, {bias}, global::System.ReadOnlySpan<float>.Empty, global::System.ReadOnlySpan<float>.Empty, preActivation, rows, {shape}, {Names.Identity});");
                        w.Line("RoundToStorage(preActivation);");
                        w.Line(NormForward(b, f, activation, $"{K}.Dropout.None", "output", "rows, firstRow"));
                        break;
                }
                w.Line("RoundToStorage(output);");
            }
            w.Line();
        }

        // LayerNorm and GroupNorm normalize a stored pre-activation; eval-mode BatchNorm and plain blocks need no workspace.
        private static bool UsesWorkspaceInInference(BlockPlan b) => b.HasNorm && b.Norm != NormKind.BatchNorm;

        private static string DropoutMask(BlockPlan b) => $"Workspace(Layout.{b.Name}DropoutMaskPerRow, {b.DropoutMaskPerRow}, rows)";

        private static string NormForward(BlockPlan b, string f, string activation, string dropout, string output = "output", string workspaceRows = "rows")
        {
            var common = $"{f}.Gamma!.Span, {f}.Beta!.Span";
            switch (b.Norm)
            {
                case NormKind.BatchNorm:
                    return $"{K}.BatchNorm.ForwardTraining(preActivation, {common}, {f}.RunningMean!.Span, {f}.RunningVariance!.Span,\n" +
                           $"    Scratch(Layout.{b.Name}InverseStd, Layout.{b.Name}Units), {output}, rows, Layout.{b.Name}Units, momentum: {Names.Float(b.Momentum)}, eps: {Names.Float(b.Eps)}, {activation}, {dropout});";
                case NormKind.LayerNorm:
                    return $"{K}.LayerNorm.Forward(preActivation, {common}, Workspace(Layout.{b.Name}InverseStdPerRow, 1, {workspaceRows}), {output}, rows, Layout.{b.Name}Units, eps: {Names.Float(b.Eps)}, {activation}, {dropout});";
                default:
                    return $"{K}.GroupNorm.Forward(preActivation, {common}, Workspace(Layout.{b.Name}InverseStdPerRow, {b.Groups}, {workspaceRows}), {output}, rows, Layout.{b.Name}Units, groups: {b.Groups}, eps: {Names.Float(b.Eps)}, {activation}, {dropout});";
            }
        }

        private static string NormBackward(BlockPlan b, string f, string activation, string dropout)
        {
            var normalized = $"Workspace(Layout.{b.Name}PreActivationPerRow, Layout.{b.Name}Units, rows)";
            var common = $"gradient, {normalized}, {f}.Gamma!.Span, {f}.Beta!.Span";
            var gradients = $"{f}.GammaGradient!.Span, {f}.BetaGradient!.Span";
            switch (b.Norm)
            {
                case NormKind.BatchNorm:
                    return $"{K}.BatchNorm.Backward({common}, Scratch(Layout.{b.Name}InverseStd, Layout.{b.Name}Units), {gradients}, rows, Layout.{b.Name}Units, {activation}, {dropout});";
                case NormKind.LayerNorm:
                    return $"{K}.LayerNorm.Backward({common}, Workspace(Layout.{b.Name}InverseStdPerRow, 1, rows), {gradients}, rows, Layout.{b.Name}Units, {activation}, {dropout});";
                default:
                    return $"{K}.GroupNorm.Backward({common}, Workspace(Layout.{b.Name}InverseStdPerRow, {b.Groups}, rows), {gradients}, rows, Layout.{b.Name}Units, groups: {b.Groups}, {activation}, {dropout});";
            }
        }

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

        private static string InputOf(ExecutionPlan plan, int index) =>
            index == 0 ? "inputs" : $"Workspace(Layout.{plan.Blocks[index - 1].Name}OutputPerRow, Layout.{plan.Blocks[index - 1].Name}Units, rows)";

        private static string TargetsPerRow(ExecutionPlan plan) => plan.Loss == LossKind.CrossEntropy ? "1" : "OutputSize";

        private static string LossCall(ExecutionPlan plan, string logits, string targets, string gradient, string rows = "rows")
        {
            switch (plan.Loss)
            {
                case LossKind.BinaryCrossEntropyWithLogits:
                    return $"{K}.Losses.BinaryCrossEntropyWithLogits({logits}, {targets}, {gradient})";
                case LossKind.CrossEntropy:
                    return $"{K}.Losses.CrossEntropy({logits}, {targets}, {gradient}, {rows}, OutputSize)";
                default:
                    return $"{K}.Losses.MeanSquaredError({logits}, {targets}, {gradient})";
            }
        }
    }
}
