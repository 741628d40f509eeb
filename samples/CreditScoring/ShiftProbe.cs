namespace DslNet.Samples.CreditScoring;

/// <summary>
/// Measures a scorer on the validation borrowers: AUC, coefficients across the debt group, and how far its
/// default probabilities move under three small distribution shifts, all applied to the raw features (then
/// standardized with the training set's statistics, as production scoring would):
/// <list type="bullet">
/// <item>"+5% debt group": debt-to-income, utilization, outstanding and revolving balance all 5% higher (an economic
/// shift that keeps the features' correlation);</item>
/// <item>"+5% utilization": utilization alone 5% higher (a card issuer changes its limits: the correlation weakens);</item>
/// <item>"swap": debt-to-income and utilization exchange their standardized values (which of the pair carries the
/// signal changes).</item>
/// </list>
/// </summary>
public sealed class ShiftProbe
{
    private const double FiniteDifference = 0.1;   // in standard deviations of the feature

    private readonly BorrowerSet _validation;
    private readonly Standardizer _standardizer;
    private readonly float[] _group;
    private readonly float[] _utilizationOnly;
    private readonly float[] _swap;

    public ShiftProbe(BorrowerSet validation, Standardizer standardizer, double shiftFraction)
    {
        _validation = validation;
        _standardizer = standardizer;
        var factor = (float)(1 + shiftFraction);
        _group = Transform(validation.Raw, x => { foreach (var j in BorrowerData.DebtGroup) x[j] *= factor; });
        _utilizationOnly = Transform(validation.Raw, x => x[BorrowerData.Utilization] *= factor);
        _swap = Transform(validation.Raw, x =>
        {
            int a = BorrowerData.DebtToIncome, b = BorrowerData.Utilization;
            var za = (x[a] - standardizer.Means[a]) / standardizer.Scales[a];
            var zb = (x[b] - standardizer.Means[b]) / standardizer.Scales[b];
            x[a] = (float)(standardizer.Means[a] + zb * standardizer.Scales[a]);
            x[b] = (float)(standardizer.Means[b] + za * standardizer.Scales[b]);
        });
    }

    public ModelReport Measure(string name, CreditMlp model, DataSet standardizedTrain)
    {
        Func<float[], double[]> scorer = raw => Logits(model, raw);
        var baseline = scorer(_validation.Raw);
        var validation = Standardize(_validation.Raw);
        var (weightNorm, firstLayer) = CreditExperiment.WeightNorms(model);
        var coefficients = BorrowerData.DebtGroup.Select(j => Coefficient(scorer, j)).ToArray();
        return new ModelReport(
            name,
            Metrics.RocAuc(ToFloat(baseline), _validation.Labels),
            model.EvaluateLoss(validation, _validation.Labels),
            model.EvaluateLoss(standardizedTrain.Features, standardizedTrain.Labels),
            weightNorm,
            firstLayer,
            coefficients,
            ModelReport.Spread(coefficients),
            MeanProbabilityShift(baseline, scorer(_group)),
            MeanProbabilityShift(baseline, scorer(_utilizationOnly)),
            MeanProbabilityShift(baseline, scorer(_swap)));
    }

    public TruthReport MeasureTruth()
    {
        Func<float[], double[]> scorer = TruthLogits;
        var baseline = scorer(_validation.Raw);
        return new TruthReport(
            Metrics.RocAuc(ToFloat(baseline), _validation.Labels),
            BorrowerData.DebtGroup.Select(j => Coefficient(scorer, j)).ToArray(),
            MeanProbabilityShift(baseline, scorer(_group)),
            MeanProbabilityShift(baseline, scorer(_utilizationOnly)),
            MeanProbabilityShift(baseline, scorer(_swap)));
    }

    /// <summary>Mean over borrowers of ∂logit/∂x_j per training-set standard deviation of x_j (central differences).</summary>
    private double Coefficient(Func<float[], double[]> scorer, int feature)
    {
        var step = (float)(FiniteDifference * _standardizer.Scales[feature]);
        var up = scorer(Transform(_validation.Raw, x => x[feature] += step));
        var down = scorer(Transform(_validation.Raw, x => x[feature] -= step));
        double sum = 0;
        for (var r = 0; r < up.Length; r++) sum += up[r] - down[r];
        return sum / up.Length / (2 * FiniteDifference);
    }

    /// <summary>Mean |σ(after) − σ(before)| in percentage points.</summary>
    private static double MeanProbabilityShift(double[] before, double[] after)
    {
        double sum = 0;
        for (var r = 0; r < before.Length; r++) sum += Math.Abs(Sigmoid(after[r]) - Sigmoid(before[r]));
        return 100 * sum / before.Length;
    }

    private double[] Logits(CreditMlp model, float[] raw)
    {
        var outputs = new float[raw.Length / BorrowerData.FeatureCount];
        model.Predict(Standardize(raw), outputs);
        return outputs.Select(v => (double)v).ToArray();
    }

    private static double[] TruthLogits(float[] raw)
    {
        var logits = new double[raw.Length / BorrowerData.FeatureCount];
        for (var r = 0; r < logits.Length; r++)
            logits[r] = BorrowerData.TruthLogit(raw.AsSpan(r * BorrowerData.FeatureCount, BorrowerData.FeatureCount));
        return logits;
    }

    private float[] Standardize(float[] raw)
    {
        var result = new float[raw.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            var j = i % BorrowerData.FeatureCount;
            result[i] = (float)((raw[i] - _standardizer.Means[j]) / _standardizer.Scales[j]);
        }

        return result;
    }

    private static float[] Transform(float[] raw, Action<Span<float>> change)
    {
        var copy = (float[])raw.Clone();
        for (var r = 0; r < copy.Length; r += BorrowerData.FeatureCount) change(copy.AsSpan(r, BorrowerData.FeatureCount));
        return copy;
    }

    private static float[] ToFloat(double[] values) => values.Select(v => (float)v).ToArray();

    private static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));
}
