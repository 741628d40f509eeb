using System.Collections.Generic;

namespace DslNet.Generator.Planning.Spatial
{
    /// <summary>
    /// Decides which BatchNorm2d groups take over the max pooling that follows them in CPU training (<see cref="PoolFusion"/>).
    /// Both are passes bound by memory and instructions over the full-size activation; fused, the activation before the
    /// pooling is never stored and the pooled gradient is never scattered into a cleared full-size buffer (the
    /// Fashion-MNIST CNN's BatchNorm and pooling passes took 1.6× less time per step). The conditions are the kernel's:
    /// training BatchNorm with no dropout after it, a value read by the pooling alone (not a block's output, which the
    /// monitor and residual skips read), and windows that tile it (stride = kernel, no padding, H and W multiples of it).
    /// </summary>
    internal static class PoolFusionPlanner
    {
        public static List<SpatialStep> Apply(SpatialGraph graph, List<SpatialStep> steps)
        {
            for (var i = 1; i < steps.Count; i++)
            {
                var pool = steps[i];
                var group = steps[i - 1];
                if (!Fuses(graph, group, pool)) continue;
                var winners = graph.Layout.AddActivations(pool.OutputShape.Size);
                steps[i - 1] = group with { FusedPool = new PoolFusion(pool.Index, winners) };
            }
            return steps;
        }

        private static bool Fuses(SpatialGraph graph, SpatialStep group, SpatialStep pool)
        {
            if (pool.Kind != SpatialStepKind.MaxPool || group.Kind != SpatialStepKind.Group || pool.Input != group.Output) return false;
            if (group.Norm?.Kind != SpatialNormKind.BatchNorm || group.HasDropout) return false;
            var value = graph.Values[group.Output];
            if (value.Consumers.Count != 1 || graph.BlockOutputs.ContainsValue(group.Output)) return false;
            var window = pool.Pool!;
            var shape = pool.InputShape;
            return window.Stride == window.KernelSize && window.Padding == 0
                && shape.Height % window.KernelSize == 0 && shape.Width % window.KernelSize == 0;
        }
    }
}
