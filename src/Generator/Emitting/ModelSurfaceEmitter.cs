using System.Collections.Generic;
using System.Linq;
using DslNet.Generator.Planning;

namespace DslNet.Generator.Emitting
{
    /// <summary>
    /// Writes the model's public surface: constants, the flat layouts with named views, the constructor with
    /// initialization, the block properties and <c>Summary()</c>. The compute lives in <see cref="CpuPathEmitter"/>.
    /// </summary>
    internal static class ModelSurfaceEmitter
    {
        public static string Emit(ExecutionPlan plan)
        {
            var w = new SourceWriter();
            FileHeader.Write(w, plan, "model surface: constants, layout, construction", usesKernels: false);
            using (FileHeader.OpenNamespace(w, plan))
            {
                w.Line($"/// <summary>{plan.ClassName}: {Count(plan.InputSize, "input")} → {Count(plan.OutputSize, "output")}, {Count(plan.Blocks.Count, "block")}, {Count(plan.ParameterCount, "parameter")}.</summary>");
                w.Line(Names.GeneratedCodeAttribute);
                using (w.Block($"partial class {plan.ClassName} : global::DslNet.INetwork, global::DslNet.Devices.IDeviceModel, global::DslNet.IDataParallelModel"))
                {
                    WriteConstants(w, plan);
                    WriteLayout(w, plan);
                    WriteFields(w, plan);
                    WriteConstructor(w, plan);
                    WriteMembers(w, plan);
                }
            }
            return w.ToString();
        }

        private static void WriteConstants(SourceWriter w, ExecutionPlan plan)
        {
            w.Line("/// <summary>Features per input row.</summary>");
            w.Line($"public const int InputSize = {plan.InputSize};");
            w.Line("/// <summary>Outputs (logits) per row.</summary>");
            w.Line($"public const int OutputSize = {plan.OutputSize};");
            w.Line("/// <summary>Trainable parameters: the length of <see cref=\"Parameters\"/>.</summary>");
            w.Line($"public const int ParameterCount = {plan.ParameterCount};");
            w.Line("/// <summary>BatchNorm running means and variances: the length of <see cref=\"RunningStatistics\"/>.</summary>");
            w.Line($"public const int RunningStatisticCount = {plan.RunningStatisticCount};");
            w.Line();
            w.Line("// Predict and EvaluateLoss work through large inputs in chunks of this many rows, so the workspace stays bounded.");
            w.Line("private const int InferenceChunkRows = 4096;");
            w.Line();
        }

