using System.Globalization;
using DslNet.Generator.Planning;
using DslNet.Generator.Planning.Spatial;
using static DslNet.Generator.Emitting.Spatial.SpatialNames;

namespace DslNet.Generator.Emitting.Spatial
{
    /// <summary>
    /// Writes one fused group of an image model (an optional Conv2d or Dense, then an optional normalization, activation
    /// and dropout): its forward, backward and inference methods side by side. The activation runs in the convolution's
    /// GEMM epilogue or in the normalization's affine pass; eval-mode BatchNorm folds into the convolution's epilogue.
    /// </summary>
    internal static class SpatialGroupEmitter
    {
        public static void Write(SourceWriter w, SpatialPlan plan, SpatialStep step)
        {
            var g = new Group(plan, step);
            w.Wrapped($"// ── {step.Name}: {Describe(g)}, {step.InputShape} → {step.OutputShape} ──");
            w.Line();
            if (step.Linear is { IsConvolution: true } conv) WriteGeometry(w, step, conv);
            if (step.HasDropout)
            {
                w.Wrapped($"// Masks are keyed by (seed, step, layer {step.Index}, element) and redrawn by the backward pass.");
                w.Wrapped($"private {K}.Dropout {step.Name}Dropout() => new {K}.Dropout({Names.Float(step.DropoutRate)}, _seed, _stepCount, layer: {step.Index});");
                w.Line();
            }
            WriteForward(w, g);
            WriteBackward(w, g);
            WriteInference(w, g);
        }

        /// <summary>The spellings one group's methods share.</summary>
        private sealed class Group
        {
            public Group(SpatialPlan plan, SpatialStep step)
            {
                Step = step;
                Block = plan.Blocks[step.Block].Name;
                Input = plan.Values[step.Input];
                Output = plan.Values[step.Output];
                Pool = step.FusedPool == null ? null : plan.Steps[step.FusedPool.PoolStep];
                PoolOutput = Pool == null ? null : plan.Values[Pool.Output];
                Pre = step.PreRowOffset < 0 ? "input"
                    : step.PreRowOffset == Output.OutputRowOffset ? "output"
                    : $"Workspace(Layout.{step.Name}PreActivationOffset, {SpatialNames.Size(Output)}, rows)";
            }

            public SpatialStep Step { get; }
            public string Block { get; }
            public ValuePlan Input { get; }
            public ValuePlan Output { get; }
            public string Pre { get; }
            public bool PreIsOutput => Pre == "output";

            /// <summary>The max pooling this group runs in training (the plan's PoolFusion), and its output.</summary>
            public SpatialStep? Pool { get; }
            public ValuePlan? PoolOutput { get; }

            public string Winners => $"Workspace(Layout.{Pool!.Name}WinnersOffset, {SpatialNames.Size(PoolOutput!)}, rows)";
            public LinearPlan? Linear => Step.Linear;
            public SpatialNormPlan? Norm => Step.Norm;
            public string Activation => SpatialNames.Activation(Step.Activation);
        }

        private static void WriteGeometry(SourceWriter w, SpatialStep step, LinearPlan conv)
        {
            var input = step.InputShape;
            w.Wrapped($"private static {S}.Conv2dGeometry {step.Name}Geometry(int rows) => {S}.Conv2dGeometry.Planned(rows,");
            w.Wrapped($"    inChannels: {input.Channels}, height: {input.Height}, width: {input.Width}, outChannels: {conv.OutChannels},");
            w.Wrapped($"    kernelHeight: {conv.KernelSize}, kernelWidth: {conv.KernelSize}, strideHeight: {conv.Stride}, strideWidth: {conv.Stride},");
            w.Wrapped($"    padHeight: {conv.Padding}, padWidth: {conv.Padding}, dilationHeight: {conv.Dilation}, dilationWidth: {conv.Dilation}, groups: {conv.Groups});");
            w.Line();
        }

