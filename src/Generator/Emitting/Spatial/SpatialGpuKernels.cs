using System.Collections.Generic;
using System.Linq;
using DslNet.Generator.Planning;
using DslNet.Generator.Planning.Spatial;
using static DslNet.Generator.Emitting.Spatial.SpatialNames;

namespace DslNet.Generator.Emitting.Spatial
{
    /// <summary>
    /// The device kernels of one step of an image model, per pass, in launch order: the training forward, the backward and
    /// the inference pass. Each calls the device function that mirrors the CPU path's kernel (DslNet.Kernels.Gpu.Spatial),
    /// on the same workspace regions; a Dense runs as a 1×1 convolution of a 1×1 image. Inference reuses the training
    /// forward's kernels except where eval mode differs (BatchNorm2d with running statistics, no dropout).
    /// </summary>
    internal static partial class SpatialGpuKernels
    {
        private const string G = DeviceNetworkWriter.G;
        public const string GS = G + ".Spatial";
        private const string NoDropout = DeviceNetworkWriter.NoDropout;
        private const string PerRow = "{rows} * ";

        public static List<DeviceKernel> Forward(SpatialPlan plan, SpatialStep step)
        {
            var kernels = new List<DeviceKernel>();
            if (step.Kind == SpatialStepKind.Group) GroupForward(plan, step, kernels);
            else kernels.Add(ReshapeForward(plan, step));
            return kernels;
        }

        public static List<DeviceKernel> Backward(SpatialPlan plan, SpatialStep step)
        {
            var kernels = new List<DeviceKernel>();
            if (step.Kind == SpatialStepKind.Group) GroupBackward(plan, step, kernels);
            else ReshapeBackward(plan, step, kernels);
            return kernels;
        }

        public static List<DeviceKernel> Inference(SpatialPlan plan, SpatialStep step)
        {
            if (step.Kind != SpatialStepKind.Group) return new List<DeviceKernel> { ReshapeForward(plan, step) };
            var kernels = new List<DeviceKernel>();
            var g = new Group(plan, step);
            if (g.Norm?.Kind != SpatialNormKind.BatchNorm)
            {
                // Without BatchNorm, eval mode is the training forward without dropout.
                GroupForward(plan, step, kernels);
                kernels.RemoveAll(k => k.Name == step.Name + "Dropout");
                return kernels;
            }

            var norm = g.Norm;
            if (g.Linear != null) kernels.Add(LinearForward(g));
            kernels.Add(DeviceKernel.Strided($"{step.Name}InferenceAffine", $"{step.Name} eval-mode BatchNorm as a per-channel scale and shift",
                $"{G}.GpuElementwise.Config({norm.Channels})",
                $"{G}.GpuNorm.InferenceAffine({norm.Channels}, {Affine(g, "Gamma")}, {Affine(g, "Beta")}, {Running(g, "RunningMean")}, " +
                $"{Running(g, "RunningVariance")},\n    {Names.Float(norm.Eps)}, {InferenceScale(step)}, {InferenceShift(step)})"));
            kernels.Add(new DeviceKernel($"{step.Name}InferenceNormalize", $"{step.Name} eval-mode BatchNorm and {step.Activation.Kind}",
                PerRow + SpatialNames.Size(g.Output),
                $"{GS}.GpuBatchNorm2d.Inference(e, source, output, {InferenceScale(step)}, {InferenceShift(step)}, {norm.Channels}, {g.Activation})",
                ("source", g.Linear != null ? g.Pre : Value(g.Input)), ("output", Value(g.Output))));
            return kernels;
        }

        /// <summary>The eval-mode BatchNorm steps whose scale and shift Predict computes first.</summary>
        public static IEnumerable<DeviceKernel> InferenceAffines(SpatialPlan plan, SpatialStep step)
        {
            foreach (var k in Inference(plan, step))
                if (k.Name == step.Name + "InferenceAffine") yield return k;
        }

        // ── a fused group: Conv2d/Dense, normalization, activation, dropout ──

