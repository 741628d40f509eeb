namespace DslNet.EndToEnd.Tests;

/// <summary>Small synthetic batches for the reduced-precision tests: inputs uniform in [-1, 1], 8 features a row.</summary>
internal static class PrecisionData
{
    public const int Features = 8;

    public static float[] Inputs(int rows, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows * Features).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>A label the MLP can learn but not at once: a sign of a product plus a linear term.</summary>
    public static float[] Labels(float[] inputs) =>
        Rows(inputs).Select(x => x[0] * x[1] + 0.5f * x[2] - 0.25f * x[3] > 0 ? 1f : 0f).ToArray();

    /// <summary>A linear target times <paramref name="scale"/>.</summary>
    public static float[] LinearTargets(float[] inputs, float scale) =>
        Rows(inputs).Select(x => scale * (x[0] - 0.5f * x[1] + 0.25f * x[2])).ToArray();

    private static IEnumerable<float[]> Rows(float[] inputs) => inputs.Chunk(Features);
}
