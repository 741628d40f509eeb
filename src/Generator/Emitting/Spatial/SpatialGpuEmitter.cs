using System.Collections.Generic;
using System.Linq;
using DslNet.Generator.Planning;
using DslNet.Generator.Planning.Spatial;
using static DslNet.Generator.Emitting.Spatial.SpatialNames;

namespace DslNet.Generator.Emitting.Spatial
{
    /// <summary>
    /// Writes an image model's device path: a nested <c>GpuPath&lt;TActivations&gt;</c> (a <c>DeviceNetwork</c>, like an MLP's)
    /// whose kernels walk the plan's steps as the CPU path does (training forward, loss, the plan's backward order; Predict
    /// in eval mode), on the same workspace layout. Emitted only when the compilation references ILGPU.
    /// </summary>
    internal static class SpatialGpuEmitter
    {
        private const string Views = DeviceNetworkWriter.Views;

        public static string Emit(SpatialPlan plan)
        {
            var w = new SourceWriter();
            FileHeader.Write(w, plan.ClassName, "ILGPU device kernels", usesKernels: true);
            DeviceNetworkWriter.WriteUsings(w);
            w.Line("using Grid = global::ILGPU.Grid;");
            w.Line("using Group = global::ILGPU.Group;");
            w.Line();
            using (FileHeader.OpenNamespace(w, plan.Namespace))
            using (w.Block($"partial class {plan.ClassName}"))
            {
                DeviceNetworkWriter.WriteFactory(w);
                w.Line("/// <summary>");
                w.Line("/// The device path: the CPU path's steps as one kernel per pass of each step (one thread per value written), on the");
                w.Line("/// same workspace layout. Activations and their gradients are stored as <typeparamref name=\"TActivations\"/>;");
                w.Line("/// parameters, their gradients, statistics and the loss are fp32, and every sum is accumulated in fp32 or double.");
                w.Line("/// </summary>");
                using (w.Block(DeviceNetworkWriter.ClassHeader))
                {
                    var kernels = AllKernels(plan);
                    WriteDeviceStorage(w, plan);
                    WriteGemmChoices(w, plan);
                    foreach (var k in kernels)
                        w.Line($"private readonly global::System.Action<KernelConfig, {Views}> _{Lower(k.Name)};");
                    w.Line();
                    using (w.Block("public GpuPath(global::DslNet.Device device, global::DslNet.Precision precision)\n" +
                                   "    : base(device, precision, new global::DslNet.Devices.NetworkShape(ParameterCount, RunningStatisticCount, " +
                                   "DeviceScratchLength,\n        Layout.ActivationsPerRow, InputSize, OutputSize, " +
                                   $"{DeviceNetworkWriter.TargetsPerRow(plan.Loss)}, RowStatisticsPerRow,\n        LargestWeight: LargestLibraryWeight, " +
                                   "WidestGemmRow: GemmProductPerRow, GemmColumnsPerRow: GemmColumnsPerRow))"))
                    {
                        foreach (var k in kernels)
                            w.Line($"_{Lower(k.Name)} = Load({k.Name}Kernel);");
                    }
                    w.Line();
                    WriteTrainStep(w, plan);
                    WritePredict(w, plan);
                    WriteEvaluateLoss(w, plan);
                    WriteViewHelpers(w);
                    WriteDenseGeometries(w, plan);
                    WriteLibraryRoutes(w, plan);
                    foreach (var k in kernels) WriteKernel(w, k);
                }
            }
            return w.ToString();
        }

        /// <summary>Every kernel once, in launch order (inference reuses most of the training forward's).</summary>
        private static List<DeviceKernel> AllKernels(SpatialPlan plan)
        {
            var all = new List<DeviceKernel>();
            foreach (var step in plan.Steps)
            {
                all.AddRange(SpatialGpuKernels.Forward(plan, step));
                all.AddRange(SpatialGpuKernels.Inference(plan, step));
                all.AddRange(SpatialGpuKernels.Backward(plan, step));
            }
            all.AddRange(LossKernels(plan));
            all.Add(CopyOutputs(plan));
            all.AddRange(all.Where(k => k.Library != null).SelectMany(k => k.Library!).Where(l => l.Kernel != null).Select(l => l.Kernel!).ToList());
            return all.GroupBy(k => k.Name).Select(g => g.First()).ToList();
        }