        private static void GroupForward(SpatialPlan plan, SpatialStep step, List<DeviceKernel> kernels)
        {
            var g = new Group(plan, step);
            var n = step.Name;
            if (g.Linear != null) kernels.Add(LinearForward(g));
            else if (g.Norm != null)
                kernels.Add(new DeviceKernel($"{n}Copy", $"{n}: the input copied to the values the normalization rewrites in place", PerRow + SpatialNames.Size(g.Output),
                    $"{GS}.GpuPointwise.Forward(e, input, preActivation, {Names.Identity}, {NoDropout})", ("input", Value(g.Input)), ("preActivation", g.Pre)));
            else
                kernels.Add(new DeviceKernel($"{n}Forward", $"{n}: {step.Activation.Kind}", PerRow + SpatialNames.Size(g.Output),
                    $"{GS}.GpuPointwise.Forward(e, input, output, {g.Activation}, {NoDropout})", ("input", Value(g.Input)), ("output", Value(g.Output))));
            if (g.Norm != null) kernels.AddRange(NormForward(g));
            if (step.HasDropout)
                kernels.Add(DropoutKernel(g, $"{n}Dropout", "output", Value(g.Output)));
        }

        private static DeviceKernel LinearForward(Group g)
        {
            var linear = g.Linear!;
            var n = g.Step.Name;
            var fused = g.Norm == null && !g.PreIsOutput;
            var views = new List<(string, string)> { ("input", Value(g.Input)), ("preActivation", g.Pre) };
            if (fused) views.Add(("output", Value(g.Output)));
            var what = linear.IsConvolution ? "Conv2d" : "Dense (a 1×1 convolution of a 1×1 image)";
            var direct = new DeviceKernel($"{n}Forward", $"{n} forward: {what}" + (fused ? $" and {g.Step.Activation.Kind}" : ""), PerRow + SpatialNames.Size(g.Output),
                $"{GS}.GpuConv2d.Forward(e, input, {Weight(g)}, {Bias(g)}, {Bool(linear.HasBias)},\n    preActivation, " +
                $"{(fused ? "output" : "preActivation")}, hasOutput: {Bool(fused)}, {n}Geometry(v.Rows), {(fused ? g.Activation : Names.Identity)})",
                views.ToArray());
            return g.Conv is { LibraryEligible: true } conv ? direct.WithLibrary(ForwardRoute(g, conv, fused)) : direct;
        }

        private static IEnumerable<DeviceKernel> NormForward(Group g)
        {
            var norm = g.Norm!;
            var n = g.Step.Name;
            var views = new[] { ("preActivation", g.Pre), ("output", Value(g.Output)) };
            if (norm.Kind == SpatialNormKind.BatchNorm)
            {
                yield return new DeviceKernel($"{n}NormStatistics", $"{n} BatchNorm statistics per channel, running statistics", norm.Channels.ToString(),
                    $"{GS}.GpuBatchNorm2d.Statistics(e, preActivation, {BatchMean(g.Step)}, {InverseStd(g.Step)},\n    " +
                    $"{Running(g, "RunningMean")}, {Running(g, "RunningVariance")}, v.Rows * {norm.Pixels}, {norm.Channels}, " +
                    $"momentum: {Names.Float(norm.Momentum)}, eps: {Names.Float(norm.Eps)})",
                    views[0]);
                yield return new DeviceKernel($"{n}Normalize", $"{n} BatchNorm normalize (x̂ kept in place) and {g.Step.Activation.Kind}", PerRow + SpatialNames.Size(g.Output),
                    $"{GS}.GpuBatchNorm2d.Normalize(e, preActivation, output, {BatchMean(g.Step)}, {InverseStd(g.Step)},\n    " +
                    $"{Affine(g, "Gamma")}, {Affine(g, "Beta")}, {norm.Channels}, {g.Activation})", views);
                yield break;
            }

            var shape = $"{norm.Pixels}, {norm.Channels}, groups: {norm.Groups}";
            yield return new DeviceKernel($"{n}NormStatistics", $"{n} {norm.Kind} statistics per (image, group)", PerRow + norm.Groups,
                $"{GS}.GpuGroupNorm2d.Statistics(e, preActivation, {GroupMoments(g.Step, norm)}, {RowInverseStd(g.Step, norm)},\n    " +
                $"{shape}, eps: {Names.Float(norm.Eps)})", views[0]);
            yield return new DeviceKernel($"{n}Normalize", $"{n} {norm.Kind} normalize (x̂ kept in place) and {g.Step.Activation.Kind}", PerRow + SpatialNames.Size(g.Output),
                $"{GS}.GpuGroupNorm2d.Normalize(e, preActivation, output, {GroupMoments(g.Step, norm)}, {RowInverseStd(g.Step, norm)},\n    " +
                $"{Affine(g, "Gamma")}, {Affine(g, "Beta")}, {shape}, {AffineKind(norm)}, {g.Activation})", views);
        }

