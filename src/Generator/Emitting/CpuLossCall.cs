using DslNet.Generator.Parsing;

namespace DslNet.Generator.Emitting
{
    /// <summary>The CPU loss call of both CPU emitters (feature and image models): the kernel and its arguments.</summary>
    internal static class CpuLossCall
    {
        private const string K = Names.Kernels;

        public static string Write(LossKind loss, double labelSmoothing, string logits, string targets, string gradient, string rows)
        {
            switch (loss)
            {
                case LossKind.BinaryCrossEntropyWithLogits:
                    return $"{K}.Losses.BinaryCrossEntropyWithLogits({logits}, {targets}, {gradient})";
                case LossKind.CrossEntropy:
                    return $"{K}.Losses.CrossEntropy({logits}, {targets}, {gradient}, {rows}, OutputSize{SmoothingArgument(labelSmoothing)})";
                default:
                    return $"{K}.Losses.MeanSquaredError({logits}, {targets}, {gradient})";
            }
        }

        /// <summary>The named label-smoothing argument of a CrossEntropy call (none at 0, the kernels' default).</summary>
        public static string SmoothingArgument(double labelSmoothing) =>
            labelSmoothing == 0 ? "" : ", labelSmoothing: " + Names.Float(labelSmoothing);
    }
}
