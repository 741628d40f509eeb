namespace DslNet;

/// <summary>
/// Per-channel normalization of image rows, <c>(x − mean[c]) / std[c]</c>, like torchvision's
/// <c>transforms.Normalize(mean, std)</c>: fit the statistics on the training set (every pixel of every image of a
/// channel) and apply them unchanged to validation and test data. The image counterpart of <see cref="Standardizer"/>,
/// which keeps one statistic per pixel instead.
/// </summary>
/// <remarks>
/// The standard deviation is the population one (as <see cref="Standardizer"/>; over 47 million Fashion-MNIST pixels
/// it equals <c>torch.std</c>'s unbiased one to seven digits). A constant channel is only centred (its scale is 1).
/// </remarks>
public sealed class ChannelNormalizer
{
    private readonly double[] _means;
    private readonly double[] _scales;

    private ChannelNormalizer(double[] means, double[] scales)
    {
        _means = means;
        _scales = scales;
    }

    public IReadOnlyList<double> Means => _means;

    /// <summary>The divisor of each channel: its standard deviation, or 1 for a constant channel.</summary>
    public IReadOnlyList<double> Scales => _scales;

    public int Channels => _means.Length;

    /// <summary>Known statistics, as <c>Normalize(mean=(0.2860,), std=(0.3530,))</c> writes them.</summary>
    public static ChannelNormalizer FromStatistics(IReadOnlyList<double> means, IReadOnlyList<double> stds)
    {
        ArgumentNullException.ThrowIfNull(means);
        ArgumentNullException.ThrowIfNull(stds);
        if (means.Count == 0 || means.Count != stds.Count)
            throw new ArgumentException($"Need one mean and one standard deviation per channel; got {means.Count} means and {stds.Count} deviations.", nameof(stds));
        for (var c = 0; c < stds.Count; c++)
            if (!(stds[c] > 0) || !double.IsFinite(stds[c]) || !double.IsFinite(means[c]))
                throw new ArgumentOutOfRangeException(nameof(stds), $"Channel {c}: mean {means[c]}, std {stds[c]}; the std must be positive and both finite.");
        return new ChannelNormalizer(means.ToArray(), stds.ToArray());
    }

    /// <summary>Learns each channel's mean and standard deviation over all pixels of <paramref name="train"/> (in double).</summary>
    /// <exception cref="ArgumentException">The data set is empty or has no <see cref="DataSet.ImageShape"/>.</exception>
    public static ChannelNormalizer Fit(DataSet train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var shape = RequireShape(train, nameof(train));
        if (train.Rows == 0)
            throw new ArgumentException("Cannot fit a channel normalizer on an empty data set.", nameof(train));

        var means = new double[shape.Channels];
        var scales = new double[shape.Channels];
        var features = train.Features;
        var count = (double)train.Rows * shape.PlaneSize;
        for (var c = 0; c < shape.Channels; c++)
        {
            // Two passes (mean, then squared deviations) rather than E[x²] − E[x]², which cancels badly.
            var sum = 0.0;
            for (var row = 0; row < train.Rows; row++) sum += Sum(Plane(features, shape, row, c));
            means[c] = sum / count;
            var squares = 0.0;
            for (var row = 0; row < train.Rows; row++) squares += SquaredDeviations(Plane(features, shape, row, c), means[c]);
            var std = Math.Sqrt(squares / count);
            scales[c] = std > 0 ? std : 1.0;
        }

        return new ChannelNormalizer(means, scales);
    }

    /// <summary>
    /// A normalized copy of <paramref name="data"/> (labels, image shape and augmentation kept); its
    /// <see cref="DataSet.PaddingValues"/> become the normalized black pixel, so crop padding stays black as in
    /// torchvision, which pads before normalizing.
    /// </summary>
    /// <exception cref="ArgumentException">The data set has no image shape, or another number of channels.</exception>
    public DataSet Apply(DataSet data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var shape = RequireShape(data, nameof(data));
        if (shape.Channels != Channels)
            throw new ArgumentException($"The normalizer has {Channels} channel(s); the data set's images {shape} have {shape.Channels}.", nameof(data));

        var source = data.Features;
        var result = new float[source.Length];
        var padding = new float[Channels];
        for (var c = 0; c < Channels; c++)
        {
            var mean = _means[c];
            var scale = _scales[c];
            padding[c] = (float)((data.PaddingValues[c] - mean) / scale);
            for (var row = 0; row < data.Rows; row++)
            {
                var offset = (row * shape.Channels + c) * shape.PlaneSize;
                for (var i = offset; i < offset + shape.PlaneSize; i++) result[i] = (float)((source[i] - mean) / scale);
            }
        }

        return data.WithFeatures(result, data.Image!.WithPaddingValues(padding));
    }

    private static ImageShape RequireShape(DataSet data, string parameter) =>
        data.ImageShape ?? throw new ArgumentException(
            $"Channel normalization needs image rows, but this data set of {data.Columns} columns has no image shape: LoadIdx sets one, or call WithImageShape first.",
            parameter);

    private static ReadOnlySpan<float> Plane(ReadOnlySpan<float> features, ImageShape shape, int row, int channel) =>
        features.Slice((row * shape.Channels + channel) * shape.PlaneSize, shape.PlaneSize);

    private static double Sum(ReadOnlySpan<float> values)
    {
        var sum = 0.0;
        foreach (var v in values) sum += v;
        return sum;
    }

    private static double SquaredDeviations(ReadOnlySpan<float> values, double mean)
    {
        var sum = 0.0;
        foreach (var v in values)
        {
            var deviation = v - mean;
            sum += deviation * deviation;
        }

        return sum;
    }
}
