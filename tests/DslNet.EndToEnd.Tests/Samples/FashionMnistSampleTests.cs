using System.Globalization;
using System.Text.RegularExpressions;
using DslNet.Samples.FashionMnist;
using Xunit.Abstractions;

namespace DslNet.EndToEnd.Tests.Samples;

/// <summary>
/// samples/FashionMnist on a few hundred real Fashion-MNIST images (Debian's dataset-fashion-mnist, which .ci/run
/// installs): both networks train two epochs, beat chance on the test images, print the per-class table, the
/// confusion matrix and the FINAL line; missing data and bad arguments exit with 2.
/// </summary>
public sealed class FashionMnistSampleTests(ITestOutputHelper output)
{
    private const string FinalPattern =
        @"^FINAL model=(cnn|resnet) test_acc=(0\.\d{4}|1\.0000) samples_per_s=\d+ infer_per_s=\d+ epochs=2 augment=(true|false) threads=\d+$";

    // No --threads: it sets the process-wide CpuThreads.Count, which the tests running beside this one would see.
    [Theory]
    [InlineData("cnn", false)]
    [InlineData("resnet", true)]
    public void A_quick_run_learns_and_reports(string model, bool augment)
    {
        string[] args = ["--model", model, "--max-rows", "400", "--epochs", "2", "--batch-size", "32", .. augment ? ["--augment"] : Array.Empty<string>()];
        var (code, stdout, stderr) = Run(args);

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        var lines = stdout.Replace("\r", "").TrimEnd().Split('\n');
        var final = Regex.Match(lines[^1], FinalPattern);
        Assert.True(final.Success, $"last line: {lines[^1]}");
        Assert.Equal(model, final.Groups[1].Value);
        Assert.Equal(augment ? "true" : "false", final.Groups[3].Value);
        // Ten classes: chance is 0.1. Two epochs of 13 steps on 400 images already do far better.
        Assert.True(double.Parse(final.Groups[2].Value, CultureInfo.InvariantCulture) > 0.3, lines[^1]);
        Assert.Contains(lines, l => l.StartsWith("Ankle boot", StringComparison.Ordinal));
        Assert.Contains("confusion (rows: true class, columns: predicted)", lines);
        Assert.Contains(lines, l => l.StartsWith("data: ", StringComparison.Ordinal) && l.Contains("400 training and 400 test images [1, 28, 28]"));
    }

    [Fact]
    public void The_confusion_matrix_counts_every_test_image_once_and_the_plots_are_written()
    {
        var plots = PngFile.TempDirectory("fashion");
        try
        {
            var result = FashionTraining.Run(new FashionOptions { MaxRows = 300, Epochs = 1, BatchSize = 50, MeasurePredict = false, PlotDirectory = plots });

            Assert.Equal(300, result.Confusion.Cast<int>().Sum());
            var (gridWidth, gridHeight, gridBytes) = PngFile.Read(Path.Combine(plots, FashionPlots.MisclassifiedFile));
            Assert.Equal((1200, 720), (gridWidth, gridHeight));
            Assert.True(gridBytes > 10_000, $"the grid of misclassified images is only {gridBytes} bytes");
            var (curveWidth, curveHeight, _) = PngFile.Read(Path.Combine(plots, FashionPlots.AccuracyFile));
            Assert.Equal((900, 540), (curveWidth, curveHeight));
            Assert.True(File.Exists(Path.Combine(plots, TrainingHistory.LossPlotFile)));
            AssertResult(result);
        }
        finally
        {
            Directory.Delete(plots, recursive: true);
        }
    }

    private static void AssertResult(FashionResult result)
    {
        Assert.Equal(FashionCnn.ParameterCount, result.Parameters);
        Assert.InRange(result.TestAccuracy, 0.0, 1.0);
        Assert.Single(result.Epochs);
        Assert.True(double.IsNaN(result.PredictSamplesPerSecond));
    }

    [Fact]
    public void Missing_data_names_the_package_to_install()
    {
        var empty = Directory.CreateTempSubdirectory("fashion-missing").FullName;
        try
        {
            var (code, _, stderr) = Run(["--data", empty, "--epochs", "1"]);

            Assert.Equal(FashionProgram.BadArguments, code);
            Assert.Contains("sudo apt-get install dataset-fashion-mnist", stderr);
            Assert.Contains("train-images-idx3-ubyte.gz", stderr);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Theory]
    [InlineData("--model", "vgg", "--model expects cnn or resnet")]
    [InlineData("--epochs", "0", "--epochs expects a positive integer")]
    [InlineData("--batch-size", "1", "--batch-size must be at least 2")]
    [InlineData("--lr", "-1", "--lr expects a positive number")]
    [InlineData("--weight-decay", "x", "--weight-decay expects a positive number")]
    [InlineData("--crop-padding", "-2", "--crop-padding expects an integer of 0 or more")]
    [InlineData("--colour", "red", "unknown option '--colour'")]
    public void Bad_arguments_exit_with_2_and_say_why(string name, string value, string message)
    {
        var (code, stdout, stderr) = Run([name, value]);

        Assert.Equal(FashionProgram.BadArguments, code);
        Assert.Equal("", stdout);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public void Weight_decay_and_crop_padding_reach_the_options()
    {
        var command = CommandLine.Parse(["--augment", "--crop-padding", "0", "--weight-decay", "0.05"]);

        Assert.Null(command.Error);
        Assert.True(command.Options.Augment);
        Assert.Equal(0, command.Options.CropPadding);
        Assert.Equal(0.05, command.Options.WeightDecay);
        Assert.Equal(2, CommandLine.Parse([]).Options.CropPadding);
    }

    private (int Code, string Stdout, string Stderr) Run(string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = FashionProgram.Run(args, stdout, stderr);
        output.WriteLine(stdout.ToString());
        output.WriteLine(stderr.ToString());
        return (code, stdout.ToString(), stderr.ToString());
    }
}
