using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using DslNet.Generator.Analyzers;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DslNet.Benchmarks;

/// <summary>
/// <c>analyzer-timing [rounds]</c>: the training-loop analyzer's cost on the 2,000-line file of <see cref="AnalyzerBenchmarks"/>,
/// every measure side by side in one process, the configurations alternating round after round (so a change in the
/// machine's load hits them alike), and the median of each printed:
/// the analyzer's execution time as Roslyn reports it (the <c>ReportAnalyzer</c> figure), the time a build adds with
/// it (with and without another operation analyzer that already binds and builds the operation trees), and the
/// analyzer's own work over prebuilt operation trees. Times are the process's CPU time (see <see cref="Time"/>).
/// </summary>
internal static class AnalyzerTiming
{
    public const string Command = "analyzer-timing";

    public static int Run(string[] args)
    {
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 15;
        var bench = new AnalyzerBenchmarks();
        bench.Setup();
        var compilation = bench.Compilation;
        var training = new TrainingLoopAnalyzer();
        var walker = new OperationWalkerAnalyzer();
        var samples = new Dictionary<string, List<double>>();
        void Add(string name, double value) => (samples.TryGetValue(name, out var list) ? list : samples[name] = new List<double>()).Add(value);

        for (var round = -1; round < rounds; round++) // round -1 warms up the JIT and is not counted
        {
            var compileOnly = Time(() => Compiler.CompileOnly(compilation));
            AnalyzedCompilation? withTraining = null, withWalker = null, withBoth = null;
            var compileAndTraining = Time(() => withTraining = Compiler.CompileWith(compilation, ImmutableArray.Create<DiagnosticAnalyzer>(training)));
            var compileAndWalker = Time(() => withWalker = Compiler.CompileWith(compilation, ImmutableArray.Create<DiagnosticAnalyzer>(walker)));
            var compileWalkerAndTraining = Time(() => withBoth = Compiler.CompileWith(compilation, ImmutableArray.Create<DiagnosticAnalyzer>(walker, training)));
            var rulesOnly = Time(() => bench.DataFlowAndRules());
            if (round < 0) continue;
            Add("compiler only", compileOnly);
            Add("compiler + training-loop analyzer", compileAndTraining);
            Add("  added by the analyzer (vs compiler only)", compileAndTraining - compileOnly);
            Add("compiler + operation walker", compileAndWalker);
            Add("compiler + operation walker + training-loop analyzer", compileWalkerAndTraining);
            Add("  added by the analyzer (vs compiler + walker: trees already bound)", compileWalkerAndTraining - compileAndWalker);
            Add("Roslyn execution time, training-loop analyzer alone", withTraining!.ExecutionTime(training).TotalMilliseconds);
            Add("Roslyn execution time, training-loop analyzer beside the walker", withBoth!.ExecutionTime(training).TotalMilliseconds);
            Add("Roslyn execution time, operation walker (tree materialization)", withWalker!.ExecutionTime(walker).TotalMilliseconds);
            Add("data-flow view + rules over prebuilt trees", rulesOnly);
        }

        Console.WriteLine($"{rounds} rounds, {Environment.ProcessorCount} cores, load average {LoadAverage()}; medians (min – max), ms");
        Console.WriteLine("(process CPU time for the compiler and rules rows; Roslyn's own wall-clock measure for its execution-time rows):");
        foreach (var (name, values) in samples)
        {
            values.Sort();
            Console.WriteLine($"  {name,-72} {Median(values),8:F1}   ({values[0]:F1} – {values[^1]:F1})");
        }
        return 0;
    }

    /// <summary>
    /// The process's CPU time over the action, in ms: on the shared two-core machine a wall-clock time mostly measures
    /// waiting for a core, while the CPU time is the work done (all threads: the analyzer driver runs concurrently).
    /// </summary>
    private static double Time(Action action)
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var before = process.TotalProcessorTime;
        action();
        process.Refresh();
        return (process.TotalProcessorTime - before).TotalMilliseconds;
    }

    internal static double Median(List<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
