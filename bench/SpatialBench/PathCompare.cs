using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using DslNet.Kernels.Cpu;
using DslNet.Kernels.Cpu.Spatial;

namespace DslNet.SpatialBench;

/// <summary>
/// The direct kernels against im2col + GEMM on the same groups-1 shape, alternating runs, timed in process CPU time
/// (the cores are shared: wall time swings with the other processes), medians of interleaved calls: how
/// <c>Conv2dGeometry.DirectPatchLength</c> was chosen. Run it at 1 thread. (A small-patch forward that kept 16 output
/// channels in a register over the whole patch was tried too: 1.37x the GEMM path's CPU time at K = 9, as the patch
/// gather, not the arithmetic, dominates such a layer; it was dropped.)
/// </summary>
internal static class PathCompare
{
    public static void Run(Conv2dGeometry g, int reps)
    {
        var knob = typeof(Conv2dGeometry).GetProperty("DirectPatchLength", BindingFlags.NonPublic | BindingFlags.Static)!;
        int saved = (int)knob.GetValue(null)!;
        var process = System.Diagnostics.Process.GetCurrentProcess();
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
                    process.Refresh();
                    var cpu = process.TotalProcessorTime;
                    run();
                    process.Refresh();
                    if (r >= 3) times[path].Add((process.TotalProcessorTime - cpu).TotalMilliseconds);
                }
            }

            double gemm = Median(times[0]), direct = Median(times[1]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  K={g.PatchLength,4} C_out={g.OutChannels,3} {name,-12} im2col+GEMM {gemm,7:F2} CPU-ms  direct {direct,7:F2} CPU-ms  (direct/GEMM {direct / gemm:F2})"));
        }

        knob.SetValue(null, saved);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
