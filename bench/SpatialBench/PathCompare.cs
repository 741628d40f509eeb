using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using DslNet.Kernels.Cpu;
using DslNet.Kernels.Cpu.Spatial;

namespace DslNet.SpatialBench;

/// <summary>
/// Two algorithms on the same shape, alternating runs, timed in process CPU time (the cores are shared: wall time
/// swings with the other processes), medians of interleaved calls. Run it at 1 thread.
/// <see cref="Direct"/>: the direct kernels against im2col + GEMM on a groups-1 shape, how
/// <c>Conv2dGeometry.DirectPatchLength</c> was chosen. (A small-patch forward that kept 16 output channels in a register
/// over the whole patch was tried too: 1.37x the GEMM path's CPU time at K = 9, as the patch gather, not the arithmetic,
/// dominates such a layer; it was dropped.) <see cref="Winograd"/>: Winograd F(2×2, 3×3) against im2col + GEMM, how
/// <c>Conv2dGeometry.WinogradChannels</c> was chosen.
/// </summary>
internal static class PathCompare
{
    public static void Direct(Conv2dGeometry g, int reps) => Run(g, reps, "DirectPatchLength", ("im2col+GEMM", 0), ("direct", int.MaxValue));

    public static void Winograd(Conv2dGeometry g, int reps) => Run(g, reps, "WinogradChannels", ("winograd", 0), ("im2col+GEMM", int.MaxValue));

    private static void Run(Conv2dGeometry g, int reps, string knobName, (string Label, int Value) first, (string Label, int Value) second)
    {
        var knob = typeof(Conv2dGeometry).GetProperty(knobName, BindingFlags.NonPublic | BindingFlags.Static)!;
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
            for (int r = 0; r < reps + 5; r++)
            {
                for (int path = 0; path < 2; path++)
                {
                    knob.SetValue(null, path == 0 ? first.Value : second.Value);
                    process.Refresh();
                    var cpu = process.TotalProcessorTime;
                    run();
                    process.Refresh();
                    if (r >= 5) times[path].Add((process.TotalProcessorTime - cpu).TotalMilliseconds);
                }
            }

            double firstMs = Median(times[0]), secondMs = Median(times[1]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  C_in={g.InChannels,3} C_out={g.OutChannels,3} {g.Height}x{g.Width} {name,-12} " +
                $"{first.Label} {firstMs,7:F2} CPU-ms  {second.Label} {secondMs,7:F2} CPU-ms  ({second.Label}/{first.Label} {secondMs / firstMs:F2})"));
        }

        knob.SetValue(null, saved);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
