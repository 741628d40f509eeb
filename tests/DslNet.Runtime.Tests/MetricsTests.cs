namespace DslNet.Runtime.Tests;

public sealed class MetricsTests
{
    [Theory]
    // sklearn.metrics.roc_auc_score on the same inputs.
    [InlineData(new float[] { 0.1f, 0.4f, 0.35f, 0.8f }, new float[] { 0, 0, 1, 1 }, 0.75)]
    [InlineData(new float[] { 1, 2, 3, 4 }, new float[] { 0, 0, 1, 1 }, 1.0)]
    [InlineData(new float[] { 4, 3, 2, 1 }, new float[] { 0, 0, 1, 1 }, 0.0)]
    // Ties: a positive tied with a negative counts one half. Pairs (pos, neg): (2,1) 1, (2,2) ½, (3,1) 1, (3,2) 1.
    [InlineData(new float[] { 1, 2, 2, 3 }, new float[] { 0, 0, 1, 1 }, 0.875)]
    [InlineData(new float[] { 0.5f, 0.5f, 0.5f, 0.5f }, new float[] { 0, 1, 0, 1 }, 0.5)]
    // A three-way tie across both classes. Positive 5: vs 1 → 1, vs the two negative 5s → ½ each; positive 9: 3.
    // (2 + 3) / (2 positives × 3 negatives).
    [InlineData(new float[] { 1, 5, 5, 5, 9 }, new float[] { 0, 0, 1, 0, 1 }, 5.0 / 6.0)]
    public void RocAuc_matches_hand_computed_cases(float[] scores, float[] labels, double expected) =>
        Assert.Equal(expected, Metrics.RocAuc(scores, labels), 12);

    [Fact]
    public void RocAuc_equals_the_fraction_of_correctly_ordered_pairs_on_random_data()
    {
        var random = new Random(3);
        var scores = Enumerable.Range(0, 300).Select(_ => (float)Math.Round(random.NextDouble() * 20) / 20).ToArray();   // many ties
        var labels = scores.Select(s => random.NextDouble() < s ? 1f : 0f).ToArray();

        double pairs = 0, wins = 0;
        for (var p = 0; p < scores.Length; p++)
            for (var n = 0; n < scores.Length; n++)
                if (labels[p] == 1 && labels[n] == 0)
                {
                    pairs++;
                    wins += scores[p] > scores[n] ? 1 : scores[p] == scores[n] ? 0.5 : 0;
                }

        Assert.Equal(wins / pairs, Metrics.RocAuc(scores, labels), 12);
    }

    [Fact]
    public void RocAuc_throws_when_only_one_class_is_present()
    {
        var error = Assert.Throws<ArgumentException>(() => Metrics.RocAuc([0.1f, 0.9f], [1, 1]));
        Assert.Contains("Only one class", error.Message);
        Assert.Throws<ArgumentException>(() => Metrics.RocAuc([0.1f, 0.9f], [0, 0]));
        Assert.Throws<ArgumentException>(() => Metrics.RocAuc([float.NaN, 0.9f], [0, 1]));
        Assert.Throws<ArgumentException>(() => Metrics.RocAuc([0.1f], [0, 1]));
    }

    [Fact]
    public void Accuracy_predicts_positive_for_a_positive_logit()
    {
        // −1→0 right, 2→1 right, 0→0 wrong (label 1), 3→1 wrong (label 0).
        Assert.Equal(0.5, Metrics.Accuracy([-1, 2, 0, 3], [0, 1, 1, 0]));
        Assert.Equal(1.0, Metrics.Accuracy([-0.1f, 0.1f], [0, 1]));
    }

    [Fact]
    public void LogLoss_matches_pytorchs_bce_with_logits_including_extreme_logits()
    {
        var reference = ReferenceData.Load("losses.json").GetProperty("bce_with_logits");
        var loss = Metrics.LogLoss(reference.GetProperty("logits").Floats(), reference.GetProperty("targets").Floats());
        Tolerance.AssertClose(reference.GetProperty("loss").GetDouble(), loss, 1e-9, "BCE with logits");
    }

    [Fact]
    public void LogLoss_agrees_with_the_probability_form_for_moderate_logits()
    {
        float[] logits = [-2, -0.5f, 0, 0.7f, 3];
        float[] labels = [0, 1, 1, 0, 1];
        var expected = logits.Select((x, i) =>
        {
            var p = 1 / (1 + Math.Exp(-x));
            return -(labels[i] * Math.Log(p) + (1 - labels[i]) * Math.Log(1 - p));
        }).Average();
        Assert.Equal(expected, Metrics.LogLoss(logits, labels), 12);
    }
}
