using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using DslNet.Benchmarks;
using Perfolizer.Horology;

if (args.Length > 0 && args[0] == AnalyzerTiming.Command) return AnalyzerTiming.Run(args);
if (args.Length > 0 && args[0] == AnalyzerProfile.Command) return AnalyzerProfile.Run(args);

if (args.Length > 0 && args[0] == CompareInference.Command)
{
    return CompareInference.Run(args);
}

// Without a --job argument: a short in-process job (2 warm-up and 5 measured iterations of about 250 ms each),
// enough for a steady mean on these machines in about a minute for all benchmarks. Pass BenchmarkDotNet's own
// options (--job, --filter, --exporters, ...) to change it.
var config = DefaultConfig.Instance
    .AddColumn(ThroughputColumn.SamplesPerSecond, ThroughputColumn.GigaflopsPerSecond);
if (!args.Any(a => a is "--job" or "-j" || a.StartsWith("--job=", StringComparison.Ordinal)))
{
    config = config.AddJob(Job.Default
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithLaunchCount(1)
        .WithWarmupCount(2)
        .WithIterationCount(5)
        .WithIterationTime(TimeInterval.FromMilliseconds(250))
        .WithId("InProcessShort"));
}

BenchmarkSwitcher.FromAssembly(typeof(StreamRecTrainBenchmarks).Assembly).Run(args, config);
return 0;
