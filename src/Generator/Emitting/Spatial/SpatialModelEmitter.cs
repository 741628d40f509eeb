using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using DslNet.Generator.Planning;
using DslNet.Generator.Planning.Spatial;
using static DslNet.Generator.Emitting.Spatial.SpatialNames;

namespace DslNet.Generator.Emitting.Spatial
{
    /// <summary>
    /// Writes an image model's public surface: constants, the flat layouts (tensors in PyTorch's state_dict order and
    /// shapes, workspace regions per value), the constructor with initialization, the block properties and Summary().
    /// The compute lives in <see cref="SpatialCpuEmitter"/>.
    /// </summary>
    internal static class SpatialModelEmitter
    {
        public static string Emit(SpatialPlan plan)
        {
            var w = new SourceWriter();
            FileHeader.Write(w, plan.ClassName, "model surface: constants, layout, construction", usesKernels: false);
            using (FileHeader.OpenNamespace(w, plan.Namespace))
            {
                w.Line($"/// <summary>{plan.ClassName}: images {plan.InputShape} → {plan.OutputSize} outputs, {plan.Blocks.Count} blocks, " +
                       $"{plan.ParameterCount} parameters.</summary>");
                w.Line(Names.GeneratedCodeAttribute);
                using (w.Block($"partial class {plan.ClassName} : global::DslNet.INetwork, global::DslNet.Devices.IDeviceModel"))
                {
                    WriteConstants(w, plan);
                    WriteLayout(w, plan);
                    WriteSlots(w, plan);
                    WriteFields(w, plan);
                    WriteConstructors(w, plan);
                    WriteMembers(w, plan);
                }
            }
            return w.ToString();
        }

        private static void WriteConstants(SourceWriter w, SpatialPlan plan)
        {
            var input = plan.InputShape;
            w.Line("/// <summary>Floats per input row: one image, C·H·W in PyTorch's NCHW order (<c>x.view(N, -1)</c>).</summary>");
            w.Line($"public const int InputSize = {plan.InputSize};");
            w.Line($"public const int InputChannels = {input.Channels};");
            w.Line($"public const int InputHeight = {input.Height};");
            w.Line($"public const int InputWidth = {input.Width};");
            w.Line("/// <summary>Outputs (logits) per row.</summary>");
            w.Line($"public const int OutputSize = {plan.OutputSize};");
            w.Line("/// <summary>Trainable parameters: the length of <see cref=\"Parameters\"/>.</summary>");
            w.Line($"public const int ParameterCount = {plan.ParameterCount};");
            w.Line("/// <summary>BatchNorm running means and variances: the length of <see cref=\"RunningStatistics\"/>.</summary>");
            w.Line($"public const int RunningStatisticCount = {plan.RunningStatisticCount};");
            w.Line();
            w.Line("// Predict and EvaluateLoss work through large inputs in chunks of this many rows, so the workspace stays bounded.");
            w.Line("private const int InferenceChunkRows = 256;");
            w.Line();
        }

        private static void WriteLayout(SourceWriter w, SpatialPlan plan)
        {
            w.Line("// Offsets into the flat buffers. Parameters and Gradients share one layout (PyTorch's state_dict order and shapes:");
            w.Line("// a Conv2d weight is [C_out, C_in/groups, kH, kW]). Image values are channels-last (NHWC) in the workspace: a region");
            w.Line("// starts at offset × row capacity and holds rows × size floats ('per row'). 'scratch' offsets index the fixed scratch.");
            using (w.Block("private static class Layout"))
            {
                foreach (var tensor in plan.ParameterTensors.Concat(plan.RunningStatisticTensors))
                    w.Line($"public const int {TensorId(tensor.Name)}Offset = {tensor.Offset}; // [{string.Join(", ", tensor.Shape)}]");
                w.Line();
                foreach (var value in plan.Values.Where(v => v.OutputRowOffset >= 0))
                {
                    w.Line($"public const int {value.Name}Size = {value.Width}; // floats per row, {value.Shape}");
                    w.Line($"public const int {value.Name}Offset = {value.OutputRowOffset}; // per row");
                    if (value.GradientRowOffset >= 0) w.Line($"public const int {value.Name}GradientOffset = {value.GradientRowOffset}; // per row");
                }
                foreach (var step in plan.Steps)
                    WriteStepLayout(w, plan, step);
                w.Line($"public const int GradientScratchOffset = {plan.GradientScratchRowOffset}; // per row: a gradient added to one already written");
                w.Line($"public const int ActivationsPerRow = {plan.ActivationFloatsPerRow};");
                w.Line($"public const int ScratchLength = {plan.ScratchLength};");
            }
            w.Line();
        }

