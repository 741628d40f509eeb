using DslNet.Kernels.Cpu;

namespace DslNet;

/// <summary>
/// An in-memory table for training: <see cref="Rows"/> × <see cref="Columns"/> fp32 features (row-major) and one
/// fp32 label per row. Mini-batches are gathered into buffers allocated once, so an epoch allocates nothing per
/// batch.
/// </summary>
/// <remarks>Not thread-safe: one enumeration of <see cref="Batches"/> at a time per batch size.</remarks>
public sealed partial class DataSet
{
    private readonly float[] _features;
    private readonly float[] _labels;

    // Reused by every enumeration of Batches: the row order, and the gathered batch for the current batch size.
    private int[]? _order;
    private float[]? _batchFeatures;
    private float[]? _batchLabels;
    private int _batchCapacity;

    private DataSet(float[] features, float[] labels, int columns, IReadOnlyList<string> featureNames, string labelName, ImageRows? image = null)
    {
        _features = features;
        _labels = labels;
        Columns = columns;
        Rows = labels.Length;
        FeatureNames = featureNames;
        LabelName = labelName;
        _image = image;
    }

    public int Rows { get; }
    public int Columns { get; }

    /// <summary>One name per feature column (the CSV header, or x0, x1, … for arrays).</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    public string LabelName { get; }

    /// <summary>All features, row-major: row r is <c>[r·Columns, (r+1)·Columns)</c>.</summary>
    public ReadOnlySpan<float> Features => _features;

    public ReadOnlySpan<float> Labels => _labels;

    public ReadOnlySpan<float> Row(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        return _features.AsSpan(row * Columns, Columns);
    }

    /// <summary>
    /// Wraps existing arrays (not copied: later changes to them show through). <paramref name="features"/> holds
    /// <c>labels.Length × columns</c> values, row-major.
    /// </summary>
    public static DataSet FromArrays(float[] features, float[] labels, int columns, IReadOnlyList<string>? featureNames = null, string labelName = "label")
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        if (features.Length != (long)labels.Length * columns)
            throw new ArgumentException($"{labels.Length} labels with {columns} columns need {(long)labels.Length * columns} feature values; got {features.Length}.", nameof(features));

        var names = featureNames?.ToArray() ?? Enumerable.Range(0, columns).Select(c => $"x{c}").ToArray();
        if (names.Length != columns)
            throw new ArgumentException($"{columns} columns need {columns} feature names; got {names.Length}.", nameof(featureNames));
        foreach (var name in names.Append(labelName))
            if (string.IsNullOrWhiteSpace(name) || name.AsSpan().IndexOfAny(",\r\n") >= 0)
                throw new ArgumentException($"Column name '{name}' is empty or contains a comma or line break.", nameof(featureNames));

        return new DataSet(features, labels, columns, names, labelName);
    }

    /// <summary>
    /// Splits the rows at random (deterministic in <paramref name="seed"/>) into a training and a validation set;
    /// the validation set gets <c>ceil(fraction · Rows)</c> rows, like scikit-learn's <c>train_test_split</c>.
    /// </summary>
    public (DataSet Train, DataSet Validation) Split(double validationFraction, int seed)
    {
        if (!(validationFraction > 0.0 && validationFraction < 1.0))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must lie strictly between 0 and 1.");
        var validationRows = (int)Math.Ceiling(validationFraction * Rows);
        if (validationRows >= Rows)
            throw new ArgumentException($"A validation fraction of {validationFraction} leaves no training rows out of {Rows}.", nameof(validationFraction));

        var order = Enumerable.Range(0, Rows).ToArray();
        Shuffle.Permute(order, seed, stream: -1);
        return (Subset(order.AsSpan(validationRows)), Subset(order.AsSpan(0, validationRows)));
    }

    /// <summary>
    /// A copy of the given rows, in the given order, with the same <see cref="ImageShape"/> and padding values but no
    /// augmentation (so a validation set split off an augmented set is not augmented: augment after splitting).
    /// </summary>
    public DataSet Subset(ReadOnlySpan<int> rows)
    {
        var features = new float[rows.Length * Columns];
        var labels = new float[rows.Length];
        GatherRows(rows, features, labels);
        return new DataSet(features, labels, Columns, FeatureNames, LabelName, _image?.WithoutAugmentation());
    }

    /// <summary>Features and labels of the given rows, in that order (a shuffled batch, a subset).</summary>
    private void GatherRows(ReadOnlySpan<int> rows, Span<float> features, Span<float> labels)
    {
        RowGather.Gather(_features, Columns, rows, features);
        for (var i = 0; i < rows.Length; i++) labels[i] = _labels[rows[i]];
    }

    /// <summary>A data set with the same labels and names and new features (same shape, image or not).</summary>
    internal DataSet WithFeatures(float[] features, ImageRows? image) => new(features, _labels, Columns, FeatureNames, LabelName, image);
}
