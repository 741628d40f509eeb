namespace DslNet.Runtime.Tests;

/// <summary>Image shapes on data sets (from IDX files and declared) and <see cref="ChannelNormalizer"/>.</summary>
public sealed class ImageDataTests
{
    [Fact]
    public void Idx_images_are_one_channel_images()
    {
        using var images = new TempFile();
        using var labels = new TempFile();
        DataSetIdxTests.WriteIdx(images.Path, [2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], gzip: true);
        DataSetIdxTests.WriteIdx(labels.Path, [2], [1, 0], gzip: true);

        var data = DataSet.LoadIdx(images.Path, labels.Path);

        Assert.Equal(new ImageShape(1, 2, 3), data.ImageShape);
        Assert.Equal("[1, 2, 3]", data.ImageShape.ToString());
        Assert.Equal([0f], data.PaddingValues);
        Assert.Null(data.Augmentation);
    }

    [Fact]
    public void Idx_files_of_other_ranks_have_no_image_shape()
    {
        using var images = new TempFile();
        using var labels = new TempFile();
        DataSetIdxTests.WriteIdx(images.Path, [2, 3], [0, 1, 2, 3, 4, 5], gzip: false);
        DataSetIdxTests.WriteIdx(labels.Path, [2], [1, 0], gzip: false);

        Assert.Null(DataSet.LoadIdx(images.Path, labels.Path).ImageShape);
    }

    [Fact]
    public void Channel_statistics_cover_every_pixel_of_a_channel_on_the_training_set_only()
    {
        // Two images of two channels of two pixels: channel 0 holds 1, 3 | 5, 7; channel 1 holds 10, 10 | 10, 10.
        var train = DataSet.FromArrays([1, 3, 10, 10, 5, 7, 10, 10], [0, 1], columns: 4).WithImageShape(new ImageShape(2, 1, 2));
        var test = DataSet.FromArrays([4, 8, 12, 10], [1], columns: 4).WithImageShape(new ImageShape(2, 2, 1));

        var normalizer = ChannelNormalizer.Fit(train);
        var normalized = normalizer.Apply(test);

        Assert.Equal([4.0, 10.0], normalizer.Means);
        Assert.Equal([Math.Sqrt(5), 1.0], normalizer.Scales);   // population std; a constant channel keeps scale 1
        Assert.Equal(new[] { 0f, (float)(4 / Math.Sqrt(5)), 2f, 0f }, normalized.Features.ToArray());
        Assert.Equal(new[] { (float)(-4 / Math.Sqrt(5)), -10f }, normalized.PaddingValues);
        Assert.Equal(new ImageShape(2, 2, 1), normalized.ImageShape);
        Assert.Equal(test.Labels.ToArray(), normalized.Labels.ToArray());
    }

    [Fact]
    public void Normalizing_keeps_the_augmentation()
    {
        var data = DataSet.FromArrays(new float[8], [0, 1], columns: 4).WithImageShape(new ImageShape(1, 2, 2))
            .WithAugmentation(ImageAugmentation.CropAndFlip(1));

        Assert.Equal(ImageAugmentation.CropAndFlip(1), ChannelNormalizer.FromStatistics([0.5], [0.5]).Apply(data).Augmentation);
    }

    [Fact]
    public void Normalizer_errors_name_what_is_wrong()
    {
        var table = DataSet.FromArrays(new float[4], [0, 1], columns: 2);
        var rgb = DataSet.FromArrays(new float[6], [0, 1], columns: 3).WithImageShape(new ImageShape(3, 1, 1));
        var gray = ChannelNormalizer.FromStatistics([0.286], [0.353]);

        Assert.Contains("no image shape", Assert.Throws<ArgumentException>(() => ChannelNormalizer.Fit(table)).Message);
        Assert.Contains("no image shape", Assert.Throws<ArgumentException>(() => gray.Apply(table)).Message);
        Assert.Contains("1 channel(s); the data set's images [3, 1, 1] have 3", Assert.Throws<ArgumentException>(() => gray.Apply(rgb)).Message);
        Assert.Contains("2 means and 1 deviations", Assert.Throws<ArgumentException>(() => ChannelNormalizer.FromStatistics([0, 0], [1])).Message);
        Assert.Contains("Channel 1", Assert.Throws<ArgumentOutOfRangeException>(() => ChannelNormalizer.FromStatistics([0, 0], [1, 0])).Message);
        Assert.Throws<ArgumentException>(() => ChannelNormalizer.Fit(rgb.Subset([])));
    }

    [Fact]
    public void Fashion_mnist_statistics_are_the_published_ones()
    {
        var folder = DataSetIdxTests.FashionMnistFolder;
        var train = DataSet.LoadIdx(Path.Combine(folder, "train-images-idx3-ubyte.gz"), Path.Combine(folder, "train-labels-idx1-ubyte.gz"));

        var normalizer = ChannelNormalizer.Fit(train);

        // The values torchvision users write for Fashion-MNIST: Normalize((0.2860,), (0.3530,)).
        Assert.Equal(0.2860, normalizer.Means[0], 4);
        Assert.Equal(0.3530, normalizer.Scales[0], 4);
    }
}
