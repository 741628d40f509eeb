using System.Collections.Generic;
using DslNet.Generator.Planning;
using DslNet.Generator.Planning.Spatial;
using static DslNet.Generator.Emitting.Spatial.SpatialNames;

namespace DslNet.Generator.Emitting.Spatial
{
    /// <summary>
    /// The library routes of a library-eligible convolution (<see cref="ConvGemmPlanner"/>), which replace its direct kernels
    /// from the crossover on: im2col into <c>v.GemmColumns</c> (none for a pointwise convolution, whose input rows are the
    /// columns), the weight in the columns' order when it differs, the library GEMM on fp32 views, then an epilogue kernel.
    /// </summary>
    internal static partial class SpatialGpuKernels
    {
        /// <summary>The device scratch region of the weight in the columns' order (the largest reordered weight's size).</summary>
        public const string PatchOrderWeightOffset = "PatchOrderWeightOffset";

        private const string Wrap = "\n    ";

        /// <summary>Forward and inference: columns·Wᵀ into the product, then bias and (when fused) the activation.</summary>
        private static IReadOnlyList<LibraryLaunch> ForwardRoute(Group g, ConvGemmPlan conv, bool fused)
        {
            var n = g.Step.Name;
            var cout = conv.Linear.OutChannels;
            var route = new List<LibraryLaunch>();
            var columns = Columns(g, conv, route);
            if (conv.ReordersWeight) route.Add(LibraryLaunch.Of(PatchOrderWeight(g, conv)));
            route.Add(LibraryLaunch.LibraryGemm(columns, $"{conv.PatchLength}", "1", GemmWeight(g, conv), "1", $"{conv.PatchLength}",
                $"rows * {conv.OutputPixels}", $"{cout}", $"{conv.PatchLength}"));
            var activation = fused ? g.Step.Activation : new ActivationOp(ActivationKind.Identity, 0);
            var activationType = Layers.LayerRegistry.Activation(activation.Kind).KernelType(activation);
            route.Add(LibraryLaunch.Of(DeviceKernel.Strided($"{n}ForwardEpilogue",
                $"{n} forward, epilogue of the library GEMM: the pre-activation" + (conv.Linear.HasBias ? " + bias" : "") +
                (fused ? $", {g.Step.Activation.Kind}" : ""),
                $"{G}.GpuElementwise.Config((long)rows * {SpatialNames.Size(g.Output)})",
                $"{G}.GpuGemm.ApplyEpilogue(v.GemmProduct, m: v.Rows * {conv.OutputPixels}, n: {cout},{Wrap}new {G}.BiasActivationEpilogue<TActivations, " +
                $"{activationType}>({Wrap}    {g.Pre}, {Bias(g)}, HasBias: {Bool(conv.Linear.HasBias)},{Wrap}    " +
                $"{(fused ? Value(g.Output) : g.Pre)}, HasOutput: {Bool(fused)}, {cout}, {Activation(activation)}, {NoDropout}))")));
            return route;
        }

        /// <summary>The weight gradient as columnsᵀ·dy ([patch, C_out]) stored in PyTorch's layout; the bias gradient per channel.</summary>
        private static IReadOnlyList<LibraryLaunch> WeightGradientRoute(Group g, ConvGemmPlan conv, string gradient)
        {
            var n = g.Step.Name;
            var linear = conv.Linear;
            var route = new List<LibraryLaunch>();
            var columns = Columns(g, conv, route);
            route.Add(LibraryLaunch.LibraryGemm(columns, "1", $"{conv.PatchLength}", FloatGradient(g.Output), $"{linear.OutChannels}", "1",
                $"{conv.PatchLength}", $"{linear.OutChannels}", $"rows * {conv.OutputPixels}"));
            route.Add(LibraryLaunch.Of(new DeviceKernel($"{n}WeightGradientStore", $"{n} weight gradient: the library GEMM's [patch, C_out] in PyTorch's layout",
                linear.WeightCount.ToString(), $"{GS}.GpuIm2Col.WeightGradientFromPatchOrder(e, v.GemmProduct, weightGradient, {n}Geometry(v.Rows))",
                ("weightGradient", ParameterGradient(g, linear.ParameterPrefix + "Weight", linear.WeightCount)))));
            if (linear.HasBias)
                route.Add(LibraryLaunch.Of(new DeviceKernel($"{n}BiasGradient", $"{n} bias gradient, summed over the batch in double", linear.OutChannels.ToString(),
                    $"{GS}.GpuConv2d.BackwardBias(e, gradient, biasGradient, {n}Geometry(v.Rows))",
                    ("gradient", gradient), ("biasGradient", ParameterGradient(g, linear.ParameterPrefix + "Bias", linear.OutChannels)))));
            return route;
        }