        private static void GroupBackward(SpatialPlan plan, SpatialStep step, List<DeviceKernel> kernels)
        {
            var g = new Group(plan, step);
            var n = step.Name;
            var gradient = ValueGradient(g.Output);
            if (step.HasDropout) kernels.Add(DropoutKernel(g, $"{n}DropoutBackward", "gradient", gradient));
            if (g.Norm != null) kernels.AddRange(NormBackward(g, gradient));
            else if (step.HasActivation)
                kernels.Add(new DeviceKernel($"{n}ActivationBackward", $"{n} backward through {step.Activation.Kind}", PerRow + SpatialNames.Size(g.Output),
                    $"{GS}.GpuPointwise.ActivationBackward(e, gradient, preActivation, {g.Activation})",
                    ("gradient", gradient), ("preActivation", g.Linear == null ? Value(g.Input) : g.Pre)));
            if (g.Linear is { } linear)
            {
                var threads = linear.WeightCount + (linear.HasBias ? linear.OutChannels : 0);
                var weightGradient = new DeviceKernel($"{n}WeightGradient", $"{n} weight" + (linear.HasBias ? " and bias" : "") + " gradient, summed over the batch",
                    threads.ToString(),
                    $"{GS}.GpuConv2d.BackwardWeights(e, gradient, input, {ParameterGradient(g, linear.ParameterPrefix + "Weight", linear.WeightCount)},\n    " +
                    $"{(linear.HasBias ? ParameterGradient(g, linear.ParameterPrefix + "Bias", linear.OutChannels) : "v.Gradients")}, " +
                    $"{Bool(linear.HasBias)}, {n}Geometry(v.Rows))",
                    ("gradient", gradient), ("input", Value(g.Input)));
                var inputGradient = InputGradient(n, "InputGradient", g.Input, step.InputGradient, $"{n} input gradient",
                    $"{GS}.GpuConv2d.BackwardInput(e, gradient, {Weight(g)}, {{0}}, {n}Geometry(v.Rows))", ("gradient", gradient)).ToList();
                if (g.Conv is { LibraryEligible: true } conv)
                {
                    weightGradient.WithLibrary(WeightGradientRoute(g, conv, gradient));
                    // The direct kernel's last view is what it writes: the value's gradient, or the scratch of a second consumer.
                    if (inputGradient.Count > 0) inputGradient[0].WithLibrary(InputGradientRoute(g, conv, inputGradient[0].Views[inputGradient[0].Views.Count - 1]));
                }

                kernels.Add(weightGradient);
                kernels.AddRange(inputGradient);
            }
            else kernels.AddRange(PassThrough(n + "InputGradient", g.Input, step.InputGradient, gradient));
        }

