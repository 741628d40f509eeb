using DslNet.Samples.InitVariance;
using Xunit.Abstractions;

namespace DslNet.EndToEnd.Tests.Samples;

/// <summary>
/// samples/InitVariance: §7.2's variance argument, measured through 20 Linear(512, 512) + ReLU layers. He keeps the
/// activation variance near 1, N(0, 0.01²) collapses it, N(0, 1) explodes it, Xavier halves it at every layer.
/// </summary>
public sealed class InitVarianceSampleTests(ITestOutputHelper output)
{
    [Fact]
    public void Variance_after_20_layers_collapses_explodes_decays_or_stays_by_initialization()
    {
        var result = InitVarianceExperiment.Run(new InitVarianceOptions());
        output.WriteLine(InitVarianceExperiment.FormatTable(result));

        Assert.All(result.Curves, c => Assert.Equal(21, c.Variances.Length));
        var input = result["he"].Variances[0];
        Assert.InRange(input, 0.98, 1.02);
        Assert.InRange(result["he"].Final, 0.1, 10);
        Assert.True(result["too_small"].Final < 1e-20, $"too_small: {result["too_small"].Final:E2}");
        Assert.True(result["too_large"].Final > 1e20 || double.IsPositiveInfinity(result["too_large"].Final), $"too_large: {result["too_large"].Final:E2}");
        Assert.True(result["xavier"].Final <= input / 1e3, $"xavier: {result["xavier"].Final:E2}");

        // Monotone collapse and explosion, layer by layer.
        for (var k = 1; k <= 20; k++)
        {
            Assert.True(result["too_small"].Variances[k] < result["too_small"].Variances[k - 1]);
            Assert.True(result["too_large"].Variances[k] > result["too_large"].Variances[k - 1]);
        }
    }

    [Fact]
    public void The_command_line_prints_the_table_and_writes_a_log_scale_png()
    {
        var directory = PngFile.TempDirectory("initvariance");
        try
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var code = InitVarianceProgram.Run(["--out", directory], stdout, stderr);
            output.WriteLine(stdout.ToString());

            Assert.Equal(0, code);
            Assert.Equal("", stderr.ToString());
            var text = stdout.ToString();
            Assert.Contains("layer  too_small  too_large     xavier         he", text);
            Assert.Contains("Init:        he | Layer 20 variance: ", text);
            Assert.Matches(@"\n   20 +\d\.\d\de-\d\d +\d\.\d\de\+\d\d +\d\.\d\de-0\d +\d\.\d\de[+-]0\d", text.Replace("\r", ""));

            var (width, height, bytes) = PngFile.Read(Path.Combine(directory, InitVariancePlot.FileName));
            Assert.Equal((1000, 620), (width, height));
            Assert.True(bytes > 20_000, $"the PNG has only {bytes} bytes");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Unknown_arguments_exit_with_code_2()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, InitVarianceProgram.Run(["--nope"], TextWriter.Null, stderr));
        Assert.Contains("unknown argument '--nope'", stderr.ToString());
    }
}
