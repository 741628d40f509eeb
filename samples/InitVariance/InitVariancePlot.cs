using System.Globalization;
using ScottPlot;

namespace DslNet.Samples.InitVariance;

/// <summary>The variance curves on a log₁₀ y axis, one line per scheme, as a headless PNG (ScottPlot 5).</summary>
public static class InitVariancePlot
{
    public const string FileName = "init_variance.png";

    public static string Save(InitVarianceResult result, string directory, int width = 1000, int height = 620)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);

        var plot = new Plot();
        plot.Title($"Activation variance through {result.Options.Layers} Linear({result.Options.Width}, {result.Options.Width}) + ReLU layers");
        plot.XLabel("layer (0 = input)");
        plot.YLabel("variance of the activations (log scale)");

        var palette = new ScottPlot.Palettes.Category10();
        for (var c = 0; c < result.Curves.Count; c++)
        {
            var curve = result.Curves[c];
            // A log axis in ScottPlot 5 is a linear axis over log₁₀ of the data; overflowed (∞) layers are left out.
            var xs = new List<double>();
            var ys = new List<double>();
            for (var layer = 0; layer < curve.Variances.Length; layer++)
            {
                var v = curve.Variances[layer];
                if (!double.IsFinite(v) || v <= 0) continue;
                xs.Add(layer);
                ys.Add(Math.Log10(v));
            }

            var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray(), palette.GetColor(c));
            line.LineWidth = 2;
            line.MarkerShape = MarkerShape.FilledCircle;
            line.MarkerSize = 5;
            var overflow = curve.FirstOverflow is { } k ? $", ∞ from layer {k}" : "";
            line.LegendText = string.Create(CultureInfo.InvariantCulture,
                $"{curve.Scheme.Name}: {curve.Scheme.Description} (layer {result.Options.Layers}: {InitVarianceExperiment.Scientific(curve.Final)}{overflow})");
        }

        var unit = plot.Add.HorizontalLine(0, 1, Colors.Black.WithAlpha(0.5), LinePattern.Dashed);
        unit.LegendText = "variance 1 (the input's)";
        var fp32 = plot.Add.HorizontalLine(Math.Log10(float.MaxValue), 1, Colors.Red.WithAlpha(0.5), LinePattern.Dotted);
        fp32.LegendText = "3.4e38, fp32's largest value: a float32 variance overflows to inf above it";

        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = value => string.Create(CultureInfo.InvariantCulture, $"1e{value:0}"),
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
        };
        plot.Axes.SetLimitsX(-0.5, result.Options.Layers + 0.5);
        plot.ShowLegend(Alignment.UpperLeft);

        var path = Path.Combine(directory, FileName);
        plot.SavePng(path, width, height);
        return path;
    }
}