        private static void WriteForward(SourceWriter w, Group g)
        {
            var step = g.Step;
            using (w.Block($"private void {step.Name}Forward(global::System.ReadOnlySpan<float> input, int rows)"))
            {
                if (g.Pool == null) w.Wrapped($"var output = {Value(g.Output)};");
                if (g.Linear != null)
                {
                    if (!g.PreIsOutput) w.Wrapped($"var preActivation = {g.Pre};");
                    var pre = g.PreIsOutput ? "output" : "preActivation";
                    var fused = g.Norm == null && !g.PreIsOutput;
                    w.Wrapped(LinearForward(g, pre, fused ? "output" : EmptySpan, fused ? g.Activation : Names.Identity));
                    if (!g.PreIsOutput) w.Wrapped("RoundToStorage(preActivation);");
                }
                else if (g.Norm != null)
                {
                    w.Wrapped($"var preActivation = {g.Pre};");
                    w.Wrapped("input.CopyTo(preActivation);");
                }
                if (g.Pool != null) WritePooledNormForward(w, g);
                else WriteNormForward(w, g);
            }
            w.Line();
        }

        // The normalization (or the activation alone) and dropout after the Conv2d or Dense, into the output.
        private static void WriteNormForward(SourceWriter w, Group g)
        {
            if (g.Norm != null)
            {
                w.Wrapped("// preActivation becomes the normalized values x̂, which the backward pass reuses.");
                w.Wrapped(NormForward(g, training: true));
                w.Wrapped("RoundToStorage(preActivation);");
            }
            else if (g.Linear == null)
                w.Wrapped($"{S}.Pointwise.Forward(input, output, {g.Activation}, {K}.Dropout.None);");
            if (g.Step.HasDropout) w.Wrapped(DropoutCall(g, "Forward", "output"));
            w.Wrapped("RoundToStorage(output);");
        }

        // BatchNorm2d with the max pooling after it: the activation is pooled as it is computed and never stored.
        private static void WritePooledNormForward(SourceWriter w, Group g)
        {
            var norm = g.Norm!;
            var pool = g.Pool!;
            var (gamma, beta) = Affine(g, norm, gradient: false);
            w.Wrapped($"// preActivation becomes x̂; {pool.Name}'s max pooling runs on the activation as it is computed, keeping the x̂ of");
            w.Wrapped("// each maximum (the winners) for the backward pass.");
            w.Wrapped($"var pooled = {Value(g.PoolOutput!)};");
            w.Wrapped($"var argmax = {SpatialReshapeEmitter.Argmax(pool)};");
            w.Wrapped($"var winners = {g.Winners};");
            w.Wrapped($"{S}.BatchNormMaxPool2d.ForwardTraining(preActivation,");
            w.Wrapped($"    {gamma}, {beta},");
            w.Wrapped($"    {Running(g.Block, norm.ParameterPrefix, "RunningMean", norm.Channels)}, " +
                      $"{Running(g.Block, norm.ParameterPrefix, "RunningVariance", norm.Channels)},");
            w.Wrapped($"    Scratch(Layout.{g.Step.Name}InverseStdOffset, {norm.Channels}), pooled, argmax, winners,");
            w.Wrapped($"    {pool.Name}Geometry(rows), momentum: {Names.Float(norm.Momentum)}, eps: {Names.Float(norm.Eps)}, {g.Activation});");
            w.Wrapped("RoundToStorage(preActivation);");
            w.Wrapped("RoundToStorage(pooled);");
            w.Wrapped("RoundToStorage(winners);");
        }

        private static void WriteBackward(SourceWriter w, Group g)
        {
            var step = g.Step;
            using (w.Block($"private void {step.Name}Backward(global::System.ReadOnlySpan<float> input, int rows)"))
            {
                w.Wrapped($"var gradient = {ValueGradient(g.Output)};");
                if (step.HasDropout) w.Wrapped(DropoutCall(g, "Backward", "gradient"));
                if (g.Pool != null) WritePooledNormBackward(w, g);
                else if (g.Norm != null)
                {
                    w.Wrapped($"var preActivation = {g.Pre};");
                    w.Wrapped("// gradient: dL/doutput in, dL/dpreActivation out (dropout, activation and normalization undone).");
                    w.Wrapped(NormBackward(g));
                    w.Wrapped("RoundToStorage(gradient);");
                }
                else if (step.HasActivation)
                {
                    w.Wrapped($"{K}.Dense.BackwardActivation(gradient, {(g.Linear == null ? "input" : g.Pre)}, rows, {SpatialNames.Size(g.Output)}, {g.Activation}, {K}.Dropout.None);");
                    w.Wrapped("RoundToStorage(gradient);");
                }
                if (g.Linear is { } linear) WriteLinearBackward(w, g, linear);
                else GradientWriter.PassThrough(w, g.Input, step.InputGradient, "gradient");
            }
            w.Line();
        }