        private static void WriteStepLayout(SourceWriter w, SpatialPlan plan, SpatialStep step)
        {
            var output = plan.Values[step.Output];
            if (step.Kind == SpatialStepKind.MaxPool)
                w.Line($"public const int {step.Name}ArgmaxOffset = {step.PreRowOffset}; // per row, int indices");
            if ((step.Kind == SpatialStepKind.Group || step.Kind == SpatialStepKind.Add) && step.PreRowOffset >= 0 && step.PreRowOffset != output.OutputRowOffset)
                w.Line($"public const int {step.Name}PreActivationOffset = {step.PreRowOffset}; // per row");
            if (step.FusedPool is { } fusion)
                w.Line($"public const int {plan.Steps[fusion.PoolStep].Name}WinnersOffset = {fusion.WinnersRowOffset}; // per row, x̂ at each argmax");
            if (step.Norm is { } norm && norm.StatisticsPerRow > 0)
                w.Line($"public const int {step.Name}InverseStdOffset = {norm.StatisticsRowOffset}; // per row, {norm.StatisticsPerRow} each");
            if (step.Norm is { ScratchOffset: >= 0 } batchNorm)
            {
                w.Line($"public const int {step.Name}InverseStdOffset = {batchNorm.ScratchOffset}; // scratch");
                w.Line($"public const int {step.Name}InferenceScaleOffset = {batchNorm.ScratchOffset + batchNorm.Channels}; // scratch");
                w.Line($"public const int {step.Name}InferenceShiftOffset = {batchNorm.ScratchOffset + 2 * batchNorm.Channels}; // scratch");
            }
        }

        private static void WriteSlots(SourceWriter w, SpatialPlan plan)
        {
            void Slots(string name, IEnumerable<TensorPlan> tensors)
            {
                w.Line($"private static readonly global::DslNet.TensorSlot[] {name} =");
                w.Line("{");
                foreach (var t in tensors)
                    w.Line($"    new(\"{t.Name}\", global::DslNet.ParameterKind.{t.Kind}, {TensorOffset(t.Name)}, new[] {{ {string.Join(", ", t.Shape)} }}),");
                w.Line("};");
                w.Line();
            }
            Slots("ParameterSlots", plan.ParameterTensors);
            Slots("RunningStatisticSlots", plan.RunningStatisticTensors);
        }

        private static void WriteFields(SourceWriter w, SpatialPlan plan)
        {
            w.Line("private readonly global::DslNet.ParameterBuffer _parameters;");
            w.Line("private readonly global::DslNet.TensorBuffer _runningStatistics;");
            w.Line("private readonly float[] _scratch;");
            w.Line("private ulong _seed;");
            w.Line("private readonly global::DslNet.NetworkMonitor _monitor;");
            foreach (var b in plan.Blocks)
                w.Line($"private readonly global::DslNet.DenseBlock {Names.Field(b.Name)};");
            w.Line("private float[] _activations = global::System.Array.Empty<float>();");
            w.Line("private int _rowCapacity;");
            w.Line("private long _stepCount;");
            w.Line("private global::DslNet.Devices.DeviceNetwork? _device;");
            w.Line();
        }

