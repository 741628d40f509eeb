using System.Collections.Generic;
using System.Linq;

namespace DslNet.Generator.Planning
{
    /// <summary>What a GEMM of the device path computes.</summary>
    internal enum GemmRole
    {
        Forward,
        Inference,
        InputGradient,
        WeightGradient,
    }

    /// <summary>One GEMM of a block's dense layer on the device (its shape is the layer's inputs → units and the batch).</summary>
    internal sealed class PlannedGemm
    {
        public PlannedGemm(BlockPlan block, GemmRole role, bool libraryEligible)
        {
            Block = block;
            Role = role;
            LibraryEligible = libraryEligible;
        }

        public BlockPlan Block { get; }
        public GemmRole Role { get; }

        /// <summary>Whether, from <see cref="GemmPlanner.CrossoverRows"/> rows on, this GEMM runs as a library GEMM (cuBLAS) and
        /// an epilogue kernel instead of the fused tiled kernel.</summary>
        public bool LibraryEligible { get; }

        public string Operation => GemmRoles.Operation(Block.Name, Role);
    }

    internal static class GemmRoles
    {
        /// <summary>"<paramref name="layer"/> forward", "… input gradient" and so on: a GEMM's line in Summary()'s list.</summary>
        public static string Operation(string layer, GemmRole role) => layer + " " + role switch
        {
            GemmRole.Forward => "forward",
            GemmRole.Inference => "inference",
            GemmRole.InputGradient => "input gradient",
            _ => "weight gradient",
        };
    }

    /// <summary>
    /// The device path's GEMM choice, per shape: a block's GEMMs may run as a library GEMM plus an epilogue kernel when its
    /// weight is large enough for the library to beat one fused launch; small ones (an output layer of a few units, a
    /// projection shortcut) always run fused. Per precision: the runtime keeps Fp16/Bf16 on the fused kernels (ILGPU binds
    /// no fp32-accumulating 16-bit cuBLAS GEMM). Per batch size: from <see cref="CrossoverRows"/> rows on, at run time.
    /// </summary>
    internal static class GemmPlanner
    {
        /// <summary>Rows from which eligible GEMMs use cuBLAS. Not measured: bench/gpu.sh measures the real crossover on a GPU
        /// (the last H100 table has the fused kernels ahead at 512 rows and behind from 4,096), and
        /// <c>DeviceNetwork.GemmCrossoverOverride</c> or DSLNET_GEMM_CROSSOVER_ROWS moves it without regenerating.</summary>
        public const int CrossoverRows = 4096;

        /// <summary>Weights below this many elements stay fused: the product is too small for a second launch and an fp32
        /// round trip of C through memory to pay off.</summary>
        public const int MinimumLibraryWeight = 1024;

        public static IReadOnlyList<PlannedGemm> Plan(ExecutionPlan plan) => plan.Blocks.SelectMany(b => Gemms(plan, b)).ToList();

        /// <summary>The GEMM of <paramref name="block"/> in <paramref name="role"/>, or null when the block has none.</summary>
        public static PlannedGemm? Find(ExecutionPlan plan, BlockPlan block, GemmRole role) =>
            Gemms(plan, block).FirstOrDefault(g => g.Role == role);

        private static IEnumerable<PlannedGemm> Gemms(ExecutionPlan plan, BlockPlan b)
        {
            var eligible = b.WeightCount >= MinimumLibraryWeight;
            yield return new PlannedGemm(b, GemmRole.Forward, eligible);
            yield return new PlannedGemm(b, GemmRole.Inference, eligible);
            yield return new PlannedGemm(b, GemmRole.WeightGradient, eligible);
            if (plan.BackwardSchedule.Any(x => x.Kind == BackwardStepKind.InputGradient && x.Block == b.Index))
                yield return new PlannedGemm(b, GemmRole.InputGradient, eligible);
        }
    }
}