        private static void WriteLinearBackward(SourceWriter w, Group g, LinearPlan linear)
        {
            var weightGradient = Gradient(g.Block, linear.ParameterPrefix, "Weight", linear.WeightCount);
            var biasGradient = linear.HasBias ? Gradient(g.Block, linear.ParameterPrefix, "Bias", linear.OutChannels) : EmptySpan;
            var weight = Parameter(g.Block, linear.ParameterPrefix, "Weight", linear.WeightCount);
            if (linear.IsConvolution)
            {
                w.Wrapped($"{S}.Conv2d.BackwardWeights(gradient, input, {weightGradient},");
                w.Wrapped($"    {biasGradient}, {g.Step.Name}Geometry(rows));");
                GradientWriter.Write(w, g.Input, g.Step.InputGradient, $"{S}.Conv2d.BackwardInput(gradient, {weight}, {{0}}, {g.Step.Name}Geometry(rows));");
                return;
            }

            var shape = $"rows, {linear.InChannels}, {linear.OutChannels}";
            w.Wrapped($"{K}.Dense.BackwardWeights(gradient, input, {weightGradient}, {biasGradient},");
            w.Wrapped($"    {shape});");
            if (g.Step.InputGradient == GradientMode.None) return;
            var accumulate = g.Step.InputGradient == GradientMode.Accumulate;
            if (accumulate) w.Wrapped($"// {g.Input.Name} has {g.Input.Consumers.Count} consumers: this adds to the gradient a later step wrote.");
            w.Wrapped($"var inputGradient = {ValueGradient(g.Input)};");
            w.Wrapped($"{K}.Dense.BackwardInput(gradient, {weight}, inputGradient, {shape}, accumulate: {Bool(accumulate)});");
            w.Wrapped("RoundToStorage(inputGradient);");
        }

        private static void WriteInference(SourceWriter w, Group g)
        {
            var step = g.Step;
            using (w.Block($"private void {step.Name}Inference(global::System.ReadOnlySpan<float> input, int rows)"))
            {
                w.Wrapped($"var output = {Value(g.Output)};");
                var batchNorm = g.Norm?.Kind == SpatialNormKind.BatchNorm;
                var scale = batchNorm ? $"Scratch(Layout.{step.Name}InferenceScaleOffset, {g.Norm!.Channels})" : EmptyReadOnly;
                var shift = batchNorm ? $"Scratch(Layout.{step.Name}InferenceShiftOffset, {g.Norm!.Channels})" : EmptyReadOnly;
                if (g.Linear != null && (g.Norm == null || batchNorm))
                    w.Wrapped(LinearInference(g, scale, shift));
                else if (g.Linear != null)
                {
                    w.Wrapped($"var preActivation = {g.Pre};");
                    w.Wrapped(LinearForward(g, "preActivation", EmptySpan, Names.Identity));
                    w.Wrapped(NormForward(g, training: false));
                }
                else if (batchNorm)
                    w.Wrapped($"{S}.BatchNorm2d.Inference(input, {scale}, {shift}, output, rows * {g.Norm!.Pixels}, {g.Norm.Channels}, {g.Activation});");
                else if (g.Norm != null)
                {
                    w.Wrapped($"var preActivation = {g.Pre};");
                    w.Wrapped("input.CopyTo(preActivation);");
                    w.Wrapped(NormForward(g, training: false));
                }
                else
                    w.Wrapped($"{S}.Pointwise.Forward(input, output, {g.Activation}, {K}.Dropout.None);");
                w.Wrapped("RoundToStorage(output);");
            }
            w.Line();
        }

