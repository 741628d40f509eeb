using System.Globalization;
using System.Text;
using DslNet.Kernels.Cpu;

namespace DslNet.Samples.InitVariance;

/// <summary>One initialization scheme of the experiment: how the weights of every layer are drawn.</summary>
/// <param name="Name">Column name in the table (the chapter's <c>init_type</c>).</param>
/// <param name="Description">The distribution, for the legend.</param>
public sealed record InitScheme(string Name, string Description, Init Init, double Gain, double Std)
{
    /// <summary>The chapter's four: N(0, 0.01²), N(0, 1), Xavier normal, He normal (fan-in, gain √2).</summary>
    public static IReadOnlyList<InitScheme> Chapter { get; } =
    [
        new("too_small", "N(0, 0.01²)", Init.Normal, 1.0, 0.01),
        new("too_large", "N(0, 1)", Init.Normal, 1.0, 1.0),
        new("xavier", "Xavier normal, Var(w) = 2/(n_in+n_out)", Init.XavierNormal, 1.0, 0.0),
        new("he", "He normal, Var(w) = 2/n_in", Init.HeNormal, Initializers.Gain("relu"), 0.0),
    ];
}

/// <summary>What to run: the chapter's §7.2.5 set-up by default (20 layers of 512, 1000 inputs).</summary>
public sealed record InitVarianceOptions
{
    public int Layers { get; init; } = 20;
    public int Width { get; init; } = 512;
    public int Samples { get; init; } = 1000;
    public int Seed { get; init; } = 42;
    public IReadOnlyList<InitScheme> Schemes { get; init; } = InitScheme.Chapter;
}

/// <summary>
/// Variance of the activations after each layer: <see cref="Variances"/>[k] is the variance over all
/// samples × units of the output of layer k (k = 0 is the input). +∞ once an activation overflowed fp32.
/// </summary>
public sealed record VarianceCurve(InitScheme Scheme, double[] Variances)
{
    public double Final => Variances[^1];

    /// <summary>The first layer whose output holds an fp32 overflow (∞ or NaN), or null.</summary>
    public int? FirstOverflow => Array.FindIndex(Variances, double.IsPositiveInfinity) is var k and >= 0 ? k : null;
}

public sealed record InitVarianceResult(InitVarianceOptions Options, IReadOnlyList<VarianceCurve> Curves)
{
    public VarianceCurve this[string name] => Curves.Single(c => c.Scheme.Name == name);
}

/// <summary>
/// §7.2.5 of the chapter, measured with DslNet's kernels: push N(0, 1) inputs through a stack of bias-free
/// Linear(width, width) + ReLU layers whose weights come from <see cref="Initializers.Fill"/>, and record the
/// activation variance after each layer. Var(z) = n_in·Var(w)·E[x²] (§7.2.2), and ReLU halves E[x²], so the variance
/// changes by a factor n_in·Var(w)/2 per layer: 0.0256 for N(0, 0.01²) (collapse), 256 for N(0, 1) (explosion), ½
/// for Xavier (slow decay, 2⁻²⁰ ≈ 1e-6 after 20 layers) and 1 for He.
/// </summary>
public static class InitVarianceExperiment
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static InitVarianceResult Run(InitVarianceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Layers, nameof(options.Layers));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Width, nameof(options.Width));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Samples, nameof(options.Samples));

        int rows = options.Samples, width = options.Width;
        var input = new float[rows * width];
        var gaussian = new Random(options.Seed);
        for (var i = 0; i < input.Length; i += 2)
        {
            // Box–Muller, both values of each pair.
            var radius = Math.Sqrt(-2.0 * Math.Log(1.0 - gaussian.NextDouble()));
            var angle = 2.0 * Math.PI * gaussian.NextDouble();
            input[i] = (float)(radius * Math.Cos(angle));
            if (i + 1 < input.Length) input[i + 1] = (float)(radius * Math.Sin(angle));
        }

        var weight = new float[width * width];
        var current = new float[rows * width];
        var next = new float[rows * width];
        var curves = new List<VarianceCurve>(options.Schemes.Count);
        for (var s = 0; s < options.Schemes.Count; s++)
        {
            var scheme = options.Schemes[s];
            // Each scheme draws its weights from a seed of its own (fixed, unlike HashCode), the same inputs for all.
            var random = new Random(unchecked(options.Seed * 1000003 + s + 1));
            var variances = new double[options.Layers + 1];
            input.CopyTo(current, 0);
            variances[0] = Variance(current);
            for (var layer = 1; layer <= options.Layers; layer++)
            {
                Initializers.Fill(weight, width, width, scheme.Init, scheme.Gain, scheme.Std, FanMode.In, random);
                // next = ReLU(current · Wᵀ): one GEMM with the activation fused into its epilogue, no bias.
                Dense.ForwardInference(current, weight, ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty,
                    next, rows, width, width, default(Relu));
                (current, next) = (next, current);
                variances[layer] = Variance(current);
            }

            curves.Add(new VarianceCurve(scheme, variances));
        }

        return new InitVarianceResult(options, curves);
    }

    /// <summary>Unbiased variance over every element (like <c>torch.var</c>), in double; +∞ if any element is ∞ or NaN.</summary>
    public static double Variance(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (var v in values)
        {
            if (!float.IsFinite(v)) return double.PositiveInfinity;
            sum += v;
        }

        var mean = sum / values.Length;
        double squares = 0;
        foreach (var v in values)
        {
            var d = v - mean;
            squares += d * d;
        }

        return squares / Math.Max(values.Length - 1, 1);
    }

    /// <summary>Scientific notation, 3 significant digits, "inf" for +∞ (what PyTorch prints).</summary>
    public static string Scientific(double value) =>
        double.IsPositiveInfinity(value) ? "inf" : double.IsNaN(value) ? "nan" : value.ToString("0.00e+00", Invariant);

    /// <summary>The per-layer table: one row per layer (0 = the input), one column per scheme.</summary>
    public static string FormatTable(InitVarianceResult result)
    {
        var builder = new StringBuilder();
        var columns = result.Curves.Select(c => Math.Max(c.Scheme.Name.Length, 9) + 2).ToArray();
        builder.Append("layer");
        for (var c = 0; c < result.Curves.Count; c++) builder.Append(result.Curves[c].Scheme.Name.PadLeft(columns[c]));
        builder.AppendLine();
        for (var layer = 0; layer <= result.Options.Layers; layer++)
        {
            builder.Append((layer == 0 ? "input" : layer.ToString(Invariant)).PadLeft(5));
            for (var c = 0; c < result.Curves.Count; c++) builder.Append(Scientific(result.Curves[c].Variances[layer]).PadLeft(columns[c]));
            builder.AppendLine();
        }

        return builder.ToString();
    }

    /// <summary>The chapter's summary lines: <c>Init: he | Layer 20 variance: …</c>.</summary>
    public static IEnumerable<string> SummaryLines(InitVarianceResult result)
    {
        var width = result.Curves.Max(c => c.Scheme.Name.Length);
        foreach (var curve in result.Curves)
            yield return string.Create(Invariant,
                $"Init: {curve.Scheme.Name.PadLeft(width)} | Layer {result.Options.Layers} variance: {Scientific(curve.Final)}   ({curve.Scheme.Description})");
    }
}
