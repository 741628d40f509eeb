using System.Globalization;
using BenchmarkDotNet.Attributes;
using DslNet.Kernels.Cpu;

namespace DslNet.Benchmarks;

/// <summary>
/// <see cref="Gemm.Multiply(ReadOnlySpan{float}, bool, ReadOnlySpan{float}, bool, Span{float}, int, int, int)"/>
/// at the StreamRec model's shapes for a batch of 512 (weights are stored out × in, as in PyTorch).
/// A shape reads <c>M×N×K op</c>: C[M, N] = op(A)·op(B) with K the inner dimension; <c>NT</c> is a forward layer
/// (X·Wᵀ), <c>NN</c> the input gradient (dY·W), <c>TN</c> the weight gradient (dYᵀ·X).
/// </summary>
public class GemmBenchmarks
{
    private float[] _a = null!;
    private float[] _b = null!;
    private float[] _c = null!;
    private int _m, _n, _k;
    private bool _transposeA, _transposeB;

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    [Params(
        "512x256x128 NT",  // Hidden1 forward
        "512x128x256 NT",  // Hidden2 forward
        "512x64x128 NT",   // Hidden3 forward
        "512x256x128 NN",  // Hidden2 input gradient
        "256x128x512 TN",  // Hidden1 weight gradient
        "128x256x512 TN")] // Hidden2 weight gradient
    public string Shape { get; set; } = "";

    public static IEnumerable<int> ThreadCounts() => BenchmarkThreads.Counts();

    [GlobalSetup]
    public void Setup()
    {
        CpuThreads.Count = Threads;
        (_m, _n, _k, _transposeA, _transposeB) = Parse(Shape);
        var random = new Random(1);
        _a = Enumerable.Range(0, _m * _k).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        _b = Enumerable.Range(0, _k * _n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        _c = new float[_m * _n];
    }

    [Benchmark]
    public void Multiply() => Gemm.Multiply(_a, _transposeA, _b, _transposeB, _c, _m, _n, _k);

    /// <summary>Reads "M×N×K op" (with an x for ×).</summary>
    public static (int M, int N, int K, bool TransposeA, bool TransposeB) Parse(string shape)
    {
        var parts = shape.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var sizes = parts[0].Split('x').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return (sizes[0], sizes[1], sizes[2], parts[1][0] == 'T', parts[1][1] == 'T');
    }

    /// <summary>Floating-point operations of one multiplication (a multiply-add counts two).</summary>
    public static double Flops(string shape)
    {
        var (m, n, k, _, _) = Parse(shape);
        return 2.0 * m * n * k;
    }
}
