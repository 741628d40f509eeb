using System.Globalization;

namespace DslNet.Benchmarks;

/// <summary>The kernel thread counts to measure: <c>DSLNET_BENCH_THREADS</c> (comma-separated), by default 1 and 2.</summary>
public static class BenchmarkThreads
{
    public const string Variable = "DSLNET_BENCH_THREADS";

    public static IEnumerable<int> Counts()
    {
        var text = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(text)) return [1, 2];
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(value => int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture))
            .ToArray();
    }
}