        private static void WriteLayout(SourceWriter w, ExecutionPlan plan)
        {
            w.Line("// Offsets into the flat buffers. Parameters and Gradients share one layout (PyTorch's state_dict order:");
            w.Line("// weight [units, inputs], bias, then the normalization's scale and shift). Offsets marked 'per row' are in the");
            w.Line("// activation workspace and count floats per row: a region starts at offset × row capacity and holds rows × width");
            w.Line("// values. Offsets marked 'scratch' are in the fixed scratch buffer; the others index Parameters/RunningStatistics.");
            using (w.Block("private static class Layout"))
            {
                foreach (var b in plan.Blocks)
                {
                    w.Line($"// {b.Name}: {b.Description}");
                    w.Line($"public const int {b.Name}Inputs = {b.Inputs};");
                    w.Line($"public const int {b.Name}Units = {b.Units};");
                    w.Line($"public const int {b.Name}ParameterOffset = {b.ParameterOffset}; // the block's parameters, one range");
                    w.Line($"public const int {b.Name}ParameterCount = {b.ParameterCount};");
                    w.Line($"public const int {b.Name}WeightOffset = {b.WeightOffset};");
                    if (b.HasBias) w.Line($"public const int {b.Name}BiasOffset = {b.BiasOffset};");
                    if (b.AnyNorm is { } norm)
                    {
                        w.Line($"public const int {b.Name}GammaOffset = {norm.GammaOffset};");
                        w.Line($"public const int {b.Name}BetaOffset = {norm.BetaOffset};");
                    }
                    if (b.AnyNorm is { HasRunningStatistics: true })
                    {
                        var batchNorm = b.AnyNorm;
                        w.Line($"public const int {b.Name}RunningMeanOffset = {batchNorm.RunningMeanOffset};");
                        w.Line($"public const int {b.Name}RunningVarianceOffset = {batchNorm.RunningVarianceOffset};");
                        w.Line($"public const int {b.Name}InverseStdOffset = {batchNorm.ScratchOffset}; // scratch");
                        w.Line($"public const int {b.Name}InferenceScaleOffset = {batchNorm.ScratchOffset + b.NormWidth}; // scratch");
                        w.Line($"public const int {b.Name}InferenceShiftOffset = {batchNorm.ScratchOffset + 2 * b.NormWidth}; // scratch");
                    }
                    if (b.Add is { HasProjection: true } projection)
                    {
                        w.Line($"public const int {b.Name}ShortcutInputs = {projection.SkipWidth};");
                        w.Line($"public const int {b.Name}ShortcutWeightOffset = {projection.ProjectionWeightOffset};");
                    }
                    if (b.InputNorm is { } inputNorm)
                    {
                        w.Line($"public const int {b.Name}NormalizedOffset = {inputNorm.NormalizedRowOffset}; // per row: the input normalization's x̂");
                        w.Line($"public const int {b.Name}NormOutputOffset = {inputNorm.OutputRowOffset}; // per row: what the Dense reads");
                        w.Line($"public const int {b.Name}NormGradientOffset = {inputNorm.GradientRowOffset}; // per row");
                    }
                    w.Line($"public const int {b.Name}PreActivationOffset = {b.PreActivationRowOffset}; // per row");
                    w.Line($"public const int {b.Name}OutputOffset = {plan.OutputOf(b).OutputRowOffset}; // per row");
                    w.Line($"public const int {b.Name}GradientOffset = {plan.OutputOf(b).GradientRowOffset}; // per row");
                    if (b.AnyNorm is { InverseStdPerRow: > 0 } rowNorm)
                        w.Line($"public const int {b.Name}InverseStdOffset = {rowNorm.InverseStdRowOffset}; // per row, {rowNorm.InverseStdPerRow} each");
                    if (b.HasDropout)
                        w.Line($"public const int {b.Name}DropoutMaskOffset = {b.DropoutMaskRowOffset}; // per row, {b.DropoutMaskPerRow} each: 32 kept bits per float");
                    if (b.Add is { HasProjection: true } shortcut)
                        w.Line($"public const int {b.Name}ShortcutOffset = {plan.Values[shortcut.ProjectionValue].OutputRowOffset}; // per row");
                    w.Line();
                }
                w.Line($"public const int ActivationsPerRow = {plan.ActivationFloatsPerRow};");
                w.Line($"public const int ScratchLength = {plan.ScratchLength};");
            }
            w.Line();

            w.Line("private static readonly global::DslNet.TensorSlot[] ParameterSlots =");
            w.Line("{");
            foreach (var b in plan.Blocks)
            {
                void NormSlots()
                {
                    w.Line($"    new(\"{b.Name}.Gamma\", global::DslNet.ParameterKind.NormScale, Layout.{b.Name}GammaOffset, new[] {{ {b.NormWidth} }}),");
                    w.Line($"    new(\"{b.Name}.Beta\", global::DslNet.ParameterKind.NormShift, Layout.{b.Name}BetaOffset, new[] {{ {b.NormWidth} }}),");
                }

                // In buffer order: a pre-activation block's input normalization comes before its Dense.
                if (b.HasInputNorm) NormSlots();
                w.Line($"    new(\"{b.Name}.Weight\", global::DslNet.ParameterKind.Weight, Layout.{b.Name}WeightOffset, new[] {{ {b.Units}, {b.Inputs} }}),");
                if (b.HasBias) w.Line($"    new(\"{b.Name}.Bias\", global::DslNet.ParameterKind.Bias, Layout.{b.Name}BiasOffset, new[] {{ {b.Units} }}),");
                if (b.HasNorm) NormSlots();
                if (b.HasProjection)
                    w.Line($"    new(\"{b.Name}.ShortcutWeight\", global::DslNet.ParameterKind.Weight, Layout.{b.Name}ShortcutWeightOffset, " +
                           $"new[] {{ {b.Units}, {b.Add!.SkipWidth} }}),");
            }
            w.Line("};");
            w.Line();
            w.Line("private static readonly global::DslNet.TensorSlot[] RunningStatisticSlots =");
            w.Line("{");
            foreach (var b in plan.Blocks.Where(b => b.AnyNorm is { HasRunningStatistics: true }))
            {
                w.Line($"    new(\"{b.Name}.RunningMean\", global::DslNet.ParameterKind.RunningMean, Layout.{b.Name}RunningMeanOffset, new[] {{ {b.NormWidth} }}),");
                w.Line($"    new(\"{b.Name}.RunningVariance\", global::DslNet.ParameterKind.RunningVariance, Layout.{b.Name}RunningVarianceOffset, " +
                       $"new[] {{ {b.NormWidth} }}),");
            }
            w.Line("};");
            w.Line();
        }

