using DslNet.Samples.DeepMlp;
using DslNet.Samples.StreamRec;
using Xunit.Abstractions;

namespace DslNet.EndToEnd.Tests.Samples;

/// <summary>samples/DeepMlp on a small exported StreamRec CSV pair: both 32-block models train, the plot is written, the
/// last line has the issue's format; bad arguments exit with 2.</summary>
public sealed class DeepMlpSampleTests(ITestOutputHelper output)
{
    [Fact]
    public void Trains_both_models_on_csv_files_and_writes_the_gradient_plot()
    {
        var directory = PngFile.TempDirectory("deepmlp");
        try
        {
            var (train, validation) = StreamRecTraining.Export(new StreamRecOptions { TrainRows = 1500, ValidationRows = 600 }, directory);
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var code = DeepMlpProgram.Run(["--train", train, "--val", validation, "--epochs", "1", "--out", directory], stdout, stderr);
            output.WriteLine(stdout.ToString());

            Assert.Equal(0, code);
            Assert.Equal("", stderr.ToString());
            var lines = stdout.ToString().Replace("\r", "").TrimEnd().Split('\n');
            Assert.Matches(@"^FINAL residual_auc=0\.\d{4} plain_auc=0\.\d{4} samples_per_s=\d+$", lines[^1]);
            Assert.Contains(lines, l => l.StartsWith("residual  epoch 1  val_auc", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("plain     epoch 1  val_auc", StringComparison.Ordinal));
            var (width, height, bytes) = PngFile.Read(Path.Combine(directory, DeepMlpPlot.FileName));
            Assert.Equal((1000, 600), (width, height));
            Assert.True(bytes > 10_000);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("--train", "only-one.csv")]
    [InlineData("--epochs", "many")]
    [InlineData("--unknown")]
    public void Bad_arguments_exit_with_2(params string[] args)
    {
        var stderr = new StringWriter();
        Assert.Equal(2, DeepMlpProgram.Run(args, TextWriter.Null, stderr));
        Assert.StartsWith("error: ", stderr.ToString());
    }
}
