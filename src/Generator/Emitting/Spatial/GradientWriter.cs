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
                    w.Wrapped($"var inputGradient = {ValueGradient(target)};");
                    w.Wrapped(string.Format(kernelCall, "inputGradient"));
                    break;
                default:
                    w.Wrapped($"// {target.Name} has {target.Consumers.Count} consumers: this contribution is added to the one a later step wrote.");
                    w.Wrapped($"var contribution = Workspace(Layout.GradientScratchOffset, {SpatialNames.Size(target)}, rows);");
                    w.Wrapped(string.Format(kernelCall, "contribution"));
                    w.Wrapped($"var inputGradient = {ValueGradient(target)};");
                    w.Wrapped($"{K}.Residual.AccumulateGradient(contribution, inputGradient, accumulate: true);");
                    break;
            }
            w.Wrapped("RoundToStorage(inputGradient);");
        }

        /// <summary>The gradient passed through unchanged (Add, a group without Conv2d/Dense): copy or add.</summary>
        public static void PassThrough(SourceWriter w, ValuePlan target, GradientMode mode, string gradient)
        {
            if (mode == GradientMode.None) return;
            w.Wrapped($"{K}.Residual.AccumulateGradient({gradient}, {ValueGradient(target)}, accumulate: {Bool(mode == GradientMode.Accumulate)});");
            w.Wrapped($"RoundToStorage({ValueGradient(target)});");
        }
    }
}