        private static void WriteFields(SourceWriter w, ExecutionPlan plan)
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

        private static void WriteConstructor(SourceWriter w, ExecutionPlan plan)
        {
            w.Line("/// <summary>Creates the network with freshly initialized parameters; the seed fixes initialization and dropout masks.</summary>");
            using (w.Block($"public {plan.ClassName}(int seed = 0)"))
            {
                w.Line("_seed = unchecked((ulong)seed);");
                w.Line("_parameters = new global::DslNet.ParameterBuffer(ParameterCount, ParameterSlots);");
                w.Line("_runningStatistics = new global::DslNet.TensorBuffer(RunningStatisticCount, RunningStatisticSlots);");
                w.Line("_scratch = global::System.GC.AllocateArray<float>(Layout.ScratchLength, pinned: true);");
                foreach (var b in plan.Blocks)
                    w.Line($"{Names.Field(b.Name)} = new global::DslNet.DenseBlock(\"{b.Name}\", Layout.{b.Name}Inputs, Layout.{b.Name}Units, _parameters, _runningStatistics);");
                w.Line("_monitor = new global::DslNet.NetworkMonitor(");
                WriteArray(w, plan.Blocks.Select(b => "\"" + b.Name + "\""));
                WriteArray(w, plan.Blocks.Select(b => "global::DslNet.Saturation." + Saturation(b.Activation)));
                WriteArray(w, plan.Blocks.Select(b => $"Layout.{b.Name}Units"));
                w.Line("    _parameters);");
                w.Line();
                w.Line("// Biases and shifts start at zero (the buffer is zeroed); scales and running variances at one.");
                w.Line("var random = new global::System.Random(seed);");
                foreach (var b in plan.Blocks)
                {
                    var field = Names.Field(b.Name);
                    w.Line($"global::DslNet.Initializers.Fill({field}.Weight.Span, Layout.{b.Name}Units, Layout.{b.Name}Inputs, {Names.InitName(b.Init)},");
                    w.Line($"    gain: {Names.Double(b.InitGain)}, std: {Names.Double(b.InitStd)}, {Names.FanName(b.Fan)}, random);");
                    if (b.Dense.InitScale != 1.0)
                    {
                        w.Line($"// Residual branch ({ResidualInitComment(plan, b)}): its weight starts scaled by {Names.Double(b.Dense.InitScale)}.");
                        w.Line($"foreach (ref var weight in {field}.Weight.Span) weight *= {Names.Float(b.Dense.InitScale)};");
                    }
                    if (b.HasProjection)
                    {
                        w.Line($"global::DslNet.Initializers.Fill(_parameters.Span.Slice(Layout.{b.Name}ShortcutWeightOffset, Layout.{b.Name}Units * Layout.{b.Name}ShortcutInputs),");
                        w.Line($"    Layout.{b.Name}Units, Layout.{b.Name}ShortcutInputs, {Names.InitName(b.Add!.ProjectionInit)}, gain: {Names.Double(b.Add.ProjectionGain)}, std: 0.01,");
                        w.Line($"    {Names.FanName(Parsing.FanKind.In)}, random);");
                    }
                    if (b.NormOp is { ZeroInitGamma: true })
                        w.Line($"// γ of the residual branch's normalization starts at 0 (zero_init_residual): the unit starts as the identity.");
                    else if (b.AnyNorm != null) w.Line($"{field}.Gamma!.Span.Fill(1f);");
                    if (b.AnyNorm is { HasRunningStatistics: true }) w.Line($"{field}.RunningVariance!.Span.Fill(1f);");
                }
            }
            w.Line();
            WriteDeviceConstructor(w, plan.ClassName);
        }

