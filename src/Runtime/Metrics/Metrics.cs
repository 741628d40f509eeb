using System.Buffers;

namespace DslNet;

/// <summary>
/// Evaluation metrics for binary classifiers that output one logit per row. A label counts as positive when it
/// is ≥ 0.5 (so soft labels work); <see cref="LogLoss"/> uses the labels as given.
/// </summary>
public static class Metrics
{
    /// <summary>
    /// Area under the ROC curve from ranks (the Mann–Whitney U statistic), with tied scores given their average
    /// rank: equal to scikit-learn's <c>roc_auc_score</c>. Scores may be logits or probabilities (only their order
    /// matters). Rents its sort buffers from the shared array pool.
    /// </summary>
    /// <exception cref="ArgumentException">Only one class is present, a score is NaN, or the lengths differ.</exception>
    public static double RocAuc(ReadOnlySpan<float> scores, ReadOnlySpan<float> labels)
    {
        CheckLengths(scores, labels);
        var n = scores.Length;
        var sortedScores = ArrayPool<float>.Shared.Rent(n);
        var sortedPositive = ArrayPool<bool>.Shared.Rent(n);
        try
        {
            long positives = 0;
            for (var i = 0; i < n; i++)
            {
                if (float.IsNaN(scores[i]))
                    throw new ArgumentException($"Score {i} is NaN; ROC AUC needs ordered scores.", nameof(scores));
                sortedScores[i] = scores[i];
                sortedPositive[i] = IsPositive(labels[i]);
                if (sortedPositive[i]) positives++;
            }

            var negatives = n - positives;
            if (positives == 0 || negatives == 0)
                throw new ArgumentException(
                    $"Only one class is present in the labels ({(positives == 0 ? "no positives" : "no negatives")} among {n} rows); ROC AUC is not defined.",
                    nameof(labels));

            var keys = sortedScores.AsSpan(0, n);
            var positive = sortedPositive.AsSpan(0, n);
            keys.Sort(positive);

            // Sum of the positives' ranks (1-based), a tie group sharing the average of its ranks.
            var positiveRankSum = 0.0;
            for (var start = 0; start < n;)
            {
                var end = start + 1;
                while (end < n && keys[end] == keys[start]) end++;
                var averageRank = (start + 1 + end) / 2.0;
                for (var i = start; i < end; i++)
                    if (positive[i]) positiveRankSum += averageRank;
                start = end;
            }

            return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(sortedScores);
            ArrayPool<bool>.Shared.Return(sortedPositive);
        }
    }

    /// <summary>Fraction of rows where the predicted class (logit &gt; 0, i.e. probability &gt; 0.5) matches the label.</summary>
    public static double Accuracy(ReadOnlySpan<float> logits, ReadOnlySpan<float> labels)
    {
        CheckLengths(logits, labels);
        var correct = 0;
        for (var i = 0; i < logits.Length; i++)
            if (logits[i] > 0 == IsPositive(labels[i]))
                correct++;
        return (double)correct / logits.Length;
    }

    /// <summary>
    /// Mean binary cross-entropy from logits, computed stably as <c>max(x, 0) − x·y + log(1 + e^−|x|)</c> in double
    /// (PyTorch's <c>BCEWithLogitsLoss</c>; equal to scikit-learn's <c>log_loss</c> on <c>sigmoid(x)</c> without its
    /// clipping of probabilities).
    /// </summary>
    public static double LogLoss(ReadOnlySpan<float> logits, ReadOnlySpan<float> labels)
    {
        CheckLengths(logits, labels);
        var sum = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            double x = logits[i], y = labels[i];
            sum += Math.Max(x, 0) - x * y + Math.Log(1 + Math.Exp(-Math.Abs(x)));
        }

        return sum / logits.Length;
    }

    private static bool IsPositive(float label) => label >= 0.5f;

    private static void CheckLengths(ReadOnlySpan<float> predictions, ReadOnlySpan<float> labels)
    {
        if (predictions.Length != labels.Length)
            throw new ArgumentException($"{predictions.Length} predictions but {labels.Length} labels.", nameof(labels));
        if (predictions.IsEmpty)
            throw new ArgumentException("No rows to evaluate.", nameof(predictions));
    }
}