        private static IEnumerable<DeviceKernel> NormBackward(Group g, string gradient)
        {
            var norm = g.Norm!;
            var n = g.Step.Name;
            var views = new[] { ("gradient", gradient), ("normalized", g.Pre) };
            var what = $"{norm.Kind} and {g.Step.Activation.Kind}";
            if (norm.Kind == SpatialNormKind.BatchNorm)
            {
                var rows = $"v.Rows * {norm.Pixels}, {norm.Channels}, {g.Activation}";
                yield return new DeviceKernel($"{n}NormParameterGradients", $"{n} γ/β gradients through {what}, per channel", norm.Channels.ToString(),
                    $"{GS}.GpuBatchNorm2d.ParameterGradients(e, gradient, normalized, {Affine(g, "Gamma")}, {Affine(g, "Beta")},\n    " +
                    $"{AffineGradient(g, "Gamma")}, {AffineGradient(g, "Beta")}, {rows})", views);
                yield return new DeviceKernel($"{n}NormInputGradient", $"{n} input gradient through {what} (in place)", PerRow + SpatialNames.Size(g.Output),
                    $"{GS}.GpuBatchNorm2d.InputGradient(e, gradient, normalized, {Affine(g, "Gamma")}, {Affine(g, "Beta")}, {InverseStd(g.Step)},\n    " +
                    $"{AffineGradient(g, "Gamma")}, {AffineGradient(g, "Beta")}, {rows})", views);
                yield break;
            }

            var common = $"{Affine(g, "Gamma")}, {Affine(g, "Beta")}";
            var shape = $"{norm.Pixels}, {norm.Channels}, groups: {norm.Groups}, {AffineKind(norm)}, {g.Activation}";
            yield return new DeviceKernel($"{n}NormGradientStatistics", $"{n} means of dx̂ and dx̂·x̂ per (image, group)", PerRow + norm.Groups,
                $"{GS}.GpuGroupNorm2d.GradientStatistics(e, gradient, normalized, {GroupMoments(g.Step, norm)}, {common},\n    {shape})", views);
            if (norm.Affine)
                yield return new DeviceKernel($"{n}NormParameterGradients", $"{n} γ/β gradients through {what}", norm.AffineLength.ToString(),
                    $"{GS}.GpuGroupNorm2d.ParameterGradients(e, gradient, normalized, {common},\n    {AffineGradient(g, "Gamma")}, " +
                    $"{AffineGradient(g, "Beta")}, v.Rows, {norm.Pixels}, {norm.Channels}, {AffineKind(norm)}, {g.Activation})", views);
            yield return new DeviceKernel($"{n}NormInputGradient", $"{n} input gradient through {what} (in place)", PerRow + SpatialNames.Size(g.Output),
                $"{GS}.GpuGroupNorm2d.InputGradient(e, gradient, normalized, {GroupMoments(g.Step, norm)}, {RowInverseStd(g.Step, norm)},\n    " +
                $"{common}, {shape})", views);
        }

        private static DeviceKernel DropoutKernel(Group g, string name, string view, string region)
        {
            var step = g.Step;
            var dropout = $"new {G}.GpuDropout({Names.Float(step.DropoutRate)}, v.Seed, v.Step, layer: {step.Index})";
            var shape = step.OutputShape;
            return step.DropoutIsSpatial
                ? new DeviceKernel(name, $"{step.Name} Dropout2d: whole channels, the CPU path's mask", PerRow + SpatialNames.Size(g.Output),
                    $"{GS}.GpuDropout2d.Apply(e, {view}, {view}, {dropout}, {Pixels(shape)}, {shape.Channels})", (view, region))
                : new DeviceKernel(name, $"{step.Name} dropout: the CPU path's mask", PerRow + SpatialNames.Size(g.Output),
                    $"{GS}.GpuPointwise.Forward(e, {view}, {view}, {Names.Identity}, {dropout})", (view, region));
        }

        // ── reshapes and the residual Add ──

