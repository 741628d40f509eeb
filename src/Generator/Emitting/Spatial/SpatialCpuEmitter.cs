using System.Linq;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning.Spatial;
using static DslNet.Generator.Emitting.Spatial.SpatialNames;

namespace DslNet.Generator.Emitting.Spatial
{
    /// <summary>
    /// Writes an image model's CPU path: TrainStep walks the plan's steps forward, the loss, then the plan's backward
    /// order; Predict and EvaluateLoss run the eval-mode steps (BatchNorm2d folded into the convolution's epilogue) in
    /// chunks. Each step is one method per pass, side by side (<see cref="SpatialGroupEmitter"/>,
    /// <see cref="SpatialReshapeEmitter"/>); every shape is a constant.
    /// </summary>
    internal static class SpatialCpuEmitter
    {
        public static string Emit(SpatialPlan plan)
        {
            var w = new SourceWriter();
            FileHeader.Write(w, plan.ClassName, "CPU forward and backward code", usesKernels: true);
            using (FileHeader.OpenNamespace(w, plan.Namespace))
            {
                using (w.Block($"partial class {plan.ClassName}"))
                {
                    WriteTrainStep(w, plan);
                    WritePredict(w, plan);
                    WriteEvaluateLoss(w, plan);
                    foreach (var step in plan.Steps)
                    {
                        if (step.Kind == SpatialStepKind.Group) SpatialGroupEmitter.Write(w, plan, step);
                        else SpatialReshapeEmitter.Write(w, plan, step);
                    }
                    WriteWorkspace(w);
                }
            }
            return w.ToString();
        }

        private static void WriteTrainStep(SourceWriter w, SpatialPlan plan)
        {
            w.Wrapped("/// <summary>");
            w.Wrapped("/// One training step on a batch of NCHW image rows: forward in training mode (batch statistics, dropout), the loss,");
            w.Wrapped("/// and the backward pass into <see cref=\"Gradients\"/> (overwritten, not accumulated). Returns the mean loss.");
            w.Wrapped("/// </summary>");
            w.Wrapped("public float TrainStep(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<float> targets) =>");
            w.Wrapped("    TrainStep(inputs, targets, lossScale: 1f);");
            w.Line();
            w.Wrapped("/// <summary>A training step whose gradients are multiplied by <paramref name=\"lossScale\"/>; returns the unscaled loss.</summary>");
            using (w.Block("public float TrainStep(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<float> targets, float lossScale)"))
            {
                w.Wrapped($"var rows = global::DslNet.NetworkArguments.Rows(nameof({plan.ClassName}), InputSize, inputs, {DeviceNetworkWriter.TargetsPerRow(plan.Loss)}, targets);");
                w.Wrapped("if (_device is not null) return _device.TrainStep(_parameters, _runningStatistics, inputs, targets, rows, lossScale, _seed, _stepCount++);");
                w.Wrapped("EnsureRowCapacity(rows);");
                w.Wrapped("var gather = _monitor.Gathers(_stepCount);");
                w.Wrapped("var watch = gather || _monitor.DetectAnomalies;");
                w.Line();
                // A group that runs the max pooling after it (the plan's PoolFusion) also runs that pooling's training passes.
                foreach (var step in plan.Steps)
                {
                    if (!plan.IsFusedPool(step)) w.Wrapped($"{step.Name}Forward({Value(plan.Values[step.Input])}, rows);");
                    var block = plan.Blocks.FirstOrDefault(b => b.OutputValue == step.Output);
                    if (block != null)
                        w.Wrapped($"if (watch) _monitor.RecordOutput({block.Index}, _stepCount, {Value(plan.Values[step.Output])}, " +
                               $"{SpatialNames.Size(plan.Values[step.Output])}, gather);");
                }
                w.Line();
                w.Wrapped($"var lossGradient = {ValueGradient(plan.Output)};");
                w.Wrapped($"var loss = {CpuLossCall.Write(plan.Loss, plan.LabelSmoothing, Value(plan.Output), "targets", "lossGradient", "rows")};");
                w.Wrapped($"if (lossScale != 1f) {K}.Losses.ScaleGradient(lossGradient, lossScale);");
                w.Wrapped("RoundToStorage(lossGradient);");
                w.Line();
                w.Wrapped("// The plan's backward schedule: reverse forward order; a value read twice (a residual skip) has its gradient");
                w.Wrapped("// written by its first contribution and added to by the later one.");
                foreach (var index in plan.BackwardOrder)
                {
                    var step = plan.Steps[index];
                    var block = plan.Blocks.FirstOrDefault(b => b.OutputValue == step.Output);
                    if (block != null)
                        w.Wrapped($"if (_monitor.DetectAnomalies) _monitor.RecordGradient({block.Index}, _stepCount, {ValueGradient(plan.Values[step.Output])});");
                    if (!plan.IsFusedPool(step)) w.Wrapped($"{step.Name}Backward({Value(plan.Values[step.Input])}, rows);");
                }
                w.Wrapped("if (watch) _monitor.RecordParameterGradients(_stepCount, gather);");
                w.Line();
                w.Wrapped("_stepCount++;");
                w.Wrapped("return loss;");
            }
            w.Line();
        }

