using System.Globalization;
using System.Text.RegularExpressions;
using DslNet.Samples.StreamRec;
using Xunit.Abstractions;

namespace DslNet.EndToEnd.Tests.Samples;

/// <summary>
/// samples/StreamRec <c>--recipe baseline|full</c> and <c>--compare</c> (§7.9.3, measured). Runs with the other
/// StreamRec tests, alone: training uses every core.
/// </summary>
[Collection(StreamRecSampleCollection.Name)]
public sealed partial class StreamRecRecipeTests(ITestOutputHelper output)
{
    [Fact]
    public void Compare_prints_the_table_with_both_recipes()
    {
        var (code, stdout, stderr) = Run("--compare", "--rows", "20000", "--epochs", "3");
        output.WriteLine(stdout);
        Assert.Equal(0, code);
        Assert.Equal("", stderr);

        Assert.Contains("metric                              baseline          full", stdout);
        foreach (var row in new[] { "epochs to convergence (*)", "final validation AUC", "train-validation gap (loss)", "wall time" })
            Assert.Matches(new Regex($@"(?m)^{Regex.Escape(row)} +\S+"), stdout);
        var lines = CompareLine().Matches(stdout);
        Assert.Equal(["baseline", "full"], lines.Select(m => m.Groups["recipe"].Value));
        foreach (Match line in lines)
        {
            var epochs = int.Parse(line.Groups["epochs"].Value, CultureInfo.InvariantCulture);
            var auc = double.Parse(line.Groups["auc"].Value, CultureInfo.InvariantCulture);
            Assert.InRange(epochs, 1, 3);
            Assert.InRange(auc, 0.6, 0.9);   // both learn something; the noise-free teacher reaches about 0.87
            Assert.True(double.Parse(line.Groups["wall"].Value, CultureInfo.InvariantCulture) > 0);
        }
    }

    [Fact]
    public void The_baseline_is_a_plain_mlp_with_pytorchs_default_linear_init()
    {
        var model = BaselineMlp.CreateWithDefaultInit(seed: 3);
        Assert.Equal(128 * 256 + 256 + 256 * 128 + 128 + 128 * 64 + 64 + 64 + 1, BaselineMlp.ParameterCount);
        Assert.Equal(0, BaselineMlp.RunningStatisticCount);
        foreach (var block in new[] { model.Hidden1, model.Hidden2, model.Hidden3, model.Output })
        {
            // U(−1/√fan_in, 1/√fan_in): variance 1/(3·fan_in), for the weights and the biases.
            var bound = 1 / Math.Sqrt(block.Inputs);
            Assert.All(block.Weight.ToArray(), w => Assert.InRange(w, -bound, bound));
            Assert.All(block.Bias!.ToArray(), b => Assert.InRange(b, -bound, bound));
            var variance = block.Weight.ToArray().Average(w => (double)w * w);
            Assert.InRange(variance * 3 * block.Inputs, 0.85, 1.15);
            Assert.Contains(block.Bias!.ToArray(), b => b != 0);
        }
    }

    [Fact]
    public void Recipe_baseline_trains_the_baseline_alone()
    {
        var (code, stdout, _) = Run("--recipe", "baseline", "--rows", "5000", "--val-rows", "2000", "--epochs", "1");
        output.WriteLine(stdout);
        Assert.Equal(0, code);
        Assert.Contains("baseline: BaselineMlp", stdout);
        Assert.DoesNotContain("OneCycleLR", stdout);
        Assert.Matches(@"FINAL val_auc=0\.\d{4} samples_per_s=\d+", stdout);
    }

    [Theory]
    [InlineData("--recipe=fancy", "--recipe expects 'full' or 'baseline'; got 'fancy'.")]
    [InlineData("--compare --recipe full", "--compare trains both recipes; leave out --recipe.")]
    [InlineData("--compare=yes", "--compare takes no value.")]
    [InlineData("--compare --export out", "--compare and --export cannot be combined.")]
    public void Bad_recipe_options_exit_with_code_2(string arguments, string message)
    {
        var (code, _, stderr) = Run(arguments.Split(' '));
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
    }

    [GeneratedRegex(@"COMPARE recipe=(?<recipe>\w+) epochs_to_convergence=(?<epochs>\d+) best_epoch=\d+ val_auc=(?<auc>[\d.]+) gap=-?[\d.]+ wall_s=(?<wall>[\d.]+)")]
    private static partial Regex CompareLine();

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = StreamRecProgram.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