        private static DeviceKernel ReshapeForward(SpatialPlan plan, SpatialStep step)
        {
            var input = plan.Values[step.Input];
            var output = plan.Values[step.Output];
            var shape = step.InputShape;
            var views = new[] { ("input", Value(input)), ("output", Value(output)) };
            var threads = PerRow + SpatialNames.Size(output);
            var name = step.Name + "Forward";
            switch (step.Kind)
            {
                case SpatialStepKind.ToChannelsLast:
                    return new DeviceKernel(name, $"{step.Name}: the caller's NCHW images to channels-last", threads,
                        $"{GS}.GpuChannelsLast.FromNchw(e, input, output, {Pixels(shape)}, {shape.Channels})", views);
                case SpatialStepKind.MaxPool:
                    return new DeviceKernel(name, $"{step.Name} MaxPool2d forward and argmax", threads,
                        $"{GS}.GpuPool2d.MaxForward(e, input, output, {Argmax(step)}, {step.Name}Geometry(v.Rows))", views);
                case SpatialStepKind.AvgPool:
                    return new DeviceKernel(name, $"{step.Name} AvgPool2d forward", threads,
                        $"{GS}.GpuPool2d.AvgForward(e, input, output, {step.Name}Geometry(v.Rows), countIncludePad: {Bool(step.Pool!.CountIncludePad)})", views);
                case SpatialStepKind.GlobalAvgPool:
                    return new DeviceKernel(name, $"{step.Name} global average pooling", threads,
                        $"{GS}.GpuPool2d.GlobalAvgForward(e, input, output, {Pixels(shape)}, {shape.Channels})", views);
                case SpatialStepKind.Flatten:
                    return new DeviceKernel(name, $"{step.Name} Flatten: channels-last to PyTorch's channel-major features", threads,
                        $"{GS}.GpuChannelsLast.ToNchw(e, input, output, {Pixels(shape)}, {shape.Channels})", views);
                default:
                    return AddForward(plan, step);
            }
        }

        /// <summary>The residual Add and the activation the plan joined to it (the sum stored when the backward needs it).</summary>
        private static DeviceKernel AddForward(SpatialPlan plan, SpatialStep step)
        {
            var skip = plan.Values[step.Skip];
            var comment = $"{step.Name} residual Add: {plan.Values[step.Input].Name} + {skip.Name}" + (step.HasActivation ? $", {step.Activation.Kind}" : "");
            var activation = SpatialNames.Activation(step.Activation);
            var views = new List<(string Name, string View)> { ("input", Value(plan.Values[step.Input])), ("skip", Value(skip)) };
            if (step.PreRowOffset >= 0) views.Add(("sum", AddSum(plan, step)));
            views.Add(("output", Value(plan.Values[step.Output])));
            var sum = step.PreRowOffset >= 0 ? "sum, " : "";
            return new DeviceKernel(step.Name + "Forward", comment, PerRow + SpatialNames.Size(plan.Values[step.Output]),
                $"{GS}.GpuPointwise.Add(e, input, skip, {sum}output, {activation})", views.ToArray());
        }

        /// <summary>One pass: gradient·act' (at the sum, or the output for ReLU) into both operands' gradients, each in its mode.</summary>
        private static DeviceKernel AddBackward(SpatialPlan plan, SpatialStep step)
        {
            var output = plan.Values[step.Output];
            var input = plan.Values[step.Input];
            var skip = plan.Values[step.Skip];
            // Without an activation f' is 1 and reads nothing: the gradient's view stands in for "at".
            var at = step.PreRowOffset >= 0 ? AddSum(plan, step) : step.HasActivation ? Value(output) : ValueGradient(output);
            return new DeviceKernel(step.Name + "Backward",
                $"{step.Name} residual Add backward: the output gradient through {step.Activation.Kind} into {input.Name} and {skip.Name}",
                PerRow + SpatialNames.Size(output),
                $"{GS}.GpuPointwise.AddBackward(e, gradient, at, {SpatialNames.Activation(step.Activation)}, " +
                $"inputGradient, accumulateInput: {Bool(step.InputGradient == GradientMode.Accumulate)}, " +
                $"skipGradient, accumulateSkip: {Bool(step.SkipGradient == GradientMode.Accumulate)})",
                ("gradient", ValueGradient(output)), ("at", at), ("inputGradient", ValueGradient(input)), ("skipGradient", ValueGradient(skip)));
        }

        private static string AddSum(SpatialPlan plan, SpatialStep step) =>
            $"Activations(v, Layout.{step.Name}PreActivationOffset, {SpatialNames.Size(plan.Values[step.Output])})";