        /// <summary>The input gradient as dy·W into the columns, then col2im into <paramref name="target"/> (the value's gradient
        /// or the gradient scratch, as the direct kernel would write).</summary>
        private static IReadOnlyList<LibraryLaunch> InputGradientRoute(Group g, ConvGemmPlan conv, (string Name, string View) target)
        {
            var n = g.Step.Name;
            var cout = conv.Linear.OutChannels;
            var route = new List<LibraryLaunch>();
            if (conv.ReordersWeight) route.Add(LibraryLaunch.Of(PatchOrderWeight(g, conv)));
            route.Add(LibraryLaunch.LibraryGemm(FloatGradient(g.Output), $"{cout}", "1", GemmWeight(g, conv), $"{conv.PatchLength}", "1",
                $"rows * {conv.OutputPixels}", $"{conv.PatchLength}", $"{cout}", product: "v.GemmColumns"));
            route.Add(LibraryLaunch.Of(new DeviceKernel($"{n}ColumnsToImage", $"{n} input gradient: col2im of the library GEMM's columns, a gather per input value",
                PerRow + SpatialNames.Size(g.Input), $"{GS}.GpuIm2Col.ToImage(e, columns, {target.Name}, {n}Geometry(v.Rows))", ("columns", ColumnsTensor), target)));
            return route;
        }

        /// <summary>The columns the GEMM reads: the input rows of a pointwise convolution, else im2col's (added to the route).</summary>
        private static string Columns(Group g, ConvGemmPlan conv, List<LibraryLaunch> route)
        {
            if (conv.IsPointwise) return FloatValue(g.Input);
            route.Add(LibraryLaunch.Of(new DeviceKernel($"{g.Step.Name}Im2Col", $"{g.Step.Name} im2col: the patch of each output pixel, (kh, kw, c_in)",
                PerRow + conv.ColumnsPerRow, $"{GS}.GpuIm2Col.Gather(e, input, columns, {g.Step.Name}Geometry(v.Rows))",
                ("input", Value(g.Input)), ("columns", ColumnsTensor))));
            return "v.GemmColumns";
        }

        private static DeviceKernel PatchOrderWeight(Group g, ConvGemmPlan conv) =>
            new DeviceKernel($"{g.Step.Name}PatchOrderWeight", $"{g.Step.Name} weight in the columns' order [C_out, kh, kw, C_in]",
                conv.Linear.WeightCount.ToString(), $"{GS}.GpuIm2Col.ToPatchOrder(e, weight, patchOrder, {g.Step.Name}Geometry(v.Rows))",
                ("weight", Weight(g)), ("patchOrder", PatchOrderWeight(conv)));

        /// <summary>The weight as the GEMM reads it, [C_out, patch]: the reordered copy, or the parameters themselves.</summary>
        private static string GemmWeight(Group g, ConvGemmPlan conv) => conv.ReordersWeight ? PatchOrderWeight(conv) : Weight(g);

        private static string PatchOrderWeight(ConvGemmPlan conv) => $"Scratch(v, {PatchOrderWeightOffset}, {conv.Linear.WeightCount})";

        private const string ColumnsTensor = "new " + G + ".Fp32Tensor(v.GemmColumns)";

        /// <summary>A value as a plain fp32 view, for the library GEMM (which runs in Precision.Fp32 only).</summary>
        private static string FloatValue(ValuePlan value) =>
            value.Id == ValuePlan.NetworkInput ? "v.Inputs" : $"v.Region(Layout.{value.Name}Offset, {SpatialNames.Size(value)})";

        private static string FloatGradient(ValuePlan value) => $"v.Region(Layout.{value.Name}GradientOffset, {SpatialNames.Size(value)})";
    }
}
