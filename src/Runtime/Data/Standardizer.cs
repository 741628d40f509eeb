namespace DslNet;

/// <summary>
/// Per-feature standardization <c>(x − mean) / std</c> with statistics fitted on the training set only, then
/// applied unchanged to validation and test data (fitting on all data leaks their statistics into training).
/// Like scikit-learn's <c>StandardScaler</c>: population standard deviation, and a constant feature is only
/// centred (its scale is 1).
/// </summary>
public sealed class Standardizer
{
    private readonly double[] _means;
    private readonly double[] _scales;

    private Standardizer(double[] means, double[] scales)
    {
        _means = means;
        _scales = scales;
    }

    public IReadOnlyList<double> Means => _means;

    /// <summary>The divisor of each feature: its standard deviation, or 1 for a constant feature.</summary>
    public IReadOnlyList<double> Scales => _scales;

    public int Columns => _means.Length;

    /// <summary>Learns each feature's mean and standard deviation from <paramref name="train"/> (in double).</summary>
    public static Standardizer Fit(DataSet train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Rows == 0)
            throw new ArgumentException("Cannot fit a standardizer on an empty data set.", nameof(train));

        var columns = train.Columns;
        var means = new double[columns];
        var scales = new double[columns];
        var features = train.Features;
        for (var row = 0; row < train.Rows; row++)
            for (var c = 0; c < columns; c++)
                means[c] += features[row * columns + c];
        for (var c = 0; c < columns; c++) means[c] /= train.Rows;

        // Two passes (mean, then squared deviations) rather than E[x²] − E[x]², which cancels badly.
        for (var row = 0; row < train.Rows; row++)
            for (var c = 0; c < columns; c++)
            {
                var deviation = features[row * columns + c] - means[c];
                scales[c] += deviation * deviation;
            }

        for (var c = 0; c < columns; c++)
        {
            var std = Math.Sqrt(scales[c] / train.Rows);
            scales[c] = std > 0 ? std : 1.0;
        }

        return new Standardizer(means, scales);
    }

    /// <summary>A standardized copy of <paramref name="data"/> (labels unchanged).</summary>
    public DataSet Apply(DataSet data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Columns != Columns)
            throw new ArgumentException($"The standardizer was fitted on {Columns} features; the data set has {data.Columns}.", nameof(data));

        var source = data.Features;
        var result = new float[source.Length];
        for (var i = 0; i < source.Length; i++)
        {
            var c = i % Columns;
            result[i] = (float)((source[i] - _means[c]) / _scales[c]);
        }

        // Per-pixel statistics leave no single value per channel for a black pixel: crop padding falls back to 0.
        return data.WithFeatures(result, data.Image?.WithPaddingValues(new float[data.Image.Shape.Channels]));
    }
}
