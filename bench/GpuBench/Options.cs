using System.Globalization;
using DslNet;

namespace GpuBench;

/// <summary>The runner's command line: <c>GpuBench [device] [--quick] [--checks-only | --skip-checks] [--skip-cpu] [--batches 512,4096]
/// [--crossover [--crossover-batches …] [--image-crossover-batches …]] [--auc DIR [--auc-rows N]] [--diagnose]</c>.</summary>
internal sealed class Options
{
    public Device Device { get; private set; } = Device.Best();
    public bool Quick { get; private set; }
    public bool Diagnose { get; private set; }
    public bool SkipChecks { get; private set; }
    public bool ChecksOnly { get; private set; }
    public bool SkipCpu { get; private set; }
    public bool Crossover { get; private set; }
    public int[] Batches { get; private set; } = { 512, 4096, 65536 };
    public int[] CrossoverBatches { get; private set; } = { 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536 };
    /// <summary>Batches (images) of the ResNet's convolution crossover.</summary>
    public int[] ImageCrossoverBatches { get; private set; } = { 32, 64, 128, 256, 512, 1024 };
    public string? AucDirectory { get; private set; }
    public int AucRows { get; private set; } = 262_144;

    public static Options Parse(string[] args)
    {
        var options = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": options.Quick = true; break;
                case "--diagnose": options.Diagnose = true; break;
                case "--skip-checks": options.SkipChecks = true; break;
                case "--checks-only": options.ChecksOnly = true; break;
                case "--skip-cpu": options.SkipCpu = true; break;
                case "--crossover": options.Crossover = true; break;
                case "--batches": options.Batches = Sizes(Value(args, ref i)); break;
                case "--crossover-batches": options.CrossoverBatches = Sizes(Value(args, ref i)); break;
                case "--image-crossover-batches": options.ImageCrossoverBatches = Sizes(Value(args, ref i)); break;
                case "--auc": options.AucDirectory = Value(args, ref i); break;
                case "--auc-rows": options.AucRows = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture); break;
                default:
                    if (args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"Unknown option {args[i]}.");
                    options.Device = Device.Parse(args[i]);
                    break;
            }
        }

        return options;
    }

    private static string Value(string[] args, ref int i) =>
        ++i < args.Length ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value.");

    private static int[] Sizes(string text) => text.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
}

/// <summary>Machine-readable lines for bench/gpu.sh's comparison: <c>RESULT dslnet train fp32 512 123456</c>.</summary>
internal static class Result
{
    public static void Print(string what, string precision, int batch, double value)
    {
        if (!double.IsNaN(value)) Console.WriteLine(FormattableString.Invariant($"RESULT dslnet {what} {precision} {batch} {value:F1}"));
    }
}