        private static void ReshapeBackward(SpatialPlan plan, SpatialStep step, List<DeviceKernel> kernels)
        {
            var input = plan.Values[step.Input];
            var gradient = ValueGradient(plan.Values[step.Output]);
            var shape = step.InputShape;
            var n = step.Name;
            string call;
            switch (step.Kind)
            {
                case SpatialStepKind.ToChannelsLast:
                    return;
                case SpatialStepKind.Add:
                    kernels.Add(AddBackward(plan, step));
                    return;
                case SpatialStepKind.MaxPool:
                    call = $"{GS}.GpuPool2d.MaxBackward(e, gradient, {Argmax(step)}, {{0}}, {n}Geometry(v.Rows))";
                    break;
                case SpatialStepKind.AvgPool:
                    call = $"{GS}.GpuPool2d.AvgBackward(e, gradient, {{0}}, {n}Geometry(v.Rows), countIncludePad: {Bool(step.Pool!.CountIncludePad)})";
                    break;
                case SpatialStepKind.GlobalAvgPool:
                    call = $"{GS}.GpuPool2d.GlobalAvgBackward(e, gradient, {{0}}, {Pixels(shape)}, {shape.Channels})";
                    break;
                default:
                    call = $"{GS}.GpuChannelsLast.FromNchw(e, gradient, {{0}}, {Pixels(shape)}, {shape.Channels})";
                    break;
            }
            kernels.AddRange(InputGradient(n, "InputGradient", input, step.InputGradient, $"{n} {step.Kind} backward", call, ("gradient", gradient)));
        }

        // ── gradients written in the plan's mode ──

        /// <summary>A kernel that writes <paramref name="target"/>'s gradient (<c>{0}</c> in <paramref name="call"/>): directly, or
        /// for a value with two consumers into the gradient scratch and then added (the spatial kernels overwrite).</summary>
        private static IEnumerable<DeviceKernel> InputGradient(string step, string suffix, ValuePlan target, GradientMode mode, string comment, string call,
            (string, string) source)
        {
            if (mode == GradientMode.None) yield break;
            var threads = PerRow + SpatialNames.Size(target);
            if (mode == GradientMode.Write)
            {
                yield return new DeviceKernel(step + suffix, comment, threads, string.Format(call, "inputGradient"), source,
                    ("inputGradient", ValueGradient(target)));
                yield break;
            }

            yield return new DeviceKernel(step + suffix, comment + $" into the gradient scratch ({target.Name} has {target.Consumers.Count} consumers)",
                threads, string.Format(call, "contribution"), source,
                ("contribution", $"ActivationGradients(v, Layout.GradientScratchOffset, {SpatialNames.Size(target)})"));
            yield return DeviceKernel.Strided(step + suffix + "Add", $"{step}: the contribution added to {target.Name}'s gradient, which a later step wrote",
                $"{G}.GpuElementwise.Config((long)rows * {SpatialNames.Size(target)})",
                $"{G}.GpuElementwise.AccumulateGradient({ValueGradient(target)},\n    " +
                $"ActivationGradients(v, Layout.GradientScratchOffset, {SpatialNames.Size(target)}), v.Rows * {SpatialNames.Size(target)}, accumulate: true)");
        }

        /// <summary>The gradient passed through unchanged (Add, a group without Conv2d/Dense): copied or added.</summary>
        private static IEnumerable<DeviceKernel> PassThrough(string name, ValuePlan target, GradientMode mode, string gradient)
        {
            if (mode == GradientMode.None) yield break;
            var accumulate = mode == GradientMode.Accumulate;
            yield return DeviceKernel.Strided(name, $"{target.Name}'s gradient {(accumulate ? "+=" : "=")} the output gradient",
                $"{G}.GpuElementwise.Config((long)rows * {SpatialNames.Size(target)})",
                $"{G}.GpuElementwise.AccumulateGradient({ValueGradient(target)},\n    {gradient}, v.Rows * {SpatialNames.Size(target)}, accumulate: {Bool(accumulate)})");
        }

        // ── spelling ──

