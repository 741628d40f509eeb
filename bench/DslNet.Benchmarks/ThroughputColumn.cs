using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace DslNet.Benchmarks;

/// <summary>
/// Work per second from the mean time of a case: samples/s for benchmarks with a <c>Rows</c> parameter (rows per
/// call), GFLOP/s for the GEMM benchmarks (from their <c>Shape</c>).
/// </summary>
public sealed class ThroughputColumn : IColumn
{
    private readonly bool _flops;

    private ThroughputColumn(bool flops) => _flops = flops;

    public static readonly IColumn SamplesPerSecond = new ThroughputColumn(flops: false);
    public static readonly IColumn GigaflopsPerSecond = new ThroughputColumn(flops: true);

    public string Id => _flops ? "DslNet.GflopsPerSecond" : "DslNet.SamplesPerSecond";
    public string ColumnName => _flops ? "GFLOP/s" : "Samples/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => _flops
        ? "Floating-point operations per second, 2·M·N·K over the mean time (1 GFLOP = 1e9)"
        : "Rows processed per second: the batch size over the mean time of one call";

    public bool IsAvailable(Summary summary) =>
        summary.BenchmarksCases.Any(c => Work(c) is not null);

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var work = Work(benchmarkCase);
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (work is null || mean is not > 0) return "-";
        var perSecond = work.Value / (mean.Value * 1e-9);
        return _flops
            ? (perSecond / 1e9).ToString("F1", CultureInfo.InvariantCulture)
            : perSecond.ToString("N0", CultureInfo.InvariantCulture);
    }

    private double? Work(BenchmarkCase benchmarkCase)
    {
        if (_flops)
            return benchmarkCase.Parameters["Shape"] is string shape ? GemmBenchmarks.Flops(shape) : null;
        return benchmarkCase.Parameters["Rows"] is int rows ? rows : null;
    }

    public override string ToString() => ColumnName;
}
