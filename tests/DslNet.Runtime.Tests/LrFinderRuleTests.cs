namespace DslNet.Runtime.Tests;

/// <summary>
/// The rates <see cref="LrFinderResult"/> reads off a curve: minimum ÷ 10 (the suggestion), the valley and steepest,
/// on a curve shaped like issue 16's Fashion-MNIST sweep.
/// </summary>
public sealed class LrFinderRuleTests
{
    /// <summary>
    /// 150 steps from 1e-7 to 10: flat at 2.3 below 1e-5, falling fastest near 1e-3, bottoming at 0.45 near 1e-2, then
    /// climbing steeply past 3e-2; each batch loss ±8 % noise.
    /// </summary>
    private static (double[] Rates, double[] Losses) IssueShapedCurve(int steps = 150)
    {
        var random = new Random(3);
        var rates = new double[steps];
        var losses = new double[steps];
        for (var i = 0; i < steps; i++)
        {
            rates[i] = 1e-7 * Math.Pow(1e8, i / (steps - 1.0));
            var decade = Math.Log10(rates[i]);
            var fall = 1 / (1 + Math.Exp(-2.2 * (decade + 3)));         // 0 → 1 around 1e-3
            var climb = Math.Max(0, decade + 1.6);                        // past 2.5e-2
            losses[i] = (2.3 - 1.85 * fall + 4 * climb * climb) * (1 + 0.08 * (2 * random.NextDouble() - 1));
        }
        return (rates, losses);
    }

    [Fact]
    public void The_smoothed_curve_has_no_lag_so_the_rates_fall_where_the_batch_losses_say()
    {
        var (rates, losses) = IssueShapedCurve();

        var result = LrFinderResult.FromCurve(rates, losses);

        // The batch losses bottom between 5e-3 and 3e-2; a β = 0.98 moving average put its minimum two decades later.
        Assert.InRange(result.MinimumLossLearningRate, 3e-3, 3e-2);
        Assert.InRange(result.Candidates.Single(c => c.Rule == LrFinderResult.MinimumRule).LearningRate, 3e-4, 3e-3);
        Assert.InRange(result.ValleyLearningRate, 1e-4, 1e-2);
        Assert.Equal(result.MinimumLossLearningRate / 10, result.SuggestedLearningRate, 12);
        Assert.InRange(result.SteepestLearningRate, 1e-5, result.MinimumLossLearningRate);
        Assert.Contains("valley", result.ToString());
        Assert.Contains("(minimum ÷ 10)", result.ToString());
    }

    [Fact]
    public void Valley_is_the_middle_of_the_longest_decreasing_run()
    {
        //                 0    1    2    3    4    5    6    7    8    9   10   11
        double[] losses = [5.0, 5.1, 4.0, 3.0, 2.5, 2.0, 1.5, 1.2, 1.0, 3.0, 9.0, 20.0];

        // Decreasing subsequence 5.1(or 5.0), 4.0, …, 1.0 ends at index 8 with length 8, so it starts at 0:
        // fastai's index = 0 + ⌊8/3⌋ + ⌊8/6⌋ = 2 + 1 = 3.
        Assert.Equal(3, LrFinderResult.Valley(losses, 0, losses.Length));
        Assert.Equal(-1, LrFinderResult.Valley([1.0, 2.0, 3.0], 0, 3));
    }

    [Fact]
    public void A_sweep_recorded_elsewhere_is_checked()
    {
        Assert.Throws<ArgumentException>(() => LrFinderResult.FromCurve([1e-3, 1e-2], [1.0]));
        Assert.Throws<ArgumentException>(() => LrFinderResult.FromCurve([1e-2, 1e-3], [1.0, 0.5]));
    }
}