        private static void WritePredict(SourceWriter w, SpatialPlan plan)
        {
            w.Wrapped("/// <summary>Inference mode (running statistics, no dropout): writes each row's raw outputs (logits).</summary>");
            using (w.Block("public void Predict(global::System.ReadOnlySpan<float> inputs, global::System.Span<float> outputs)"))
            {
                w.Wrapped($"var total = global::DslNet.NetworkArguments.Rows(nameof({plan.ClassName}), InputSize, inputs);");
                w.Wrapped($"global::DslNet.NetworkArguments.Outputs(nameof({plan.ClassName}), total, OutputSize, outputs);");
                w.Wrapped("if (_device is not null) { _device.Predict(_parameters, _runningStatistics, inputs, outputs, total); return; }");
                w.Wrapped("PrepareInference(total);");
                using (w.Block("for (var start = 0; start < total; start += InferenceChunkRows)"))
                {
                    w.Wrapped("var rows = global::System.Math.Min(InferenceChunkRows, total - start);");
                    w.Wrapped("Infer(inputs.Slice(start * InputSize, rows * InputSize), rows);");
                    w.Wrapped($"{Value(plan.Output)}.CopyTo(outputs.Slice(start * OutputSize, rows * OutputSize));");
                }
            }
            w.Line();
            w.Wrapped("// The eval-mode steps on one chunk of rows (each kernel splits its work over the kernel threads).");
            using (w.Block("private void Infer(global::System.ReadOnlySpan<float> inputs, int rows)"))
            {
                foreach (var step in plan.Steps)
                    w.Wrapped($"{step.Name}Inference({Value(plan.Values[step.Input])}, rows);");
            }
            w.Line();
            w.Wrapped("// Eval-mode BatchNorm is an affine map per channel, folded into the convolution's (or Dense's) epilogue.");
            using (w.Block("private void PrepareInference(int rows)"))
            {
                w.Wrapped("EnsureRowCapacity(global::System.Math.Min(rows, InferenceChunkRows));");
                foreach (var step in plan.Steps.Where(s => s.Norm?.Kind == SpatialNormKind.BatchNorm))
                {
                    var norm = step.Norm!;
                    var block = plan.Blocks[step.Block].Name;
                    var c = norm.Channels;
                    w.Wrapped($"{K}.BatchNorm.InferenceAffine({Parameter(block, norm.ParameterPrefix, "Gamma", c)}, {Parameter(block, norm.ParameterPrefix, "Beta", c)},");
                    w.Wrapped($"    {Running(block, norm.ParameterPrefix, "RunningMean", c)}, {Running(block, norm.ParameterPrefix, "RunningVariance", c)}, {Names.Float(norm.Eps)},");
                    w.Wrapped($"    Scratch(Layout.{step.Name}InferenceScaleOffset, {c}), Scratch(Layout.{step.Name}InferenceShiftOffset, {c}), {c});");
                }
            }
            w.Line();
        }

