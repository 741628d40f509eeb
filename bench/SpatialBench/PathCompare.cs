using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using DslNet.Kernels.Cpu;
using DslNet.Kernels.Cpu.Spatial;

namespace DslNet.SpatialBench;

/// <summary>
/// The direct kernel against im2col + GEMM on the same groups-1 shape, alternating runs (the cores are shared, so
/// medians of interleaved calls): how <c>Conv2dGeometry.DirectPatchLength</c> was chosen.
/// </summary>
internal static class PathCompare
{
    public static void Run(Conv2dGeometry g, int reps)
    {
        var knob = typeof(Conv2dGeometry).GetProperty("DirectPatchLength", BindingFlags.NonPublic | BindingFlags.Static)!;
        int saved = (int)knob.GetValue(null)!;
        var random = new Random(2);
        float[] Rand(long n) => Enumerable.Range(0, checked((int)n)).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var x = Rand(g.InputLength); var w = Rand(g.WeightLength); var b = Rand(g.OutChannels);
        var y = new float[g.OutputLength]; var dy = Rand(g.OutputLength); var dx = new float[g.InputLength];
        var dw = new float[g.WeightLength]; var db = new float[g.OutChannels];
        var passes = new (string Name, Action Run)[]
        {
            ("forward", () => Conv2d.Forward(x, w, b, y, Span<float>.Empty, g, default(Identity))),
            ("input grad", () => Conv2d.BackwardInput(dy, w, dx, g)),
            ("weight grad", () => Conv2d.BackwardWeights(dy, x, dw, db, g)),
        };
        foreach (var (name, run) in passes)
        {
            var times = new[] { new List<double>(), new List<double>() };
            for (int r = 0; r < reps + 3; r++)
            {
                for (int path = 0; path < 2; path++)
                {
                    knob.SetValue(null, path == 0 ? 0 : int.MaxValue);
                    var sw = Stopwatch.StartNew();
                    run();
                    if (r >= 3) times[path].Add(sw.Elapsed.TotalMilliseconds);
                }
            }

            double gemm = Median(times[0]), direct = Median(times[1]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  K={g.PatchLength,4} C_out={g.OutChannels,3} {name,-12} im2col+GEMM {gemm,7:F2} ms  direct {direct,7:F2} ms  (direct/GEMM {direct / gemm:F2})"));
        }

        knob.SetValue(null, saved);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
