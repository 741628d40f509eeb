using ScottPlot;

namespace DslNet.Samples.FashionMnist;

/// <summary>
/// The sample's pictures: test accuracy per epoch, and a grid of misclassified test images, each titled with its true and
/// predicted class (the Trainer's own loss, learning-rate and gradient-norm curves are written beside them).
/// </summary>
public static class FashionPlots
{
    public const string AccuracyFile = "accuracy.png";
    public const string MisclassifiedFile = "misclassified.png";

    private const int Columns = 8;
    private const int Rows = 4;
    private const int Side = 28;
    private const int Gap = 10;   // pixels between tiles, room for the title above each

    public static string SaveAccuracy(IReadOnlyList<EpochRecord> epochs, string directory)
    {
        var plot = new Plot();
        plot.Title("Fashion-MNIST test accuracy per epoch");
        plot.XLabel("epoch");
        plot.YLabel("test accuracy");
        double[] xs = [.. epochs.Select(e => (double)e.Epoch)];
        double[] ys = [.. epochs.Select(e => e.ValidationAccuracy ?? double.NaN)];
        var line = plot.Add.ScatterLine(xs, ys);
        line.MarkerShape = MarkerShape.FilledCircle;
        line.MarkerSize = 6;
        line.LineWidth = 2;
        var path = Path.Combine(directory, AccuracyFile);
        plot.SavePng(path, 900, 540);
        return path;
    }

    /// <summary>The first <c>Rows × Columns</c> misclassified test images, in test-set order, as "true → predicted".</summary>
    /// <param name="test">The normalized test images; <paramref name="normalizer"/> maps them back to [0, 1] for the picture.</param>
    public static string SaveMisclassified(DataSet test, ChannelNormalizer normalizer, int[] predictions, string directory)
    {
        var width = Columns * (Side + Gap);
        var height = Rows * (Side + Gap);
        var grid = new double[height, width];
        var titles = FillGrid(grid, test, normalizer, predictions);

        // The heatmap first, so that the titles (in the gaps above the tiles) are drawn over it.
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(grid);
        heatmap.Colormap = new ScottPlot.Colormaps.Grayscale();
        heatmap.Extent = new CoordinateRect(0, width, 0, height);
        foreach (var (text, x, y) in titles)
        {
            var title = plot.Add.Text(text, x, y);
            title.LabelFontSize = 11;
            title.LabelFontColor = Colors.White;
            title.LabelAlignment = Alignment.LowerCenter;
        }

        plot.Title($"Misclassified test images: true → predicted (the first {titles.Count})");
        plot.Axes.Left.IsVisible = false;
        plot.Axes.Bottom.IsVisible = false;
        plot.HideGrid();
        var path = Path.Combine(directory, MisclassifiedFile);
        plot.SavePng(path, 1200, 720);
        return path;
    }

    /// <summary>Copies misclassified images into the grid's tiles (row 0 at the top); returns each tile's title and its place.</summary>
    private static List<(string Text, double X, double Y)> FillGrid(double[,] grid, DataSet test, ChannelNormalizer normalizer, int[] predictions)
    {
        var pixels = test.Features;
        var labels = test.Labels;
        var (mean, scale) = (normalizer.Means[0], normalizer.Scales[0]);
        var height = grid.GetLength(0);
        var titles = new List<(string Text, double X, double Y)>();
        for (var i = 0; i < predictions.Length && titles.Count < Rows * Columns; i++)
        {
            var truth = (int)labels[i];
            if (predictions[i] == truth) continue;
            var top = titles.Count / Columns * (Side + Gap) + Gap;
            var left = titles.Count % Columns * (Side + Gap) + Gap / 2;   // centred in its column, so titles are not clipped
            for (var y = 0; y < Side; y++)
                for (var x = 0; x < Side; x++)
                    grid[top + y, left + x] = pixels[i * Side * Side + y * Side + x] * scale + mean;
            titles.Add(($"{FashionData.ClassNames[truth]} → {FashionData.ClassNames[predictions[i]]}", left + Side / 2.0, height - top + 1));
        }

        return titles;
    }
}