        /// <summary>The constructor with a device and precision, shared with image models: the CPU runs every precision;
        /// any other device gets the generated device path (<c>CreateDeviceNetwork</c>, in the model's .Gpu.g.cs).</summary>
        public static void WriteDeviceConstructor(SourceWriter w, string className)
        {
            w.Line("/// <summary>");
            w.Line("/// Creates the network on <paramref name=\"device\"/> (the same initialization as the CPU constructor). On a GPU its");
            w.Line("/// buffers live on the device; see <see cref=\"SyncToHost\"/> for when the host buffers are current.");
            w.Line("/// </summary>");
            using (w.Block($"public {className}(int seed, global::DslNet.Device device, global::DslNet.Precision precision = global::DslNet.Precision.Fp32)\n    : this(seed)"))
            {
                w.Line("if (device is null) throw new global::System.ArgumentNullException(nameof(device));");
                w.Line("Device = device;");
                w.Line("Precision = precision;");
                w.Line("if (!global::System.Enum.IsDefined(precision)) throw new global::System.ArgumentOutOfRangeException(nameof(precision), precision, null);");
                w.Line("// The CPU path runs every precision: it rounds what it stores (see RoundToStorage).");
                w.Line("if (device.Equals(global::DslNet.Device.Cpu)) return;");
                w.Line("CreateDeviceNetwork(device, precision, ref _device);");
                w.Line("if (_device is null)");
                w.Line($"    throw new global::DslNet.DeviceUnavailableException(\"{className} was compiled without ILGPU, so it has no device path; \" +");
                w.Line("        \"reference the ILGPU package (DslNet.Runtime brings it).\");");
                w.Line("_device.SyncToDevice(_parameters, _runningStatistics);");
            }
            w.Line();
            w.Line("partial void CreateDeviceNetwork(global::DslNet.Device device, global::DslNet.Precision precision, ref global::DslNet.Devices.DeviceNetwork? network);");
            w.Line();
        }

        private static void WriteMembers(SourceWriter w, ExecutionPlan plan)
        {
            foreach (var b in plan.Blocks)
            {
                w.Line($"/// <summary>{b.Description}.</summary>");
                w.Line($"{b.Accessibility} partial global::DslNet.DenseBlock {b.Name} => {Names.Field(b.Name)};");
                w.Line();
            }

            w.Line("/// <summary>All trainable parameters in one flat buffer, with a named view per tensor.</summary>");
            w.Line("public global::DslNet.ParameterBuffer Parameters => _parameters;");
            w.Line();
            w.Line("/// <summary>Gradients of the last <c>TrainStep</c>, laid out like <see cref=\"Parameters\"/>.</summary>");
            w.Line("public global::DslNet.TensorBuffer Gradients => _parameters.Gradients;");
            w.Line();
            w.Line("/// <summary>BatchNorm running means and variances, used by <see cref=\"Predict\"/>.</summary>");
            w.Line("public global::DslNet.TensorBuffer RunningStatistics => _runningStatistics;");
            w.Line();
            w.Line("/// <summary>Training steps taken so far; each step draws fresh dropout masks. Set it to replay a step's masks.</summary>");
            w.Line("public long StepCount { get => _stepCount; set => _stepCount = value; }");
            w.Line();
            w.Line("/// <summary>The seed dropout masks are keyed by; with <see cref=\"StepCount\"/>, the network's random state.</summary>");
            w.Line("public ulong Seed { get => _seed; set => _seed = value; }");
            w.Line();
            WriteDeviceMembers(w);
            WriteDataParallelHooks(w, plan);
            w.Line("/// <summary>Activation and gradient statistics every <c>Monitor.Interval</c> steps, and anomaly mode.</summary>");
            w.Line("public global::DslNet.NetworkMonitor Monitor => _monitor;");
            w.Line();
            w.Line("int global::DslNet.INetwork.InputSize => InputSize;");
            w.Line("int global::DslNet.INetwork.OutputSize => OutputSize;");
            w.Line($"global::DslNet.Loss global::DslNet.INetwork.Loss => {Names.LossName(plan.Loss)};");
            w.Line();
            w.Line("/// <summary>A table of the blocks, their output shapes and parameter counts; on a device, also the GEMM path of each layer.</summary>");
            w.Line("public string Summary() => _device is null ? SummaryText : SummaryText + global::System.Environment.NewLine + _device.DescribeGemms();");
            w.Line();
            w.Line("private const string SummaryText =");
            var lines = SummaryLines(plan);
            for (var i = 0; i < lines.Count; i++)
                w.Line("    \"" + lines[i].Replace("\\", "\\\\").Replace("\"", "\\\"") + "\\n\"" + (i == lines.Count - 1 ? ";" : " +"));
        }