        private static void WriteEvaluateLoss(SourceWriter w, SpatialPlan plan)
        {
            w.Wrapped("/// <summary>Mean loss over a batch in inference mode; leaves gradients and running statistics untouched.</summary>");
            using (w.Block("public float EvaluateLoss(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<float> targets)"))
            {
                w.Wrapped($"var total = global::DslNet.NetworkArguments.Rows(nameof({plan.ClassName}), InputSize, inputs, {DeviceNetworkWriter.TargetsPerRow(plan.Loss)}, targets);");
                w.Wrapped("if (_device is not null) return _device.EvaluateLoss(_parameters, _runningStatistics, inputs, targets, total);");
                w.Wrapped("PrepareInference(total);");
                w.Wrapped("var sum = 0.0;");
                using (w.Block("for (var start = 0; start < total; start += InferenceChunkRows)"))
                {
                    w.Wrapped("var rows = global::System.Math.Min(InferenceChunkRows, total - start);");
                    w.Wrapped("Infer(inputs.Slice(start * InputSize, rows * InputSize), rows);");
                    var chunkTargets = plan.Loss == LossKind.CrossEntropy ? "targets.Slice(start, rows)" : "targets.Slice(start * OutputSize, rows * OutputSize)";
                    w.Wrapped($"var chunkLoss = {CpuLossCall.Write(plan.Loss, plan.LabelSmoothing, Value(plan.Output), chunkTargets, EmptySpan, "rows")};");
                    w.Wrapped("sum += (double)chunkLoss * rows;");
                }
                w.Wrapped("return (float)(sum / total);");
            }
            w.Line();
        }

        private static void WriteWorkspace(SourceWriter w)
        {
            w.Wrapped("// ── Workspace: one pinned buffer for every activation and gradient, grown only when a batch is larger than any before ──");
            w.Line();
            using (w.Block("private void EnsureRowCapacity(int rows)"))
                w.Wrapped("_activations = global::DslNet.NetworkArguments.EnsureRows(_activations, Layout.ActivationsPerRow, rows, ref _rowCapacity);");
            w.Line();
            w.Wrapped("private global::System.Span<float> Workspace(int offsetPerRow, int width, int rows) =>");
            w.Wrapped("    new global::System.Span<float>(_activations, offsetPerRow * _rowCapacity, rows * width);");
            w.Line();
            w.Wrapped("private global::System.Span<int> Indices(int offsetPerRow, int width, int rows) =>");
            w.Wrapped("    global::System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(Workspace(offsetPerRow, width, rows));");
            w.Line();
            w.Wrapped("private global::System.Span<float> Scratch(int offset, int length) => new global::System.Span<float>(_scratch, offset, length);");
            w.Line();
            w.Wrapped("private global::System.Span<float> Parameter(int offset, int length) => _parameters.Span.Slice(offset, length);");
            w.Line();
            w.Wrapped("private global::System.Span<float> Gradient(int offset, int length) => _parameters.Gradients.Span.Slice(offset, length);");
            w.Line();
            w.Wrapped("private global::System.Span<float> Running(int offset, int length) => _runningStatistics.Span.Slice(offset, length);");
            w.Line();
            w.Wrapped("// With Precision.Fp16 or Bf16 each stored activation and activation gradient is rounded to the 16-bit format, so");
            w.Wrapped("// every later read sees what a 16-bit buffer would hold; parameters, statistics and the loss stay fp32.");
            using (w.Block("private void RoundToStorage(global::System.Span<float> values)"))
            {
                w.Wrapped("if (Precision == global::DslNet.Precision.Fp16)");
                w.Wrapped($"    {K}.StorageRounding.Round(values, default({K}.Float16Storage));");
                w.Wrapped("else if (Precision == global::DslNet.Precision.Bf16)");
                w.Wrapped($"    {K}.StorageRounding.Round(values, default({K}.BFloat16Storage));");
            }
        }
    }
}
