using System.Globalization;
using ScottPlot;

namespace DslNet.Samples.DeepMlp;

/// <summary>Weight-gradient norm per block depth, both models, log₁₀ y axis, as a headless PNG (ScottPlot 5).</summary>
public static class DeepMlpPlot
{
    public const string FileName = "deepmlp_gradient_norms.png";

    public static string Save(IReadOnlyList<DeepRun> runs, string directory, int width = 1000, int height = 600)
    {
        Directory.CreateDirectory(directory);
        var plot = new Plot();
        plot.Title($"Weight-gradient norm per block, mean of the first {DeepMlpTraining.GradientSteps} steps ({DeepMlpModels.Depth} blocks)");
        plot.XLabel("block depth (1 = next to the stem, 32 = next to the output)");
        plot.YLabel("‖∂L/∂W‖ (log scale)");
        var palette = new ScottPlot.Palettes.Category10();
        for (var r = 0; r < runs.Count; r++)
        {
            var run = runs[r];
            var xs = Enumerable.Range(1, run.GradientNormByDepth.Length).Select(d => (double)d).ToArray();
            var ys = run.GradientNormByDepth.Select(n => Math.Log10(Math.Max(n, 1e-30))).ToArray();
            var line = plot.Add.ScatterLine(xs, ys, palette.GetColor(r));
            line.LineWidth = 2;
            line.MarkerShape = MarkerShape.FilledCircle;
            line.MarkerSize = 5;
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{run.Name} (val AUC {run.FinalAuc:F4})");
        }

        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = value => string.Create(CultureInfo.InvariantCulture, $"1e{value:0.#}"),
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        };
        plot.ShowLegend(Alignment.UpperLeft);
        var path = Path.Combine(directory, FileName);
        plot.SavePng(path, width, height);
        return path;
    }
}