        private static IEnumerable<DeviceKernel> LossKernels(SpatialPlan plan)
        {
            var config = DeviceNetworkWriter.LossConfig(plan.Loss);
            yield return DeviceKernel.Strided("Loss", $"{plan.Loss}: the mean loss's sum, and its gradient times the loss scale", config,
                DeviceNetworkWriter.LossCall(plan.Loss, plan.LabelSmoothing, SpatialGpuKernels.Value(plan.Output), SpatialGpuKernels.ValueGradient(plan.Output), true,
                    "v.LossScale"));
            yield return DeviceKernel.Strided("EvaluationLoss", $"{plan.Loss} over the inference outputs", config,
                DeviceNetworkWriter.LossCall(plan.Loss, plan.LabelSmoothing, "v.OutputTensor", "v.OutputTensor", false, "1f"));
        }

        private static DeviceKernel CopyOutputs(SpatialPlan plan) =>
            new DeviceKernel("CopyOutputs", "The logits to the fp32 outputs that go back to the host", "{rows} * OutputSize",
                $"{SpatialGpuKernels.GS}.GpuPointwise.Forward(e, logits, v.OutputTensor, {Names.Identity}, {DeviceNetworkWriter.NoDropout})",
                ("logits", SpatialGpuKernels.Value(plan.Output)));

        // ── launch sequences ──

        private static void WriteTrainStep(SourceWriter w, SpatialPlan plan)
        {
            using (w.Block("protected override float TrainStepCore(int rows, float lossScale, ulong seed, long step)"))
            {
                w.Line("var v = Views(rows, seed, step, lossScale);");
                WriteGemmPathChoice(w, plan);
                foreach (var step in plan.Steps)
                    foreach (var k in SpatialGpuKernels.Forward(plan, step)) Launch(w, k);
                w.Line("ClearSums();");
                Launch(w, LossKernels(plan).First());
                w.Line("// The plan's backward order: a value read twice (a residual skip) has its gradient written by its first");
                w.Line("// contribution and added to by the later one.");
                foreach (var index in plan.BackwardOrder)
                    foreach (var k in SpatialGpuKernels.Backward(plan, plan.Steps[index])) Launch(w, k);
                w.Line(DeviceNetworkWriter.MeanLoss(plan.Loss));
            }
            w.Line();
        }

        private static void WritePredict(SourceWriter w, SpatialPlan plan)
        {
            using (w.Block("protected override void PredictCore(int rows)"))
            {
                w.Line("var v = Views(rows);");
                WriteGemmPathChoice(w, plan);
                foreach (var step in plan.Steps)
                    foreach (var k in SpatialGpuKernels.Inference(plan, step)) Launch(w, k);
                Launch(w, CopyOutputs(plan));
            }
            w.Line();
        }

        private static void WriteEvaluateLoss(SourceWriter w, SpatialPlan plan)
        {
            using (w.Block("protected override float EvaluateLossCore(int rows)"))
            {
                w.Line("PredictCore(rows);");
                w.Line("var v = Views(rows);");
                w.Line("ClearLossSum();");
                Launch(w, LossKernels(plan).Last());
                w.Line(DeviceNetworkWriter.MeanLoss(plan.Loss));
            }
            w.Line();
        }

        private static void Launch(SourceWriter w, DeviceKernel k)
        {
            var config = k.GridStride ? k.Config! : $"Threads({(k.LaunchThreads.Contains("rows") ? "(long)" : "")}{k.LaunchThreads})";
            if (k.Library == null)
            {
                w.Line($"_{Lower(k.Name)}({config}, v);");
                return;
            }

            w.Line($"if (library) {k.Name}Library(v, rows);");
            w.Line($"else _{Lower(k.Name)}({config}, v);");
        }

        /// <summary>The step's GEMM path, chosen once from its rows (only where a convolution is library-eligible).</summary>
        private static void WriteGemmPathChoice(SourceWriter w, SpatialPlan plan)
        {
            if (ConvGemmPlanner.LargestWeight(plan) > 0) w.Line("var library = UseLibraryGemm(rows);");
        }