        private static string LinearForward(Group g, string pre, string output, string activation)
        {
            var linear = g.Linear!;
            var weight = Parameter(g.Block, linear.ParameterPrefix, "Weight", linear.WeightCount);
            var bias = linear.HasBias ? Parameter(g.Block, linear.ParameterPrefix, "Bias", linear.OutChannels) : EmptyReadOnly;
            if (linear.IsConvolution)
                return $"{S}.Conv2d.Forward(input, {weight}, {bias},\n    {pre}, {output}, {g.Step.Name}Geometry(rows), {activation});";
            return $"{K}.Dense.Forward(input, {weight}, {bias},\n    {pre}, {output}, rows, {linear.InChannels}, {linear.OutChannels}, {activation}, {K}.Dropout.None);";
        }

        private static string LinearInference(Group g, string scale, string shift)
        {
            var linear = g.Linear!;
            var weight = Parameter(g.Block, linear.ParameterPrefix, "Weight", linear.WeightCount);
            var bias = linear.HasBias ? Parameter(g.Block, linear.ParameterPrefix, "Bias", linear.OutChannels) : EmptyReadOnly;
            if (linear.IsConvolution)
                return $"{S}.Conv2d.ForwardInference(input, {weight}, {bias},\n    {scale}, {shift}, output, {g.Step.Name}Geometry(rows), {g.Activation});";
            return $"{K}.Dense.ForwardInference(input, {weight}, {bias},\n    {scale}, {shift}, output, rows, {linear.InChannels}, {linear.OutChannels}, {g.Activation});";
        }

        private static string NormForward(Group g, bool training)
        {
            var norm = g.Norm!;
            var (gamma, beta) = Affine(g, norm, gradient: false);
            var shape = $"rows, {norm.Pixels}, {norm.Channels}";
            var statistics = $"Workspace(Layout.{g.Step.Name}InverseStdOffset, {norm.StatisticsPerRow}, rows)";
            switch (norm.Kind)
            {
                case SpatialNormKind.BatchNorm:
                    return $"{S}.BatchNorm2d.ForwardTraining(preActivation, {gamma}, {beta},\n" +
                           $"    {Running(g.Block, norm.ParameterPrefix, "RunningMean", norm.Channels)}, " +
                           $"{Running(g.Block, norm.ParameterPrefix, "RunningVariance", norm.Channels)},\n" +
                           $"    Scratch(Layout.{g.Step.Name}InverseStdOffset, {norm.Channels}), output, rows * {norm.Pixels}, {norm.Channels},\n" +
                           $"    momentum: {Names.Float(norm.Momentum)}, eps: {Names.Float(norm.Eps)}, {g.Activation});";
                case SpatialNormKind.InstanceNorm:
                    return $"{S}.InstanceNorm2d.Forward(preActivation, {gamma}, {beta}, {statistics},\n" +
                           $"    output, {shape}, eps: {Names.Float(norm.Eps)}, affine: {Bool(norm.Affine)}, {g.Activation});";
                case SpatialNormKind.GroupNorm:
                    return $"{S}.GroupNorm2d.Forward(preActivation, {gamma}, {beta}, {statistics},\n" +
                           $"    output, {shape}, groups: {norm.Groups}, eps: {Names.Float(norm.Eps)}, {S}.NormAffine.PerChannel, {g.Activation});";
                default:
                    return $"{S}.LayerNorm2d.Forward(preActivation, {gamma}, {beta}, {statistics},\n" +
                           $"    output, {shape}, eps: {Names.Float(norm.Eps)}, {g.Activation});";
            }
        }

