using System.Globalization;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;

namespace DslNet.Generator.Emitting
{
    /// <summary>How plan values are spelled in generated C#: fully qualified types and round-tripping literals.</summary>
    internal static class Names
    {
        public const string GeneratedCodeAttribute = "[global::System.CodeDom.Compiler.GeneratedCode(\"DslNet.Generator\", \"0.1.0\")]";
        public const string Kernels = "CpuKernels";

        public static string Float(double value)
        {
            var text = ((float)value).ToString("R", CultureInfo.InvariantCulture);
            return text + "f";
        }

        public static string Double(double value) => value.ToString("R", CultureInfo.InvariantCulture);

        public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

        public static string Field(string blockName) => "_" + char.ToLowerInvariant(blockName[0]) + blockName.Substring(1);

        public static string Activation(BlockPlan block) => Layers.LayerRegistry.Activation(block.Activation).Functor(block.ActivationOp);

        public static string ActivationType(BlockPlan block) => Layers.LayerRegistry.Activation(block.Activation).KernelType(block.ActivationOp);

        public const string Identity = "default(" + Kernels + ".Identity)";

        public static string LossName(LossKind loss) => "global::DslNet.Loss." + loss;

        /// <summary>The loss as Summary() shows it, with its label smoothing where set.</summary>
        public static string LossDescription(LossKind loss, double labelSmoothing) =>
            labelSmoothing == 0 ? loss.ToString() : $"{loss} (label smoothing {Double(labelSmoothing)})";

        public static string InitName(InitKind init) => "global::DslNet.Init." + init;

        public static string FanName(FanKind fan) => "global::DslNet.FanMode." + fan;
    }
}
