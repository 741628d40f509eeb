namespace DslNet;

/// <summary>
/// The best prediction that ignores the features, fitted on the training labels: the label prior for binary and
/// multi-class cross-entropy, the label mean for MSE. Its loss is the level of a model that learned nothing, the
/// diagnosis's baseline; scored on the validation labels it is what a useful model must beat there.
/// </summary>
internal sealed class ConstantPrediction
{
    // Floor on a class probability, so a class absent from the training labels costs a large finite loss.
    private const double MinimumProbability = 1e-12;

    private readonly Loss _loss;
    private readonly double[] _prior;
    private readonly double _mean;

    private ConstantPrediction(Loss loss, double[] prior, double mean)
    {
        _loss = loss;
        _prior = prior;
        _mean = mean;
    }

    /// <param name="labels">Labels already checked against the loss (0/1, class indices below <paramref name="classes"/>, finite).</param>
    public static ConstantPrediction Fit(Loss loss, ReadOnlySpan<float> labels, int classes)
    {
        switch (loss)
        {
            case Loss.BinaryCrossEntropyWithLogits:
            {
                double positives = 0;
                foreach (var label in labels) positives += label;
                var p = positives / labels.Length;
                return new ConstantPrediction(loss, [1 - p, p], p);
            }
            case Loss.CrossEntropy:
            {
                var prior = new double[classes];
                foreach (var label in labels) prior[(int)label]++;
                for (var k = 0; k < classes; k++) prior[k] /= labels.Length;
                return new ConstantPrediction(loss, prior, double.NaN);
            }
            default:
            {
                double sum = 0;
                foreach (var label in labels) sum += label;
                return new ConstantPrediction(loss, [], sum / labels.Length);
            }
        }
    }

    /// <summary>The mean loss of this constant prediction on <paramref name="labels"/> (the same loss as the model's, in double).</summary>
    public double LossOn(ReadOnlySpan<float> labels)
    {
        double sum = 0;
        foreach (var label in labels)
            sum += _loss switch
            {
                Loss.BinaryCrossEntropyWithLogits or Loss.CrossEntropy => -Math.Log(Math.Max(_prior[(int)label], MinimumProbability)),
                _ => (label - _mean) * (label - _mean),
            };
        return sum / labels.Length;
    }

    /// <summary>
    /// The number of classes when the labels look like class indices: integers that fill 0 … k−1 with 2 ≤ k ≤ 100.
    /// Null otherwise. Ratings such as 1–5 do not start at 0 and are not taken for classes.
    /// </summary>
    public static int? ClassLikeLabels(ReadOnlySpan<float> labels)
    {
        const int MaxClasses = 100;
        Span<bool> seen = stackalloc bool[MaxClasses];
        var max = -1;
        foreach (var label in labels)
        {
            if (!(label >= 0 && label < MaxClasses) || label != MathF.Floor(label)) return null;
            var k = (int)label;
            seen[k] = true;
            max = Math.Max(max, k);
        }
        if (max < 1) return null;
        for (var k = 0; k <= max; k++) if (!seen[k]) return null;
        return max + 1;
    }
}
