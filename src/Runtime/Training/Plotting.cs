using ScottPlot;

namespace DslNet;

/// <summary>A line of a plot; non-finite points are dropped when drawing.</summary>
internal sealed record PlotSeries(string Label, double[] Xs, double[] Ys, bool Markers = false, bool Faint = false, bool RightAxis = false);

/// <summary>What to draw: title, axis labels, series, an optional marked x position, optional log₁₀ x axis.</summary>
internal sealed class PlotSpec(string title, string xLabel, string yLabel)
{
    public string Title { get; } = title;
    public string XLabel { get; } = xLabel;
    public string YLabel { get; } = yLabel;
    public string? RightAxisLabel { get; init; }
    public bool LogX { get; init; }
    public List<PlotSeries> Series { get; } = [];
    public (double X, string Label)? VerticalLine { get; set; }

    /// <summary>More marked x positions (dotted, each in its own colour), after <see cref="VerticalLine"/>.</summary>
    public List<(double X, string Label)> MoreVerticalLines { get; } = [];
    public (double Y, string Label)? HorizontalLine { get; set; }

    /// <summary>Fixed y-axis limits (points outside are cut off); null autoscales.</summary>
    public (double Low, double High)? YLimits { get; set; }
}

/// <summary>Headless PNG line plots through ScottPlot 5 (SkiaSharp); one place so every plot looks alike.</summary>
internal static class Plotting
{
    public static string Save(PlotSpec spec, string path, int width, int height)
    {
        var plot = new Plot();
        plot.Title(spec.Title);
        plot.XLabel(spec.XLabel + (spec.LogX ? " (log scale)" : ""));
        plot.YLabel(spec.YLabel);

        var palette = new ScottPlot.Palettes.Category10();
        var colorIndex = 0;
        var any = false;
        foreach (var series in spec.Series)
        {
            var (xs, ys) = Finite(series.Xs, series.Ys, spec.LogX);
            var color = series.Faint ? Colors.Gray.WithAlpha(0.35) : palette.GetColor(colorIndex++);
            if (xs.Length == 0) continue;
            any = true;
            var line = plot.Add.ScatterLine(xs, ys, color);
            line.LegendText = series.Label;
            line.LineWidth = series.Faint ? 1 : 2;
            if (series.Markers)
            {
                line.MarkerShape = MarkerShape.FilledCircle;
                line.MarkerSize = 6;
            }
            if (series.RightAxis)
            {
                line.Axes.YAxis = plot.Axes.Right;
                plot.Axes.Right.Label.Text = spec.RightAxisLabel ?? series.Label;
            }
        }

        if (spec.VerticalLine is var (x, label) && double.IsFinite(x))
        {
            var marker = plot.Add.VerticalLine(spec.LogX ? Math.Log10(x) : x, 1, Colors.Black.WithAlpha(0.6), LinePattern.Dashed);
            marker.LegendText = label;
        }

        var markerColors = new ScottPlot.Palettes.Tsitsulin();
        for (var i = 0; i < spec.MoreVerticalLines.Count; i++)
        {
            var (mx, mLabel) = spec.MoreVerticalLines[i];
            if (!double.IsFinite(mx) || spec.LogX && !(mx > 0)) continue;
            var marker = plot.Add.VerticalLine(spec.LogX ? Math.Log10(mx) : mx, 1, markerColors.GetColor(i + 1).WithAlpha(0.8), LinePattern.Dotted);
            marker.LegendText = mLabel;
        }

        if (spec.HorizontalLine is var (y, yLabel) && double.IsFinite(y))
        {
            var marker = plot.Add.HorizontalLine(y, 1, Colors.Red.WithAlpha(0.6), LinePattern.Dashed);
            marker.LegendText = yLabel;
        }

        if (spec.LogX)
        {
            // Data are log10(x); label the integer ticks as powers of ten.
            var ticks = new ScottPlot.TickGenerators.NumericAutomatic
            {
                LabelFormatter = value => $"1e{value:0}",
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true,
            };
            plot.Axes.Bottom.TickGenerator = ticks;
        }

        if (!any) plot.Add.Annotation("no data");
        if (spec.YLimits is var (low, high) && double.IsFinite(low) && double.IsFinite(high) && high > low)
            plot.Axes.SetLimitsY(low, high);
        if (spec.Series.Count(s => !s.Faint) > 1 || spec.VerticalLine is not null || spec.MoreVerticalLines.Count > 0 || spec.HorizontalLine is not null || spec.Series.Any(s => s.Faint))
            plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, width, height);
        return path;
    }

    private static (double[] Xs, double[] Ys) Finite(double[] xs, double[] ys, bool logX)
    {
        var keptX = new List<double>(xs.Length);
        var keptY = new List<double>(ys.Length);
        for (var i = 0; i < Math.Min(xs.Length, ys.Length); i++)
        {
            var x = logX ? Math.Log10(xs[i]) : xs[i];
            if (double.IsFinite(x) && double.IsFinite(ys[i]))
            {
                keptX.Add(x);
                keptY.Add(ys[i]);
            }
        }
        return (keptX.ToArray(), keptY.ToArray());
    }
}
