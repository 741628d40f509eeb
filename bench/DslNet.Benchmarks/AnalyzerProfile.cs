using System.Globalization;
using System.Runtime.InteropServices;
using DslNet.Generator.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DslNet.Benchmarks;

/// <summary>
/// <c>analyzer-profile [rounds]</c>: where the training-loop analyzer's time goes on the 2,000-line file of
/// <see cref="AnalyzerBenchmarks"/>, phase by phase, in the calling thread's CPU time (which the machine's load barely
/// changes, unlike wall-clock time). Each round takes a fresh clone of the compilation, so that, as in a build, the
/// analyzer is the first to touch the lazily built operation nodes:
/// <list type="bullet">
/// <item><b>cold</b>: the data-flow view and each rule family on trees nobody walked yet (what the analyzer pays alone);</item>
/// <item><b>materialize</b>: walking every operation of a second fresh clone (what another operation analyzer would pay first);</item>
/// <item><b>warm</b>: the same phases again on those walked trees (the analyzer's own work);</item>
/// <item><b>steady</b> (with <c>--steady</c>): the warm phases once the JIT has recompiled the hot methods with
/// optimizations, as in a long-running compiler server or BenchmarkDotNet's measured iterations.</item>
/// </list>
/// </summary>
internal static class AnalyzerProfile
{
    public const string Command = "analyzer-profile";

    private const int SteadyRepetitions = 400;

    public static int Run(string[] args)
    {
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 11;
        var bench = new AnalyzerBenchmarks();
        bench.Setup();
        var samples = new Dictionary<string, List<double>>();
        void Add(string name, double value) => (samples.TryGetValue(name, out var list) ? list : samples[name] = new List<double>()).Add(value);

        for (var round = -1; round < rounds; round++) // round -1 warms up the JIT and is not counted
        {
            var cold = Classes(bench.Compilation.Clone());
            var coldPhases = Phases(cold);
            var walked = Classes(bench.Compilation.Clone());
            var materialize = ThreadCpu.Measure(() =>
            {
                foreach (var (_, blocks) in walked.Classes)
                    foreach (var block in blocks)
                        foreach (var root in block.Roots)
                            foreach (var _ in root.DescendantsAndSelf()) { }
            });
            var warmPhases = Phases(walked);
            if (round < 0) continue;
            foreach (var (name, ms) in coldPhases) Add("cold: " + name, ms);
            Add("materialize every operation tree", materialize);
            foreach (var (name, ms) in warmPhases) Add("warm: " + name, ms);
        }

        if (args.Contains("--steady"))
        {
            // The JIT compiles the analyzer's methods without optimization first and recompiles the hot ones later
            // (tiered compilation): keep analysing until that has happened, then take the last repetitions.
            var walked = Classes(bench.Compilation.Clone());
            for (var repetition = 0; repetition < SteadyRepetitions; repetition++)
            {
                var phases = Phases(walked);
                if (repetition < SteadyRepetitions - rounds) continue;
                foreach (var (name, ms) in phases) Add($"steady (after {SteadyRepetitions - rounds} analyses): " + name, ms);
            }
        }

        Console.WriteLine($"{rounds} rounds, {Environment.ProcessorCount} cores, load average {AnalyzerTiming.LoadAverage()}; thread CPU time, medians (min – max), ms");
        foreach (var (name, values) in samples)
        {
            values.Sort();
            Console.WriteLine($"  {name,-72} {AnalyzerTiming.Median(values),8:F1}   ({values[0]:F1} – {values[^1]:F1})");
        }
        return 0;
    }

    private sealed record ClassBlocks(KnownTypes Types, List<(INamedTypeSymbol Type, MemberBlock[] Blocks)> Classes);

    /// <summary>The training file's classes in a compilation, with the runtime types resolved in it.</summary>
    private static ClassBlocks Classes(Compilation compilation) =>
        new(KnownTypes.Create(compilation)!, AnalyzerBenchmarks.TrainingClasses(compilation));

    /// <summary>The analyzer's phases over every class, each summed over the classes.</summary>
    private static List<(string Name, double Ms)> Phases(ClassBlocks classes)
    {
        double collect = 0, schedulers = 0, optimizers = 0, precision = 0, trainer = 0;
        var reported = 0;
        foreach (var (type, blocks) in classes.Classes)
        {
            TrainingBody? body = null;
            collect += ThreadCpu.Measure(() => body = TrainingBody.Collect(classes.Types, type, blocks));
            var report = new Reporter(_ => reported++, CancellationToken.None);
            schedulers += ThreadCpu.Measure(() => SchedulerRules.Run(body!, report));
            optimizers += ThreadCpu.Measure(() => OptimizerRules.Run(body!, report));
            precision += ThreadCpu.Measure(() => PrecisionRules.Run(body!, report));
            trainer += ThreadCpu.Measure(() => TrainerRules.Run(body!, report));
        }
        if (reported < 40) throw new InvalidOperationException($"The rules reported {reported} diagnostics.");
        return new List<(string, double)>
        {
            ("data-flow view (TrainingBody.Collect)", collect),
            ("scheduler rules", schedulers),
            ("optimizer rules", optimizers),
            ("precision rules", precision),
            ("trainer rules", trainer),
            ("total", collect + schedulers + optimizers + precision + trainer),
        };
    }
}

/// <summary>The calling thread's CPU time (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>; elsewhere the process's).</summary>
internal static class ThreadCpu
{
    private const int ClockThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    public static double NowMs()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ClockThreadCpuTime, out var time) == 0)
            return time.Seconds * 1e3 + time.Nanoseconds / 1e6;
        return System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
    }

    public static double Measure(Action action)
    {
        var start = NowMs();
        action();
        return NowMs() - start;
    }
}