        private static string NormBackward(Group g)
        {
            var norm = g.Norm!;
            var (gamma, beta) = Affine(g, norm, gradient: false);
            var (gammaGradient, betaGradient) = Affine(g, norm, gradient: true);
            var shape = $"rows, {norm.Pixels}, {norm.Channels}";
            var statistics = $"Workspace(Layout.{g.Step.Name}InverseStdOffset, {norm.StatisticsPerRow}, rows)";
            var common = $"gradient, preActivation, {gamma}, {beta}";
            switch (norm.Kind)
            {
                case SpatialNormKind.BatchNorm:
                    return $"{S}.BatchNorm2d.Backward({common},\n    Scratch(Layout.{g.Step.Name}InverseStdOffset, {norm.Channels}), " +
                           $"{gammaGradient}, {betaGradient},\n    rows * {norm.Pixels}, {norm.Channels}, {g.Activation});";
                case SpatialNormKind.InstanceNorm:
                    return $"{S}.InstanceNorm2d.Backward({common}, {statistics},\n    {gammaGradient}, {betaGradient}, {shape}, " +
                           $"affine: {Bool(norm.Affine)}, {g.Activation});";
                case SpatialNormKind.GroupNorm:
                    return $"{S}.GroupNorm2d.Backward({common}, {statistics},\n    {gammaGradient}, {betaGradient}, {shape}, " +
                           $"groups: {norm.Groups}, {S}.NormAffine.PerChannel, {g.Activation});";
                default:
                    return $"{S}.LayerNorm2d.Backward({common}, {statistics},\n    {gammaGradient}, {betaGradient}, {shape}, {g.Activation});";
            }
        }

        private static void WritePooledNormBackward(SourceWriter w, Group g)
        {
            var norm = g.Norm!;
            var pool = g.Pool!;
            var (gamma, beta) = Affine(g, norm, gradient: false);
            var (gammaGradient, betaGradient) = Affine(g, norm, gradient: true);
            w.Wrapped($"var preActivation = {g.Pre};");
            w.Wrapped($"var pooledGradient = {ValueGradient(g.PoolOutput!)};");
            w.Wrapped($"var argmax = {SpatialReshapeEmitter.Argmax(pool)};");
            w.Wrapped($"var winners = {g.Winners};");
            w.Wrapped($"// gradient: dL/dpreActivation from {pool.Name}'s output gradient (pooling, activation and normalization undone).");
            w.Wrapped($"{S}.BatchNormMaxPool2d.Backward(pooledGradient, argmax, winners, preActivation,");
            w.Wrapped($"    {gamma}, {beta}, Scratch(Layout.{g.Step.Name}InverseStdOffset, {norm.Channels}),");
            w.Wrapped($"    {gammaGradient}, {betaGradient}, gradient,");
            w.Wrapped($"    {pool.Name}Geometry(rows), {g.Activation});");
            w.Wrapped("RoundToStorage(gradient);");
        }

        private static (string Gamma, string Beta) Affine(Group g, SpatialNormPlan norm, bool gradient)
        {
            if (!norm.Affine) return gradient ? (EmptySpan, EmptySpan) : (EmptyReadOnly, EmptyReadOnly);
            return gradient
                ? (Gradient(g.Block, norm.ParameterPrefix, "Gamma", norm.AffineLength), Gradient(g.Block, norm.ParameterPrefix, "Beta", norm.AffineLength))
                : (Parameter(g.Block, norm.ParameterPrefix, "Gamma", norm.AffineLength), Parameter(g.Block, norm.ParameterPrefix, "Beta", norm.AffineLength));
        }

        private static string DropoutCall(Group g, string pass, string values)
        {
            if (!g.Step.DropoutIsSpatial) return $"{S}.Pointwise.Dropout({values}, {g.Step.Name}Dropout());";
            var shape = g.Step.OutputShape;
            return $"{S}.Dropout2d.{pass}({values}, {values}, {g.Step.Name}Dropout(), rows, {Pixels(shape)}, {shape.Channels});";
        }

        private static string Describe(Group g)
        {
            var parts = new System.Collections.Generic.List<string>();
            if (g.Linear != null) parts.Add(g.Linear.IsConvolution ? "Conv2d" : "Dense");
            if (g.Norm != null) parts.Add(g.Norm.Kind.ToString());
            if (g.Step.HasActivation) parts.Add(g.Step.Activation.Kind.ToString());
            if (g.Step.HasDropout) parts.Add((g.Step.DropoutIsSpatial ? "Dropout2d(" : "Dropout(") + g.Step.DropoutRate.ToString("R", CultureInfo.InvariantCulture) + ")");
            return string.Join(" → ", parts);
        }
    }
}
