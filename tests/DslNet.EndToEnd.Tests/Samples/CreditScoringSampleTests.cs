using System.Diagnostics;
using DslNet.Samples.CreditScoring;
using Xunit.Abstractions;

namespace DslNet.EndToEnd.Tests.Samples;

/// <summary>
/// samples/CreditScoring (§7.4.3): with strongly correlated debt features, the model trained with decoupled weight
/// decay has smaller weights, a narrower coefficient spread across the correlated group, and predictions that move
/// less under a small shift of the population than the model trained without decay.
/// </summary>
public sealed class CreditScoringSampleTests(ITestOutputHelper output)
{
    [Fact]
    public void Decoupled_weight_decay_gives_the_smaller_and_more_stable_model()
    {
        var clock = Stopwatch.StartNew();
        // The sample's defaults, less the Adam + L2 row (not asserted on), to keep the test near 5 s.
        var settings = RegularizationSetting.Standard.Where(s => s.Name != "Adam + L2 1e-4").ToArray();
        var result = CreditExperiment.Run(new CreditOptions { Settings = settings });
        clock.Stop();
        output.WriteLine(CreditScoringProgram.Report(result));
        output.WriteLine($"wall time {clock.Elapsed.TotalSeconds:F1} s");

        // The data: the four debt features are strongly correlated with each other.
        var debt = new HashSet<string>(BorrowerData.DebtGroup.Select(j => BorrowerData.FeatureNames[j]));
        Assert.Equal(6, result.CorrelatedPairs.Count(p => debt.Contains(p.A) && debt.Contains(p.B) && p.Correlation > 0.9));

        var none = result["Adam, no decay"];
        var decayed = result["AdamW wd 1e-1"];
        Assert.True(decayed.WeightNorm < 0.8 * none.WeightNorm, $"weight norm {decayed.WeightNorm:F2} vs {none.WeightNorm:F2}");
        Assert.True(decayed.CoefficientSpread < 0.7 * none.CoefficientSpread, $"spread {decayed.CoefficientSpread:F2} vs {none.CoefficientSpread:F2}");
        Assert.True(decayed.ShiftUtilizationOnly < 0.8 * none.ShiftUtilizationOnly,
            $"shift (utilization) {decayed.ShiftUtilizationOnly:F2} vs {none.ShiftUtilizationOnly:F2} pp");
        Assert.True(decayed.ShiftSwap < 0.8 * none.ShiftSwap, $"shift (swap) {decayed.ShiftSwap:F2} vs {none.ShiftSwap:F2} pp");
        Assert.True(decayed.ShiftGroup < none.ShiftGroup, $"shift (group) {decayed.ShiftGroup:F2} vs {none.ShiftGroup:F2} pp");
        Assert.True(decayed.ValidationAuc > none.ValidationAuc - 0.005, $"val AUC {decayed.ValidationAuc:F4} vs {none.ValidationAuc:F4}");
        Assert.True(decayed.Gap < none.Gap, $"train-validation gap {decayed.Gap:F3} vs {none.Gap:F3}");

        // Weaker decay, smaller effect, same direction on the weights.
        Assert.True(result["AdamW wd 1e-2"].WeightNorm < none.WeightNorm);
        // Per seed too, not only on average.
        var perSeedNone = result.Runs[0];
        var perSeedDecayed = result.Runs[2];
        for (var seed = 0; seed < perSeedNone.Count; seed++)
        {
            Assert.True(perSeedDecayed[seed].WeightNorm < perSeedNone[seed].WeightNorm);
            Assert.True(perSeedDecayed[seed].ShiftSwap < perSeedNone[seed].ShiftSwap);
        }
    }

    [Fact]
    public void The_data_are_deterministic_in_the_seed()
    {
        var a = new BorrowerData(5).Train(300);
        var b = new BorrowerData(5).Train(300);
        var c = new BorrowerData(6).Train(300);
        Assert.Equal(a.Raw, b.Raw);
        Assert.Equal(a.Labels, b.Labels);
        Assert.NotEqual(a.Raw, c.Raw);
        Assert.InRange(new BorrowerData().Train(5000).DefaultRate, 0.2, 0.35);
    }

    [Fact]
    public void The_command_line_prints_both_tables()
    {
        var stdout = new StringWriter();
        var code = CreditScoringProgram.Run(["--seeds", "1", "--epochs", "20"], stdout, TextWriter.Null);
        output.WriteLine(stdout.ToString());
        Assert.Equal(0, code);
        var text = stdout.ToString();
        Assert.Contains("setting            val AUC  val loss", text);
        Assert.Contains("setting            +5% debt group  +5% utilization    swap", text);
        foreach (var name in new[] { "Adam, no decay", "Adam + L2 1e-4", "AdamW wd 1e-2", "AdamW wd 1e-1", "ground truth" })
            Assert.Contains(name, text);
        Assert.Equal(2, CreditScoringProgram.Run(["--epochs", "0"], TextWriter.Null, TextWriter.Null));
    }
}