        /// <summary>Each library route as a method: its kernels and the library GEMM in order, replacing one direct kernel.</summary>
        private static void WriteLibraryRoutes(SourceWriter w, SpatialPlan plan)
        {
            var routed = AllKernels(plan).Where(k => k.Library != null);
            foreach (var k in routed)
            {
                w.Line($"// {k.Comment}: the library route from the crossover on.");
                using (w.Block($"private void {k.Name}Library({Views} v, int rows)"))
                {
                    foreach (var launch in k.Library!)
                    {
                        if (launch.Kernel != null) Launch(w, launch.Kernel);
                        else w.Wrapped(launch.Gemm! + ";");
                    }
                }
                w.Line();
            }
        }

        // ── storage the device needs beyond the CPU path's layout ──

        private static void WriteDeviceStorage(SourceWriter w, SpatialPlan plan)
        {
            w.Line("// Scratch after the CPU path's: each BatchNorm2d's batch means, kept between its statistics and normalize kernels.");
            var scratch = 0;
            foreach (var step in plan.Steps.Where(s => s.Norm?.Kind == SpatialNormKind.BatchNorm))
            {
                w.Line($"private const int {step.Name}BatchMeanOffset = Layout.ScratchLength + {scratch}; // [{step.Norm!.Channels}]");
                scratch += step.Norm.Channels;
            }
            var reordered = ConvGemmPlanner.PatchOrderWeightLength(plan);
            if (reordered > 0)
            {
                w.Line("// The weight of a library-eligible convolution in its columns' order [C_out, kh, kw, C_in], one at a time.");
                w.Line($"private const int {SpatialGpuKernels.PatchOrderWeightOffset} = Layout.ScratchLength + {scratch}; // [{reordered}]");
                scratch += reordered;
            }
            w.Line($"private const int DeviceScratchLength = Layout.ScratchLength + {scratch};");
            w.Line();
            w.Line("// Per-row fp32 statistics (the workspace may be 16-bit): GroupNorm-style inverse stds and moments per (image, group),");
            w.Line("// MaxPool2d's argmax indices (ints in the same bits). A region starts at offset × row capacity.");
            var offset = 0;
            foreach (var step in plan.Steps)
            {
                if (step.Norm is { Kind: not SpatialNormKind.BatchNorm } norm)
                {
                    w.Line($"private const int {step.Name}InverseStdRowOffset = {offset}; // {norm.Groups} per row");
                    w.Line($"private const int {step.Name}GroupMomentsRowOffset = {offset + norm.Groups}; // {2 * norm.Groups} per row");
                    offset += 3 * norm.Groups;
                }
                if (step.Kind == SpatialStepKind.MaxPool)
                {
                    w.Line($"private const int {step.Name}ArgmaxRowOffset = {offset}; // Layout.{step.Name}Size per row");
                    offset += step.OutputShape.Size;
                }
            }
            w.Line($"private const int RowStatisticsPerRow = {offset};");
            w.Line();
        }

        /// <summary>The planner's GEMM choice for the convolutions, the buffers of their library route, and Summary()'s list.</summary>
        private static void WriteGemmChoices(SourceWriter w, SpatialPlan plan)
        {
            var convs = ConvGemmPlanner.Plan(plan);
            w.Line("// The planner's GEMM choice: library-eligible convolutions run as im2col, the library GEMM (cuBLAS) and an epilogue");
            w.Line("// kernel from the crossover on; the columns, product and reordered weight are sized for the largest of them.");
            w.Line($"private const int GemmColumnsPerRow = {ConvGemmPlanner.ColumnsPerRow(plan)};");
            w.Line($"private const int GemmProductPerRow = {ConvGemmPlanner.ProductPerRow(plan)};");
            w.Line($"private const int LargestLibraryWeight = {ConvGemmPlanner.LargestWeight(plan)};");
            w.Line();
            w.Line(string.Format(System.Globalization.CultureInfo.InvariantCulture,
                "// The MLPs' crossover of {0:N0} GEMM rows in images: a convolution's GEMM has a row per output pixel.", GemmPlanner.CrossoverRows));
            w.Line($"protected override int PlannedGemmCrossoverRows => {ConvGemmPlanner.CrossoverImages(plan)};");
            w.Line();
            w.Line("protected override string BelowCrossover => \"direct convolution kernels\";");
            w.Line();
            w.Line("protected override string RowsName => \"images\";");
            w.Line();
            w.Line("protected override global::System.Collections.Generic.IReadOnlyList<global::DslNet.Devices.GemmChoice> GemmChoices => PlannedGemms;");
            w.Line();
            w.Line("private static readonly global::DslNet.Devices.GemmChoice[] PlannedGemms =");
            w.Line("{");
            foreach (var conv in convs)
                foreach (var role in conv.Roles)
                    w.Line($"    new(\"{conv.Operation(role)}\", {conv.PatchLength}, {conv.Linear.OutChannels}, LibraryEligible: {Bool(conv.LibraryEligible)}" +
                           (conv.LibraryEligible ? "" : $", \"{conv.WhyDirect}\"") + "),");
            w.Line("};");
            w.Line();
        }

