using DslNet.Generator.Planning;
using DslNet.Generator.Planning.Spatial;
using static DslNet.Generator.Emitting.Spatial.SpatialNames;

namespace DslNet.Generator.Emitting.Spatial
{
    /// <summary>
    /// Writes a step's contribution to its input's gradient in the plan's mode. The spatial kernels overwrite, so an
    /// accumulating contribution (the value has two consumers) goes to the gradient scratch first and is then added.
    /// </summary>
    internal static class GradientWriter
    {
        /// <param name="kernelCall">The kernel call with <c>{0}</c> where the destination span goes.</param>
        public static void Write(SourceWriter w, ValuePlan target, GradientMode mode, string kernelCall)
        {
            switch (mode)
            {
                case GradientMode.None:
                    return;
                case GradientMode.Write:
                    w.Line($"var inputGradient = {ValueGradient(target)};");
                    w.Line(string.Format(kernelCall, "inputGradient"));
                    break;
                default:
                    w.Line($"// {target.Name} has {target.Consumers.Count} consumers: this contribution is added to the one a later step wrote.");
                    w.Line($"var contribution = Workspace(Layout.GradientScratchOffset, {target.Width}, rows);");
                    w.Line(string.Format(kernelCall, "contribution"));
                    w.Line($"var inputGradient = {ValueGradient(target)};");
                    w.Line($"{K}.Residual.AccumulateGradient(contribution, inputGradient, accumulate: true);");
                    break;
            }
            w.Line("RoundToStorage(inputGradient);");
        }

        /// <summary>The gradient passed through unchanged (Add, a group without Conv2d/Dense): copy or add.</summary>
        public static void PassThrough(SourceWriter w, ValuePlan target, GradientMode mode, string gradient)
        {
            if (mode == GradientMode.None) return;
            w.Line($"{K}.Residual.AccumulateGradient({gradient}, {ValueGradient(target)}, accumulate: {Bool(mode == GradientMode.Accumulate)});");
            w.Line($"RoundToStorage({ValueGradient(target)});");
        }
    }
}
