using System.Collections.Generic;
using System.Linq;

namespace DslNet.Generator.Planning.Spatial
{
    /// <summary>
    /// One convolution (or an image model's Dense, a 1×1 convolution of a 1×1 image) and its GEMMs on the device: as a GEMM it
    /// is [N·OH·OW, kH·kW·C_in] columns times the [C_out, kH·kW·C_in] weight. Library-eligible convolutions run, from the
    /// crossover on, as im2col into the columns buffer, the library GEMM and an epilogue kernel (the weight gradient as
    /// columnsᵀ·dy, the input gradient as dy·W into the columns, then col2im); the others always run their direct kernels.
    /// </summary>
    internal sealed class ConvGemmPlan
    {
        public ConvGemmPlan(SpatialStep step, bool libraryEligible, string? whyDirect)
        {
            Step = step;
            LibraryEligible = libraryEligible;
            WhyDirect = whyDirect;
        }

        public SpatialStep Step { get; }

        public LinearPlan Linear => Step.Linear!;

        public bool LibraryEligible { get; }

        /// <summary>Why the direct kernel always runs (null when library-eligible).</summary>
        public string? WhyDirect { get; }

        /// <summary>The GEMM depth: one row of the columns, (kh, kw, c_in) with c_in fastest as on the CPU.</summary>
        public int PatchLength => Linear.ReceptiveField * (Linear.InChannels / Linear.Groups);

        public int OutputPixels => Step.OutputShape.Height * Step.OutputShape.Width;

        /// <summary>A 1×1 stride-1 unpadded convolution (and a Dense) reads its input rows as the columns: no im2col.</summary>
        public bool IsPointwise => Linear.KernelSize == 1 && Linear.Stride == 1 && Linear.Padding == 0;

        /// <summary>Whether PyTorch's weight [C_out, C_in, kH, kW] differs from the columns' order [C_out, kH, kW, C_in] (not for a
        /// 1×1 kernel or one input channel), so the GEMM reads a reordered copy.</summary>
        public bool ReordersWeight => Linear.ReceptiveField > 1 && Linear.InChannels > 1;

        /// <summary>The columns buffer per batch row: the forward's and the weight gradient's im2col, the input gradient's product.</summary>
        public int ColumnsPerRow => OutputPixels * PatchLength;

        /// <summary>The GEMMs this convolution runs on the device: every role but the input gradient of a network input.</summary>
        public IEnumerable<GemmRole> Roles
        {
            get
            {
                yield return GemmRole.Forward;
                yield return GemmRole.Inference;
                yield return GemmRole.WeightGradient;
                if (Step.InputGradient != GradientMode.None) yield return GemmRole.InputGradient;
            }
        }

        public string Operation(GemmRole role) => GemmRoles.Operation(Step.Name, role);
    }

    /// <summary>
    /// The image models' side of the device GEMM choice (<see cref="GemmPlanner"/>): a convolution is library-eligible when
    /// groups = 1 and its weight has at least <see cref="GemmPlanner.MinimumLibraryWeight"/> elements; grouped and depthwise
    /// convolutions (a GEMM per group, too thin for the library) and small ones stay on the direct kernels. The crossover
    /// is the MLPs' in GEMM rows, turned into images; the buffers the library route needs are sized here.
    /// </summary>
    internal static class ConvGemmPlanner
    {
        public static IReadOnlyList<ConvGemmPlan> Plan(SpatialPlan plan) =>
            plan.Steps.Where(s => s.Linear != null).Select(Choose).ToList();

        /// <summary>The plan of <paramref name="step"/>'s convolution, or null when it has none.</summary>
        public static ConvGemmPlan? Find(SpatialPlan plan, SpatialStep step) => step.Linear == null ? null : Choose(step);

        /// <summary>
        /// The crossover in images (the batch's rows, which the runtime compares): the MLPs' <see cref="GemmPlanner.CrossoverRows"/>
        /// counts GEMM rows, and a convolution's GEMM has a row per output pixel, so from this many images on the eligible
        /// convolution with the fewest output pixels has that many. As unmeasured as the MLPs' value.
        /// </summary>
        public static int CrossoverImages(SpatialPlan plan)
        {
            var fewestPixels = Eligible(plan).Select(c => c.OutputPixels).DefaultIfEmpty(1).Min();
            return (GemmPlanner.CrossoverRows + fewestPixels - 1) / fewestPixels;
        }

        /// <summary>The columns buffer's floats per batch row: the largest library-eligible convolution's.</summary>
        public static int ColumnsPerRow(SpatialPlan plan) => Eligible(plan).Select(c => c.ColumnsPerRow).DefaultIfEmpty(0).Max();

        /// <summary>The product buffer's floats per batch row: the widest library-eligible convolution output.</summary>
        public static int ProductPerRow(SpatialPlan plan) => Eligible(plan).Select(c => c.OutputPixels * c.Linear.OutChannels).DefaultIfEmpty(0).Max();

        /// <summary>The largest library-eligible weight: the weight gradient's product, and the reordered weight's scratch.</summary>
        public static int LargestWeight(SpatialPlan plan) => Eligible(plan).Select(c => c.Linear.WeightCount).DefaultIfEmpty(0).Max();

        /// <summary>The device scratch for a weight in the columns' order: the largest reordered one (the routes use it in turn).</summary>
        public static int PatchOrderWeightLength(SpatialPlan plan) =>
            Eligible(plan).Where(c => c.ReordersWeight).Select(c => c.Linear.WeightCount).DefaultIfEmpty(0).Max();

        private static IEnumerable<ConvGemmPlan> Eligible(SpatialPlan plan) => Plan(plan).Where(c => c.LibraryEligible);

        private static ConvGemmPlan Choose(SpatialStep step)
        {
            var linear = step.Linear!;
            if (linear.Groups > 1) return new ConvGemmPlan(step, false, $"direct kernel (groups = {linear.Groups})");
            if (linear.WeightCount < GemmPlanner.MinimumLibraryWeight) return new ConvGemmPlan(step, false, "direct kernel (small weight)");
            return new ConvGemmPlan(step, true, null);
        }
    }
}