        private static void WriteViewHelpers(SourceWriter w)
        {
            DeviceNetworkWriter.WriteRegionHelpers(w);
            w.Line($"private static global::ILGPU.ArrayView<float> Parameter({Views} v, int offset, int length) => v.Parameters.SubView(offset, length);");
            w.Line();
            w.Line($"private static global::ILGPU.ArrayView<float> Gradient({Views} v, int offset, int length) => v.Gradients.SubView(offset, length);");
            w.Line();
            w.Line($"private static global::ILGPU.ArrayView<float> Running({Views} v, int offset, int length) => v.Statistics.SubView(offset, length);");
            w.Line();
            w.Line($"private static global::ILGPU.ArrayView<float> Scratch({Views} v, int offset, int length) => v.Scratch.SubView(offset, length);");
            w.Line();
            w.Line($"private static global::ILGPU.ArrayView<float> RowStatistics({Views} v, int offsetPerRow, int width) =>");
            w.Line("    v.RowStatisticsRegion(offsetPerRow, width);");
            w.Line();
            w.Line("/// <summary>One thread per value: the element-wise configuration (grid-stride loops cover the rest).</summary>");
            w.Line($"private static KernelConfig Threads(long count) => {DeviceNetworkWriter.G}.GpuElementwise.Config(count);");
            w.Line();
            w.Line("private static int GridStride => Grid.DimX * Group.DimX;");
            w.Line();
        }

        /// <summary>A Dense step runs as a 1×1 convolution of a 1×1 image (the CPU path's convolutions have their geometry already).</summary>
        private static void WriteDenseGeometries(SourceWriter w, SpatialPlan plan)
        {
            foreach (var step in plan.Steps.Where(s => s.Linear is { IsConvolution: false }))
            {
                var dense = step.Linear!;
                w.Line($"// {step.Name}'s Dense as a 1×1 convolution of a 1×1 image: the same weight [units, inputs] and the same products.");
                w.Wrapped($"private static {S}.Conv2dGeometry {step.Name}Geometry(int rows) => {S}.Conv2dGeometry.Planned(rows, " +
                          $"inChannels: {dense.InChannels}, height: 1, width: 1,\n    outChannels: {dense.OutChannels}, kernelHeight: 1, kernelWidth: 1, " +
                          "strideHeight: 1, strideWidth: 1, padHeight: 0, padWidth: 0, dilationHeight: 1, dilationWidth: 1, groups: 1);");
                w.Line();
            }
        }

        private static void WriteKernel(SourceWriter w, DeviceKernel k)
        {
            w.Line($"// {k.Comment}");
            if (k.GridStride)
            {
                w.Line($"private static void {k.Name}Kernel({Views} v) =>");
                w.Wrapped("    " + k.Call.Replace("\n", "\n    ") + ";");
                w.Line();
                return;
            }

            using (w.Block($"private static void {k.Name}Kernel({Views} v)"))
            {
                foreach (var (name, view) in k.Views) w.Wrapped($"var {name} = {view};");
                w.Line($"for (int e = Grid.GlobalIndex.X; e < {k.KernelThreads}; e += GridStride)");
                w.Wrapped("    " + k.Call.Replace("\n", "\n    ") + ";");
            }
            w.Line();
        }

        private static string Lower(string name) => char.ToLowerInvariant(name[0]) + name.Substring(1);
    }
}