        /// <summary>The spellings one group's kernels share.</summary>
        private sealed class Group
        {
            public Group(SpatialPlan plan, SpatialStep step)
            {
                Step = step;
                Block = plan.Blocks[step.Block].Name;
                Input = plan.Values[step.Input];
                Output = plan.Values[step.Output];
                PreIsOutput = step.PreRowOffset == Output.OutputRowOffset;
                Conv = ConvGemmPlanner.Find(plan, step);
                Pre = step.PreRowOffset < 0 ? Value(Input)
                    : PreIsOutput ? Value(Output)
                    : $"Activations(v, Layout.{step.Name}PreActivationOffset, {SpatialNames.Size(Output)})";
            }

            public SpatialStep Step { get; }
            public string Block { get; }
            public ValuePlan Input { get; }
            public ValuePlan Output { get; }
            public string Pre { get; }
            public bool PreIsOutput { get; }
            public LinearPlan? Linear => Step.Linear;

            /// <summary>The planner's GEMM choice for the group's Conv2d/Dense (null without one).</summary>
            public ConvGemmPlan? Conv { get; }
            public SpatialNormPlan? Norm => Step.Norm;
            public string Activation => SpatialNames.Activation(Step.Activation);
        }

        public static string Value(ValuePlan value) =>
            value.Id == ValuePlan.NetworkInput ? "v.InputTensor" : $"Activations(v, Layout.{value.Name}Offset, {SpatialNames.Size(value)})";

        public static string ValueGradient(ValuePlan value) => $"ActivationGradients(v, Layout.{value.Name}GradientOffset, {SpatialNames.Size(value)})";

        private static string Weight(Group g) =>
            $"Parameter(v, {TensorOffset(g.Block + "." + g.Linear!.ParameterPrefix + "Weight")}, {g.Linear.WeightCount})";

        private static string Bias(Group g) =>
            g.Linear!.HasBias ? $"Parameter(v, {TensorOffset(g.Block + "." + g.Linear.ParameterPrefix + "Bias")}, {g.Linear.OutChannels})" : "v.Parameters";

        private static string ParameterGradient(Group g, string tensor, int length) => $"Gradient(v, {TensorOffset(g.Block + "." + tensor)}, {length})";

        /// <summary>γ or β (a stand-in view for a norm without affine parameters: the device function never reads it).</summary>
        private static string Affine(Group g, string what) =>
            g.Norm!.Affine ? $"Parameter(v, {TensorOffset(g.Block + "." + g.Norm.ParameterPrefix + what)}, {g.Norm.AffineLength})" : "v.Parameters";

        private static string AffineGradient(Group g, string what) =>
            g.Norm!.Affine ? ParameterGradient(g, g.Norm.ParameterPrefix + what, g.Norm.AffineLength) : "v.Gradients";

        private static string Running(Group g, string what) => $"Running(v, {TensorOffset(g.Block + "." + g.Norm!.ParameterPrefix + what)}, {g.Norm.Channels})";

        private static string InverseStd(SpatialStep step) => $"Scratch(v, Layout.{step.Name}InverseStdOffset, {step.Norm!.Channels})";

        private static string InferenceScale(SpatialStep step) => $"Scratch(v, Layout.{step.Name}InferenceScaleOffset, {step.Norm!.Channels})";

        private static string InferenceShift(SpatialStep step) => $"Scratch(v, Layout.{step.Name}InferenceShiftOffset, {step.Norm!.Channels})";

        private static string BatchMean(SpatialStep step) => $"Scratch(v, {step.Name}BatchMeanOffset, {step.Norm!.Channels})";

        private static string RowInverseStd(SpatialStep step, SpatialNormPlan norm) => $"RowStatistics(v, {step.Name}InverseStdRowOffset, {norm.Groups})";

        private static string GroupMoments(SpatialStep step, SpatialNormPlan norm) => $"RowStatistics(v, {step.Name}GroupMomentsRowOffset, {2 * norm.Groups})";

        private static string Argmax(SpatialStep step) => $"RowStatistics(v, {step.Name}ArgmaxRowOffset, Layout.{step.Name}Size).Cast<int>()";

        private static string AffineKind(SpatialNormPlan norm) =>
            $"{S}.NormAffine." + (!norm.Affine ? "None" : norm.Kind == SpatialNormKind.LayerNorm ? "PerElement" : "PerChannel");
    }
}
