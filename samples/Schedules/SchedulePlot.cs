using ScottPlot;

namespace DslNet.Samples.Schedules;

/// <summary>
/// All schedules in one PNG (ScottPlot 5, headless): a 3 × 3 grid with one panel per schedule (one-cycle panels
/// also show the momentum they cycle, on the right axis) and a last panel with every schedule overlaid.
/// </summary>
public static class SchedulePlot
{
    public const string FileName = "schedules.png";
    public const int DefaultWidth = 1800;
    public const int DefaultHeight = 1350;

    public static string Save(IReadOnlyList<ScheduleCurve> curves, string directory, int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentNullException.ThrowIfNull(curves);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (curves.Count is 0 or > 8) throw new ArgumentException("Expected one to eight schedules.", nameof(curves));
        Directory.CreateDirectory(directory);

        var palette = new ScottPlot.Palettes.Category10();
        var multiplot = new Multiplot();
        multiplot.AddPlots(9);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows: 3, columns: 3);

        for (var i = 0; i < curves.Count; i++)
        {
            var curve = curves[i];
            var plot = multiplot.GetPlot(i);
            plot.Title(curve.Name, size: 16);
            plot.XLabel("step: " + curve.Settings, size: 11);
            plot.YLabel("learning rate", size: 12);
            var steps = Steps(curve.Rates.Length);
            var line = plot.Add.ScatterLine(steps, curve.Rates, palette.GetColor(i));
            line.LineWidth = 2;
            if (curve.Momenta is { } momenta)
            {
                line.LegendText = "learning rate";
                var momentum = plot.Add.ScatterLine(steps, momenta, Colors.Gray);
                momentum.LineWidth = 1.5f;
                momentum.LinePattern = LinePattern.Dashed;
                momentum.LegendText = "momentum (right axis)";
                momentum.Axes.YAxis = plot.Axes.Right;
                plot.Axes.Right.Label.Text = "momentum";
                plot.Axes.Right.Label.FontSize = 12;
                plot.ShowLegend(Alignment.UpperRight);
            }

            plot.Axes.SetLimitsY(-0.004, ScheduleGallery.BaseLearningRate * 1.08);
        }

        var all = multiplot.GetPlot(8);
        all.Title("All schedules, overlaid", size: 16);
        all.XLabel("step", size: 11);
        all.YLabel("learning rate", size: 12);
        for (var i = 0; i < curves.Count; i++)
        {
            var line = all.Add.ScatterLine(Steps(curves[i].Rates.Length), curves[i].Rates, palette.GetColor(i));
            line.LineWidth = 1.5f;
            line.LegendText = curves[i].Name;
        }

        all.Axes.SetLimitsY(-0.004, ScheduleGallery.BaseLearningRate * 1.08);
        all.ShowLegend(Edge.Right);
        all.Legend.FontSize = 11;

        var path = Path.Combine(directory, FileName);
        multiplot.SavePng(path, width, height);
        return path;
    }

    private static double[] Steps(int count)
    {
        var steps = new double[count];
        for (var t = 0; t < count; t++) steps[t] = t;
        return steps;
    }
}
