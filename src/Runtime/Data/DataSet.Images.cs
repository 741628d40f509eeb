namespace DslNet;

public sealed partial class DataSet
{
    private readonly ImageRows? _image;

    internal ImageRows? Image => _image;

    /// <summary>
    /// The shape of each row as an image, <c>[C, H, W]</c> in NCHW order, or null for a plain table.
    /// <see cref="LoadIdx"/> sets it for IDX images (<c>[1, rows, columns]</c>); <see cref="WithImageShape"/> sets it
    /// for other data.
    /// </summary>
    public ImageShape? ImageShape => _image?.Shape;

    /// <summary>
    /// Per channel, the value a black (zero) pixel of the original images has in <see cref="Features"/>: what crop
    /// padding fills in. 0 for the [0, 1] pixels of <see cref="LoadIdx"/>; <c>(0 − mean) / std</c> after
    /// <see cref="ChannelNormalizer.Apply"/>. Empty for a data set without an image shape.
    /// </summary>
    public IReadOnlyList<float> PaddingValues => _image?.PaddingValues ?? [];

    /// <summary>The augmentation <see cref="Batches(int, bool, int, int, bool)"/> applies, or null.</summary>
    public ImageAugmentation? Augmentation => _image?.Augmentation;

    /// <summary>
    /// The same rows (not copied) read as images of <paramref name="shape"/>, channel-major (NCHW) within a row, as
    /// <c>tensor.view(N, C, H, W)</c> reads them.
    /// </summary>
    /// <exception cref="ArgumentException">The shape's <c>C·H·W</c> differs from <see cref="Columns"/>.</exception>
    public DataSet WithImageShape(ImageShape shape)
    {
        if (shape.Size != Columns)
            throw new ArgumentException(
                $"An image shape {shape} has {shape.Size} values (C·H·W), but the data set's rows have {Columns} columns.", nameof(shape));
        return new DataSet(_features, _labels, Columns, FeatureNames, LabelName, new ImageRows(shape, new float[shape.Channels], null));
    }

    /// <summary>
    /// The same rows (not copied) whose training batches are augmented: each image of a batch gathered by
    /// <see cref="Batches(int, bool, int, int, bool)"/> is cropped and flipped as <paramref name="augmentation"/>
    /// says, deterministically in (seed, epoch, row), into the batch buffer (no allocation per batch).
    /// <see cref="Features"/>, <see cref="Row"/> and <see cref="Subset"/> stay unaugmented, so evaluate on another
    /// data set, or on this one's <see cref="Features"/>. Null removes augmentation.
    /// </summary>
    /// <remarks>PyTorch: <c>transforms.Compose([RandomCrop(size, padding=p), RandomHorizontalFlip(), ToTensor(), Normalize(…)])</c>
    /// on the training set only.</remarks>
    /// <exception cref="InvalidOperationException">The data set has no <see cref="ImageShape"/>.</exception>
    public DataSet WithAugmentation(ImageAugmentation? augmentation)
    {
        var image = _image ?? throw new InvalidOperationException(
            $"Augmentation needs image rows, but this data set of {Columns} columns has no image shape: LoadIdx sets one, or call WithImageShape(new ImageShape(channels, height, width)) first.");
        return new DataSet(_features, _labels, Columns, FeatureNames, LabelName, image with { Augmentation = augmentation });
    }

    /// <summary>
    /// Features and labels of a batch's rows; augmented images when the data set has an augmentation. Augmentation
    /// reads the stored rows and writes the batch buffer directly, so it costs no more memory traffic than the copy.
    /// </summary>
    private void GatherBatch(ReadOnlySpan<int> rows, Span<float> features, Span<float> labels, int seed, int epoch)
    {
        if (_image?.Augmentation is not { } augmentation)
        {
            GatherRows(rows, features, labels);
            return;
        }

        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            augmentation.Apply(_features.AsSpan(row * Columns, Columns), _image.Shape, _image.PaddingValues, seed, epoch, row,
                features.Slice(i * Columns, Columns));
            labels[i] = _labels[row];
        }
    }
}
