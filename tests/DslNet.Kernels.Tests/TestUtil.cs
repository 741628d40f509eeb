using System.Text.Json;
using DslNet.Kernels.Cpu;

namespace DslNet.Kernels.Tests;

internal static class TestUtil
{
    public static float[] Random(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        }

        return values;
    }

    public static void Close(double expected, double actual, double relative, double absolute, string what)
    {
        double error = Math.Abs(expected - actual);
        if (!(error <= absolute + relative * Math.Abs(expected)))
        {
            Assert.Fail($"{what}: expected {expected:R}, got {actual:R} (error {error:G3})");
        }
    }

    public static void Close(IReadOnlyList<double> expected, ReadOnlySpan<float> actual, double relative, double absolute, string what)
    {
        Assert.True(actual.Length >= expected.Count, $"{what}: length {actual.Length} < {expected.Count}");
        for (int i = 0; i < expected.Count; i++)
        {
            Close(expected[i], actual[i], relative, absolute, $"{what}[{i}]");
        }
    }

    /// <summary>Runs <paramref name="body"/> with a given thread count and GEMM micro-kernel, restoring both.</summary>
    public static void With(int threads, GemmIsa isa, Action body)
    {
        int savedThreads = CpuThreads.Count;
        var savedIsa = Gemm.Isa;
        try
        {
            CpuThreads.Count = threads;
            Gemm.Isa = isa;
            body();
        }
        finally
        {
            CpuThreads.Count = savedThreads;
            Gemm.Isa = savedIsa;
        }
    }

    public static IEnumerable<GemmIsa> SupportedIsas()
    {
        yield return GemmIsa.Scalar;
        if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
        {
            yield return GemmIsa.Vector256;
        }

        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            yield return GemmIsa.Vector512;
        }
    }
}

/// <summary>PyTorch's numbers from the repository's tests/reference, one key of one file at a time.</summary>
internal static class Reference
{
    public static JsonElement Load(string file, string key) => DslNet.Tests.Shared.ReferenceFiles.Load(file).GetProperty(key);

    public static double[] Doubles(this JsonElement element, string name) =>
        element.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();

    public static float[] Floats(this JsonElement element, string name) =>
        element.GetProperty(name).EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
}
