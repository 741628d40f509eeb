using System.Globalization;

namespace DslNet.Samples.FashionMnist;

/// <summary>An input the sample cannot use: the data files are missing or unreadable.</summary>
public sealed class FashionInputException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Fashion-MNIST from its four IDX files: normalized per channel with the training images' statistics (torchvision's
/// <c>Normalize((0.2860,), (0.3530,))</c>), the training images optionally augmented (random crop with 2 pixels of
/// padding, horizontal flip) as they are batched.
/// </summary>
public static class FashionData
{
    public const string TrainImages = "train-images-idx3-ubyte.gz";
    public const string TrainLabels = "train-labels-idx1-ubyte.gz";
    public const string TestImages = "t10k-images-idx3-ubyte.gz";
    public const string TestLabels = "t10k-labels-idx1-ubyte.gz";

    public static readonly string[] ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <exception cref="FashionInputException">A file is missing (the message says how to install them) or malformed.</exception>
    public static (DataSet Train, DataSet Test, ChannelNormalizer Normalizer) Load(FashionOptions options, TextWriter log)
    {
        var directory = options.DataDirectory;
        var missing = new[] { TrainImages, TrainLabels, TestImages, TestLabels }.Where(f => !File.Exists(Path.Combine(directory, f))).ToArray();
        if (missing.Length > 0)
            throw new FashionInputException(
                $"Fashion-MNIST is not in {directory} (missing {string.Join(", ", missing)}). Install it with: sudo apt-get install dataset-fashion-mnist" +
                (directory == FashionOptions.DefaultDataDirectory ? "" : $" (then pass --data {FashionOptions.DefaultDataDirectory})"));

        DataSet train, test;
        try
        {
            train = DataSet.LoadIdx(Path.Combine(directory, TrainImages), Path.Combine(directory, TrainLabels), options.MaxRows);
            test = DataSet.LoadIdx(Path.Combine(directory, TestImages), Path.Combine(directory, TestLabels), options.MaxRows);
        }
        catch (DataFormatException e)
        {
            throw new FashionInputException($"cannot read Fashion-MNIST: {e.Message}", e);
        }

        if (train.ImageShape != new ImageShape(1, 28, 28) || test.ImageShape != train.ImageShape)
            throw new FashionInputException($"expected 28 × 28 grayscale images; the files hold {train.ImageShape} and {test.ImageShape}.");

        var normalizer = ChannelNormalizer.Fit(train);
        train = normalizer.Apply(train);
        test = normalizer.Apply(test);
        if (options.Augment) train = train.WithAugmentation(ImageAugmentation.CropAndFlip(options.CropPadding));

        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"data: {directory}: {train.Rows} training and {test.Rows} test images {train.ImageShape}, normalized with mean {normalizer.Means[0]:F4} and std {normalizer.Scales[0]:F4} (training images)"));
        log.WriteLine(options.Augment
            ? (options.CropPadding > 0 ? $"augmentation: random crop (padding {options.CropPadding}) and horizontal flip" : "augmentation: horizontal flip")
              + " of the training images, drawn per (seed, epoch, image)"
            : "augmentation: none");
        return (train, test, normalizer);
    }
}