        private static void WriteConstructors(SourceWriter w, SpatialPlan plan)
        {
            w.Line("/// <summary>Creates the network with freshly initialized parameters; the seed fixes initialization and dropout masks.</summary>");
            using (w.Block($"public {plan.ClassName}(int seed = 0)"))
            {
                w.Line("_seed = unchecked((ulong)seed);");
                w.Line("_parameters = new global::DslNet.ParameterBuffer(ParameterCount, ParameterSlots);");
                w.Line("_runningStatistics = new global::DslNet.TensorBuffer(RunningStatisticCount, RunningStatisticSlots);");
                w.Line("_scratch = global::System.GC.AllocateArray<float>(Layout.ScratchLength, pinned: true);");
                foreach (var b in plan.Blocks)
                    w.Line($"{Names.Field(b.Name)} = new global::DslNet.DenseBlock(\"{b.Name}\", {b.InChannels}, {b.OutChannels}, _parameters, _runningStatistics);");
                w.Line("_monitor = new global::DslNet.NetworkMonitor(");
                w.Line($"    new[] {{ {string.Join(", ", plan.Blocks.Select(b => "\"" + b.Name + "\""))} }},");
                w.Wrapped($"    new[] {{ {string.Join(", ", plan.Blocks.Select(b => "global::DslNet.Saturation." + Layers.LayerRegistry.Activation(b.Activation).Saturation))} }},");
                w.Line($"    new[] {{ {string.Join(", ", plan.Blocks.Select(b => plan.Values[b.OutputValue].Width.ToString(CultureInfo.InvariantCulture)))} }},");
                w.Line("    _parameters);");
                w.Line();
                w.Line("// Biases and shifts start at zero (the buffer is zeroed); scales and running variances at one. He and Xavier use the");
                w.Line("// convolution's fan: fan_in = C_in/groups·kH·kW, fan_out = C_out·kH·kW (torch.nn.init's).");
                w.Line("var random = new global::System.Random(seed);");
                foreach (var step in plan.Steps.Where(s => s.Kind == SpatialStepKind.Group))
                    WriteInitialization(w, plan, step);
            }
            w.Line();
            ModelSurfaceEmitter.WriteDeviceConstructor(w, plan.ClassName);
        }

        private static void WriteInitialization(SourceWriter w, SpatialPlan plan, SpatialStep step)
        {
            var block = plan.Blocks[step.Block].Name;
            if (step.Linear is { } linear)
            {
                var weight = Parameter(block, linear.ParameterPrefix, "Weight", linear.WeightCount);
                w.Line($"global::DslNet.Initializers.Fill({weight}, units: {linear.OutChannels}, inputs: {linear.InChannels / linear.Groups},");
                w.Line($"    receptiveField: {linear.ReceptiveField}, {Names.InitName(linear.Init)}, gain: {Names.Double(linear.InitGain)}, " +
                       $"std: {Names.Double(linear.InitStd)}, {Names.FanName(linear.Fan)}, random);");
                if (linear.InitScale != 1.0)
                {
                    w.Line(linear.InitScale == 0
                        ? "// Residual branch without a normalization to zero (Fixup): its last weight starts at zero."
                        : "// Residual branch (GPT-2): its last weight starts scaled by 1/√(2N), N residual units.");
                    w.Line($"foreach (ref var weight in {weight}) weight *= {Names.Float(linear.InitScale)};");
                }
            }
            if (step.Norm is { } norm)
            {
                if (norm.ZeroInitGamma)
                    w.Line($"// γ of {block}'s last normalization starts at 0 (zero_init_residual): the residual unit starts as the identity.");
                else if (norm.Affine)
                    w.Line($"{Parameter(block, norm.ParameterPrefix, "Gamma", norm.AffineLength)}.Fill(1f);");
                if (norm.Kind == SpatialNormKind.BatchNorm)
                    w.Line($"{Running(block, norm.ParameterPrefix, "RunningVariance", norm.Channels)}.Fill(1f);");
            }
        }

        private static void WriteMembers(SourceWriter w, SpatialPlan plan)
        {
            foreach (var b in plan.Blocks)
            {
                w.Line($"/// <summary>{b.Description}.</summary>");
                w.Line($"{b.Accessibility} partial global::DslNet.DenseBlock {b.Name} => {Names.Field(b.Name)};");
                w.Line();
            }
            w.Line("/// <summary>All trainable parameters in one flat buffer, with a named view per tensor.</summary>");
            w.Line("public global::DslNet.ParameterBuffer Parameters => _parameters;");
            w.Line("/// <summary>Gradients of the last <c>TrainStep</c>, laid out like <see cref=\"Parameters\"/>.</summary>");
            w.Line("public global::DslNet.TensorBuffer Gradients => _parameters.Gradients;");
            w.Line("/// <summary>BatchNorm running means and variances, used by <see cref=\"Predict\"/>.</summary>");
            w.Line("public global::DslNet.TensorBuffer RunningStatistics => _runningStatistics;");
            w.Line("/// <summary>Training steps taken so far; each step draws fresh dropout masks. Set it to replay a step's masks.</summary>");
            w.Line("public long StepCount { get => _stepCount; set => _stepCount = value; }");
            w.Line("/// <summary>The seed dropout masks are keyed by; with <see cref=\"StepCount\"/>, the network's random state.</summary>");
            w.Line("public ulong Seed { get => _seed; set => _seed = value; }");
            w.Line();
            ModelSurfaceEmitter.WriteDeviceMembers(w);
            w.Line("/// <summary>Activation and gradient statistics every <c>Monitor.Interval</c> steps, and anomaly mode.</summary>");
            w.Line("public global::DslNet.NetworkMonitor Monitor => _monitor;");
            w.Line();
            w.Line("int global::DslNet.INetwork.InputSize => InputSize;");
            w.Line("int global::DslNet.INetwork.OutputSize => OutputSize;");
            w.Line($"global::DslNet.Loss global::DslNet.INetwork.Loss => {Names.LossName(plan.Loss)};");
            w.Line();
            w.Line("/// <summary>A table of the blocks, their output shapes [C, H, W] and parameter counts.</summary>");
            w.Line("public string Summary() => _device is null ? SummaryText : SummaryText + global::System.Environment.NewLine + _device.DescribeGemms();");
            w.Line();
            w.Line("private const string SummaryText =");
            var lines = SummaryLines(plan);
            for (var i = 0; i < lines.Count; i++)
                w.Line("    \"" + lines[i].Replace("\\", "\\\\").Replace("\"", "\\\"") + "\\n\"" + (i == lines.Count - 1 ? ";" : " +"));
        }

        private static List<string> SummaryLines(SpatialPlan plan)
        {
            string Count(int n) => n.ToString("N0", CultureInfo.InvariantCulture);
            var rows = plan.Blocks.Select(b => new[] { b.Name, b.Description, plan.Values[b.OutputValue].Shape.ToString(), Count(b.ParameterCount) }).ToList();
            var header = new[] { "Block", "Layers", "Output", "Parameters" };
            var widths = Enumerable.Range(0, 4).Select(c => rows.Select(r => r[c].Length).Concat(new[] { header[c].Length }).Max()).ToArray();
            string Format(string[] r) => $"{r[0].PadRight(widths[0])}  {r[1].PadRight(widths[1])}  {r[2].PadRight(widths[2])}  {r[3].PadLeft(widths[3])}";
            var rule = new string('─', widths.Sum() + 6);
            var lines = new List<string> { $"{plan.ClassName}: input {plan.InputShape}, loss {Names.LossDescription(plan.Loss, plan.LabelSmoothing)}", rule, Format(header), rule };
            lines.AddRange(rows.Select(Format));
            lines.Add(rule);
            lines.Add($"Trainable parameters: {Count(plan.ParameterCount)}   Running statistics: {Count(plan.RunningStatisticCount)}");
            return lines;
        }
    }
}
