using static DslNet.Runtime.Tests.HistoryBuilder;

namespace DslNet.Runtime.Tests;

/// <summary>The history's PNGs are rendered headless and are real PNG files.</summary>
public sealed class PlotTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void SavePlots_writes_three_valid_pngs()
    {
        var history = Build(Decay(10, Ln2, 0.3), Decay(10, Ln2, 0.34), stepsPerEpoch: 30);
        var directory = Path.Combine(Path.GetTempPath(), "dslnet-plots-" + Guid.NewGuid().ToString("N"));
        try
        {
            var paths = history.SavePlots(directory);

            Assert.Equal(
                new List<string> { TrainingHistory.LossPlotFile, TrainingHistory.LearningRatePlotFile, TrainingHistory.GradientNormPlotFile },
                paths.Select(p => Path.GetFileName(p)).ToList());
            foreach (var path in paths) AssertPng(path, 900, 540);
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void SavePlots_copes_with_an_empty_or_diverged_history()
    {
        var diverged = Build([0.6, double.NaN], stepsPerEpoch: 5, stepLoss: (step, loss) => step >= 7 ? double.PositiveInfinity : loss);
        var directory = Path.Combine(Path.GetTempPath(), "dslnet-plots-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (var path in new TrainingHistory().SavePlots(Path.Combine(directory, "empty"))) AssertPng(path, 900, 540);
            foreach (var path in diverged.SavePlots(Path.Combine(directory, "diverged"), 400, 300)) AssertPng(path, 400, 300);
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Signature, and the IHDR chunk's width and height (big-endian, at bytes 16 and 20).</summary>
    internal static void AssertPng(string path, int width, int height)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 1000, $"{path} has only {bytes.Length} bytes");
        Assert.Equal(PngSignature, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(width, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(height, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }
}
