using DslNet.Generator.Planning.Spatial;
using static DslNet.Generator.Emitting.Spatial.SpatialNames;

namespace DslNet.Generator.Emitting.Spatial
{
    /// <summary>
    /// Writes the steps of an image model that reshape a value without parameters (the input's NCHW → NHWC conversion,
    /// pooling, Flatten) and the residual Add: forward (which is also the inference pass), backward.
    /// </summary>
    internal static class SpatialReshapeEmitter
    {
        public static void Write(SourceWriter w, SpatialPlan plan, SpatialStep step)
        {
            var input = plan.Values[step.Input];
            var output = plan.Values[step.Output];
            w.Wrapped($"// ── {step.Name}: {step.Kind}, {step.InputShape} → {step.OutputShape} ──");
            w.Line();
            if (plan.IsFusedPool(step))
            {
                w.Wrapped($"// In training {plan.Steps[step.Index - 1].Name} runs this pooling with its BatchNorm (forward and backward).");
                w.Line();
            }
            if (step.Pool != null) WriteGeometry(w, step);
            using (w.Block($"private void {step.Name}Forward(global::System.ReadOnlySpan<float> input, int rows)"))
            {
                w.Wrapped($"var output = {Value(output)};");
                w.Wrapped(Forward(plan, step));
                w.Wrapped("RoundToStorage(output);");
            }
            w.Line();
            w.Wrapped($"private void {step.Name}Inference(global::System.ReadOnlySpan<float> input, int rows) => {step.Name}Forward(input, rows);");
            w.Line();
            if (step.Kind == SpatialStepKind.ToChannelsLast || plan.IsFusedPool(step)) return;
            using (w.Block($"private void {step.Name}Backward(global::System.ReadOnlySpan<float> input, int rows)"))
            {
                w.Wrapped($"var gradient = {ValueGradient(output)};");
                if (step.Kind == SpatialStepKind.Add)
                {
                    w.Wrapped("// Both operands receive the output gradient unchanged.");
                    GradientWriter.PassThrough(w, input, step.InputGradient, "gradient");
                    GradientWriter.PassThrough(w, plan.Values[step.Skip], step.SkipGradient, "gradient");
                }
                else GradientWriter.Write(w, input, step.InputGradient, Backward(step));
            }
            w.Line();
        }

        private static void WriteGeometry(SourceWriter w, SpatialStep step)
        {
            var pool = step.Pool!;
            var input = step.InputShape;
            w.Wrapped($"private static {S}.Pool2dGeometry {step.Name}Geometry(int rows) => {S}.Pool2dGeometry.Planned(rows,");
            w.Wrapped($"    channels: {input.Channels}, height: {input.Height}, width: {input.Width}, kernelHeight: {pool.KernelSize}, kernelWidth: {pool.KernelSize},");
            w.Wrapped($"    strideHeight: {pool.Stride}, strideWidth: {pool.Stride}, padHeight: {pool.Padding}, padWidth: {pool.Padding});");
            w.Line();
        }

        private static string Forward(SpatialPlan plan, SpatialStep step)
        {
            var shape = step.InputShape;
            switch (step.Kind)
            {
                case SpatialStepKind.ToChannelsLast:
                    return $"{S}.ChannelsLast.FromNchw(input, output, rows, {shape.Channels}, {shape.Height}, {shape.Width});";
                case SpatialStepKind.MaxPool:
                    return $"{S}.Pool2d.MaxForward(input, output, {Argmax(step)}, {step.Name}Geometry(rows));";
                case SpatialStepKind.AvgPool:
                    return $"{S}.Pool2d.AvgForward(input, output, {step.Name}Geometry(rows), countIncludePad: {Bool(step.Pool!.CountIncludePad)});";
                case SpatialStepKind.GlobalAvgPool:
                    return $"{S}.Pool2d.GlobalAvgForward(input, output, rows, {Pixels(shape)}, {shape.Channels});";
                case SpatialStepKind.Flatten:
                    return "// PyTorch's flatten order is channel-major (NCHW): the transpose back from channels-last.\n" +
                           $"{S}.ChannelsLast.ToNchw(input, output, rows, {shape.Channels}, {shape.Height}, {shape.Width});";
                default:
                    return $"{K}.Residual.Sum(input, {Value(plan.Values[step.Skip])}, output);";
            }
        }

        private static string Backward(SpatialStep step)
        {
            var shape = step.InputShape;
            switch (step.Kind)
            {
                case SpatialStepKind.MaxPool:
                    return $"{S}.Pool2d.MaxBackward(gradient, {Argmax(step)}, {{0}}, {step.Name}Geometry(rows));";
                case SpatialStepKind.AvgPool:
                    return $"{S}.Pool2d.AvgBackward(gradient, {{0}}, {step.Name}Geometry(rows), countIncludePad: {Bool(step.Pool!.CountIncludePad)});";
                case SpatialStepKind.GlobalAvgPool:
                    return $"{S}.Pool2d.GlobalAvgBackward(gradient, {{0}}, rows, {Pixels(shape)}, {shape.Channels});";
                default:
                    return $"{S}.ChannelsLast.FromNchw(gradient, {{0}}, rows, {shape.Channels}, {shape.Height}, {shape.Width});";
            }
        }

        public static string Argmax(SpatialStep step) => $"Indices(Layout.{step.Name}ArgmaxOffset, Layout.{step.Name}Size, rows)";
    }
}
