using DslNet.Generator.Planning;
using DslNet.Generator.Planning.Spatial;
using static DslNet.Generator.Emitting.Spatial.SpatialNames;

namespace DslNet.Generator.Emitting.Spatial
{
    /// <summary>
    /// Writes the steps of an image model that reshape a value without parameters (the input's NCHW → NHWC conversion,
    /// pooling, Flatten) and the residual Add with its activation: forward (which is also the inference pass), backward.
    /// </summary>
    internal static class SpatialReshapeEmitter
    {
        public static void Write(SourceWriter w, SpatialPlan plan, SpatialStep step)
        {
            var input = plan.Values[step.Input];
            var output = plan.Values[step.Output];
            var kind = step.HasActivation ? $"{step.Kind} → {step.Activation.Kind}" : step.Kind.ToString();
            w.Wrapped($"// ── {step.Name}: {kind}, {step.InputShape} → {step.OutputShape} ──");
            w.Line();
            if (plan.IsFusedPool(step))
            {
                w.Wrapped($"// In training {plan.Steps[step.Index - 1].Name} runs this pooling with its BatchNorm (forward and backward).");
                w.Line();
            }
            if (step.Kind == SpatialStepKind.Add)
            {
                WriteAdd(w, plan, step);
                return;
            }
            if (step.Pool != null) WriteGeometry(w, step);
            using (w.Block($"private void {step.Name}Forward(global::System.ReadOnlySpan<float> input, int rows)"))
            {
                w.Wrapped($"var output = {Value(output)};");
                w.Wrapped(Forward(step));
                w.Wrapped("RoundToStorage(output);");
            }
            w.Line();
            w.Wrapped($"private void {step.Name}Inference(global::System.ReadOnlySpan<float> input, int rows) => {step.Name}Forward(input, rows);");
            w.Line();
            if (step.Kind == SpatialStepKind.ToChannelsLast || plan.IsFusedPool(step)) return;
            using (w.Block($"private void {step.Name}Backward(global::System.ReadOnlySpan<float> input, int rows)"))
            {
                w.Wrapped($"var gradient = {ValueGradient(output)};");
                GradientWriter.Write(w, input, step.InputGradient, Backward(step));
            }
            w.Line();
        }

        /// <summary>
        /// The residual Add and the activation the plan joined to it: one pass forward, and one backward pass that writes
        /// gradient·act' to both operands in their modes (ReLU's derivative read off the output, others' off the stored sum).
        /// </summary>
        private static void WriteAdd(SourceWriter w, SpatialPlan plan, SpatialStep step)
        {
            var output = plan.Values[step.Output];
            var skip = plan.Values[step.Skip];
            var activation = Activation(step.Activation);
            var storesSum = step.PreRowOffset >= 0;
            using (w.Block($"private void {step.Name}Forward(global::System.ReadOnlySpan<float> input, int rows)"))
            {
                w.Wrapped($"var output = {Value(output)};");
                if (storesSum) w.Wrapped($"var sum = {PreActivation(step, output)};");
                w.Wrapped($"{K}.Residual.Forward(input, {Value(skip)}, {(storesSum ? "sum" : EmptySpan)}, output, {activation});");
                if (storesSum) w.Wrapped("RoundToStorage(sum);");
                w.Wrapped("RoundToStorage(output);");
            }
            w.Line();
            w.Wrapped($"private void {step.Name}Inference(global::System.ReadOnlySpan<float> input, int rows) => {step.Name}Forward(input, rows);");
            w.Line();
            using (w.Block($"private void {step.Name}Backward(global::System.ReadOnlySpan<float> input, int rows)"))
            {
                w.Wrapped($"var gradient = {ValueGradient(output)};");
                // Without an activation f' is 1 and reads nothing: handing it the gradient touches no other tensor.
                var at = storesSum ? PreActivation(step, output) : step.HasActivation ? Value(output) : "gradient";
                // Both operands are step outputs, which always have gradients (the plan's modes are Write or Accumulate).
                var inputGradient = ValueGradient(plan.Values[step.Input]);
                var skipGradient = ValueGradient(skip);
                w.Wrapped($"{K}.Residual.Backward(gradient, {at}, {activation},");
                w.Wrapped($"    {inputGradient}, accumulateInput: {Bool(step.InputGradient == GradientMode.Accumulate)},");
                w.Wrapped($"    {skipGradient}, accumulateSkip: {Bool(step.SkipGradient == GradientMode.Accumulate)});");
                w.Wrapped($"RoundToStorage({inputGradient});");
                w.Wrapped($"RoundToStorage({skipGradient});");
            }
            w.Line();
        }

        private static string PreActivation(SpatialStep step, ValuePlan output) => $"Workspace(Layout.{step.Name}PreActivationOffset, {Size(output)}, rows)";

        private static void WriteGeometry(SourceWriter w, SpatialStep step)
        {
            var pool = step.Pool!;
            var input = step.InputShape;
            w.Wrapped($"private static {S}.Pool2dGeometry {step.Name}Geometry(int rows) => {S}.Pool2dGeometry.Planned(rows,");
            w.Wrapped($"    channels: {input.Channels}, height: {input.Height}, width: {input.Width}, kernelHeight: {pool.KernelSize}, kernelWidth: {pool.KernelSize},");
            w.Wrapped($"    strideHeight: {pool.Stride}, strideWidth: {pool.Stride}, padHeight: {pool.Padding}, padWidth: {pool.Padding});");
            w.Line();
        }

        private static string Forward(SpatialStep step)
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
                default:
                    return "// PyTorch's flatten order is channel-major (NCHW): the transpose back from channels-last.\n" +
                           $"{S}.ChannelsLast.ToNchw(input, output, rows, {shape.Channels}, {shape.Height}, {shape.Width});";
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