        /// <summary>Device, Precision, DeviceNetwork and the host synchronisation (over the <c>_device</c> field), shared with
        /// image models.</summary>
        public static void WriteDeviceMembers(SourceWriter w)
        {
            w.Line("/// <summary>Where the network runs: <see cref=\"global::DslNet.Device.Cpu\"/> unless the constructor named a device.</summary>");
            w.Line("public global::DslNet.Device Device { get; } = global::DslNet.Device.Cpu;");
            w.Line();
            w.Line("/// <summary>Storage type of activations and activation gradients; parameters and their gradients stay fp32.</summary>");
            w.Line("public global::DslNet.Precision Precision { get; } = global::DslNet.Precision.Fp32;");
            w.Line();
            w.Line("/// <summary>The device path (null on the CPU): its buffers, kernels and the device optimizer's hooks.</summary>");
            w.Line("public global::DslNet.Devices.DeviceNetwork? DeviceNetwork => _device;");
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// Copies parameters, gradients and running statistics from the device into <see cref=\"Parameters\"/>,");
            w.Line("/// <see cref=\"Gradients\"/> and <see cref=\"RunningStatistics\"/>. Needed only while a device optimizer keeps the");
            w.Line("/// network resident (<c>DeviceAdamW</c>); with the host optimizers the host buffers are current after every step.");
            w.Line("/// A no-op on the CPU.");
            w.Line("/// </summary>");
            w.Line("public void SyncToHost() => _device?.SyncToHost(_parameters, _runningStatistics);");
            w.Line();
            w.Line("/// <summary>Copies host edits of the parameters, gradients and running statistics to the device (a no-op on the CPU).</summary>");
            w.Line("public void SyncToDevice() => _device?.SyncToDevice(_parameters, _runningStatistics);");
            w.Line();
        }

        private static void WriteDataParallelHooks(SourceWriter w, ExecutionPlan plan)
        {
            w.Line("/// <summary>Told in TrainStep's backward pass as each block's parameter gradients become final (CPU path); null: nobody.</summary>");
            w.Line("public global::DslNet.IGradientsReady? GradientsReady { get; set; }");
            w.Line();
            w.Line("/// <summary>SyncBatchNorm's collective over the data-parallel job; null: this process's batch is the whole batch.</summary>");
            if (!Layers.BatchNorm.AnySynced(plan))
            {
                w.Line("public global::DslNet.Kernels.Cpu.IStatisticsReducer? StatisticsReducer { get; set; }");
                w.Line();
                return;
            }
            using (w.Block("public global::DslNet.Kernels.Cpu.IStatisticsReducer? StatisticsReducer"))
            {
                w.Line("get => _statisticsReducer;");
                w.Line("set => _statisticsReducer = value is null || _device is null ? value : throw new global::System.NotSupportedException(");
                w.Line($"    \"{plan.ClassName}: SyncBatchNorm ([BatchNorm(Sync = true)]) runs on the CPU path only; on a device, use [BatchNorm].\");");
            }
            w.Line();
            w.Line("private global::DslNet.Kernels.Cpu.IStatisticsReducer? _statisticsReducer;");
            w.Line();
        }

        /// <summary>An array argument on one line, or one element per line when that line would be long.</summary>
        private static void WriteArray(SourceWriter w, IEnumerable<string> elements)
        {
            var list = elements.ToList();
            var line = $"    new[] {{ {string.Join(", ", list)} }},";
            if (line.Length < 120)
            {
                w.Line(line);
                return;
            }
            w.Line("    new[]");
            w.Line("    {");
            foreach (var element in list) w.Line($"        {element},");
            w.Line("    },");
        }

        private static string Saturation(ActivationKind activation) => Layers.LayerRegistry.Activation(activation).Saturation;

        private static string ResidualInitComment(ExecutionPlan plan, BlockPlan b) =>
            b.Dense.InitScale == 0 ? "Fixup: no normalization to zero, so the weight starts at zero" : "GPT-2: 1/√(2N), N residual units";

        private static string Count(int count, string noun) => count + " " + noun + (count == 1 ? "" : "s");

        private static List<string> SummaryLines(ExecutionPlan plan)
        {
            var rows = plan.Blocks.Select(b => new[] { b.Name, b.Description, $"[rows, {b.Units}]", b.ParameterCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) }).ToList();
            var header = new[] { "Block", "Layers", "Output", "Parameters" };
            var widths = Enumerable.Range(0, 4).Select(c => rows.Select(r => r[c].Length).Concat(new[] { header[c].Length }).Max()).ToArray();
            string Format(string[] r) => $"{r[0].PadRight(widths[0])}  {r[1].PadRight(widths[1])}  {r[2].PadRight(widths[2])}  {r[3].PadLeft(widths[3])}";
            var rule = new string('─', widths.Sum() + 6);
            var lines = new List<string>
            {
                $"{plan.ClassName}: {plan.InputSize} inputs, loss {Names.LossDescription(plan.Loss, plan.LabelSmoothing)}",
                rule,
                Format(header),
                rule,
            };
            lines.AddRange(rows.Select(Format));
            lines.Add(rule);
            lines.Add("Trainable parameters: " + plan.ParameterCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) +
                      "   Running statistics: " + plan.RunningStatisticCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            return lines;
        }
    }
}
