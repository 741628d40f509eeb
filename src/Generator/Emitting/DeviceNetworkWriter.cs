using DslNet.Generator.Parsing;

namespace DslNet.Generator.Emitting
{
    /// <summary>
    /// What every generated device path writes the same way, dense (<see cref="GpuPathEmitter"/>) or image
    /// (<see cref="Spatial.SpatialGpuEmitter"/>): the usings, the factory that picks the storage precision's instantiation,
    /// the workspace region helpers and the loss kernels' calls.
    /// </summary>
    internal static class DeviceNetworkWriter
    {
        public const string G = "GpuKernels";
        public const string Views = G + ".NetworkViews";
        public const string NoDropout = "default(" + G + ".GpuDropout)";

        public static void WriteUsings(SourceWriter w)
        {
            w.Line($"using {G} = global::DslNet.Kernels.Gpu;");
            w.Line("using KernelConfig = global::ILGPU.KernelConfig;");
        }

        /// <summary>The model's <c>CreateDeviceNetwork</c>: one device path class, instantiated for the storage precision.</summary>
        public static void WriteFactory(SourceWriter w)
        {
            w.Line("partial void CreateDeviceNetwork(global::DslNet.Device device, global::DslNet.Precision precision,");
            w.Line("    ref global::DslNet.Devices.DeviceNetwork? network) =>");
            w.Line("    network = precision switch");
            w.Line("    {");
            w.Line($"        global::DslNet.Precision.Fp16 => new GpuPath<{G}.HalfTensor<{G}.Fp16Format>>(device, precision),");
            w.Line($"        global::DslNet.Precision.Bf16 => new GpuPath<{G}.HalfTensor<{G}.Bf16Format>>(device, precision),");
            w.Line($"        _ => new GpuPath<{G}.Fp32Tensor>(device, precision),");
            w.Line("    };");
            w.Line();
        }

        /// <summary>The device path's class header (its summary comes before it).</summary>
        public const string ClassHeader = "private sealed class GpuPath<TActivations> : global::DslNet.Devices.DeviceNetwork\n" +
                                          "    where TActivations : struct, " + G + ".IActivationStorage<TActivations>";

        public static void WriteRegionHelpers(SourceWriter w)
        {
            w.Line("/// <summary>A block's activations in this network's storage precision.</summary>");
            w.Line($"private static TActivations Activations({Views} v, int offsetPerRow, int width) =>");
            w.Line("    default(TActivations).Region(v, offsetPerRow, width, raisesOverflow: false);");
            w.Line();
            w.Line("/// <summary>A block's activation gradients in this network's storage precision: a store that overflows raises the flag.</summary>");
            w.Line($"private static TActivations ActivationGradients({Views} v, int offsetPerRow, int width) =>");
            w.Line("    default(TActivations).Region(v, offsetPerRow, width, raisesOverflow: true);");
            w.Line();
        }

        /// <summary>The loss kernel's body: the loss sum into <c>v.Sums</c> and, with a gradient, its gradient times the scale.</summary>
        public static string LossCall(LossKind loss, double labelSmoothing, string logits, string gradient, bool withGradient, string scale)
        {
            var with = withGradient ? "true" : "false";
            switch (loss)
            {
                case LossKind.BinaryCrossEntropyWithLogits:
                    return $"{G}.GpuLosses.BinaryCrossEntropyWithLogits({logits}, v.Targets, {gradient}, {with}, v.Rows * OutputSize, {scale}, v.Sums)";
                case LossKind.CrossEntropy:
                    return $"{G}.GpuLosses.CrossEntropy({logits}, v.Targets, {gradient}, {with}, v.Rows, OutputSize, {scale}, v.Sums{CpuLossCall.SmoothingArgument(labelSmoothing)})";
                default:
                    return $"{G}.GpuLosses.MeanSquaredError({logits}, v.Targets, {gradient}, {with}, v.Rows * OutputSize, {scale}, v.Sums)";
            }
        }

        /// <summary>The loss kernels' launch configuration (one thread per row for CrossEntropy, per output otherwise).</summary>
        public static string LossConfig(LossKind loss) => $"{G}.GpuLosses.Config({(loss == LossKind.CrossEntropy ? "rows" : "rows * OutputSize")})";

        /// <summary>The mean loss from the device's sum, read back (with the overflow flag) at the end of a step.</summary>
        public static string MeanLoss(LossKind loss) =>
            $"return (float)(ReadSum() / {(loss == LossKind.CrossEntropy ? "rows" : "((double)rows * OutputSize)")});";

        public static string TargetsPerRow(LossKind loss) => loss == LossKind.CrossEntropy ? "1" : "OutputSize";
    }
}
