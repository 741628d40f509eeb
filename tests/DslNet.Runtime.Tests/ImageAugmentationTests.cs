namespace DslNet.Runtime.Tests;

/// <summary>
/// <see cref="ImageAugmentation"/> in <see cref="DataSet.Batches(int, bool, int, int, bool)"/>: exact crops and flips
/// of small images, determinism in (seed, epoch, row), new draws each epoch, no allocation per batch, and the errors.
/// </summary>
public sealed class ImageAugmentationTests
{
    // One 3 × 3 image, pixels 1 … 9 row by row.
    private static readonly float[] Nine = [1, 2, 3, 4, 5, 6, 7, 8, 9];

    [Theory]
    // Offsets (y, x) run 0 … 2·padding: (1, 1) is the uncropped image; the crop reads row y + offsetY − padding.
    [InlineData(1, 1, false, new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 })]
    [InlineData(0, 0, false, new float[] { 0, 0, 0, 0, 1, 2, 0, 4, 5 })]
    [InlineData(2, 2, false, new float[] { 5, 6, 0, 8, 9, 0, 0, 0, 0 })]
    [InlineData(1, 0, false, new float[] { 0, 1, 2, 0, 4, 5, 0, 7, 8 })]
    [InlineData(1, 1, true, new float[] { 3, 2, 1, 6, 5, 4, 9, 8, 7 })]
    // Crop first, then flip (torchvision's order): shifted down by one and left by one, then mirrored.
    [InlineData(0, 2, true, new float[] { 0, 0, 0, 0, 3, 2, 0, 6, 5 })]
    public void Crops_with_zero_padding_and_flips_exactly(int offsetY, int offsetX, bool flip, float[] expected)
    {
        var augmentation = ImageAugmentation.CropAndFlip(cropPadding: 1);
        var seed = SeedDrawing(augmentation, offsetY, offsetX, flip);
        var data = Images(Nine, new ImageShape(1, 3, 3)).WithAugmentation(augmentation);

        var batch = data.Batches(1, shuffle: false, seed: seed).Single();

        Assert.Equal(expected, batch.Features.ToArray());
    }

    [Fact]
    public void Every_channel_gets_the_same_crop_and_its_own_padding_value()
    {
        // Two channels: the first is Nine, the second Nine + 10; normalized so that black is −1 and −2.
        var pixels = Nine.Concat(Nine.Select(v => v + 10)).ToArray();
        var data = Images(pixels, new ImageShape(2, 3, 3));
        var normalizer = ChannelNormalizer.FromStatistics([1.0, 2.0], [1.0, 1.0]);
        var augmentation = ImageAugmentation.CropAndFlip(cropPadding: 1);
        var seed = SeedDrawing(augmentation, 0, 0, false);
        var augmented = normalizer.Apply(data).WithAugmentation(augmentation);

        var batch = augmented.Batches(1, shuffle: false, seed: seed).Single();

        Assert.Equal([-1f, -2f], augmented.PaddingValues);
        Assert.Equal(new float[] { -1, -1, -1, -1, 0, 1, -1, 3, 4, -2, -2, -2, -2, 9, 10, -2, 12, 13 }, batch.Features.ToArray());
    }

    [Fact]
    public void A_crop_of_padding_wider_than_the_image_is_all_padding_or_image()
    {
        var augmentation = new ImageAugmentation { CropPadding = 4 };
        var seed = SeedDrawing(augmentation, 0, 8, false);
        var data = Images(Nine, new ImageShape(1, 3, 3)).WithAugmentation(augmentation);

        Assert.Equal(new float[9], data.Batches(1, shuffle: false, seed: seed).Single().Features.ToArray());
    }

    [Fact]
    public void The_draw_of_an_image_depends_on_seed_epoch_and_row_only()
    {
        var data = NumberedImages(rows: 64, new ImageShape(1, 5, 5)).WithAugmentation(ImageAugmentation.CropAndFlip(2));

        var byRow = ImagesByRow(data, batchSize: 7, shuffle: true, seed: 3, epoch: 1);

        Assert.Equal(byRow, ImagesByRow(data, batchSize: 64, shuffle: false, seed: 3, epoch: 1));
        var shards = Enumerable.Range(0, 2).Select(rank => ImagesByRow(data, 8, true, 3, 1, new DataShard(rank, 2)));
        Assert.Equal(byRow, shards.SelectMany(s => s).OrderBy(p => p.Key).ToDictionary());
        Assert.NotEqual(byRow, ImagesByRow(data, batchSize: 7, shuffle: true, seed: 3, epoch: 2));
        Assert.NotEqual(byRow, ImagesByRow(data, batchSize: 7, shuffle: true, seed: 4, epoch: 1));
    }

    [Fact]
    public void Draws_cover_every_offset_and_flip_about_half_the_images()
    {
        var augmentation = ImageAugmentation.CropAndFlip(cropPadding: 2);
        var draws = Enumerable.Range(0, 5000).Select(row => augmentation.Draw(seed: 1, epoch: 0, row)).ToArray();

        Assert.Equal(Enumerable.Range(0, 5), draws.Select(d => d.OffsetY).Distinct().Order());
        Assert.Equal(Enumerable.Range(0, 5), draws.Select(d => d.OffsetX).Distinct().Order());
        Assert.All(draws.GroupBy(d => d.OffsetX), g => Assert.InRange(g.Count(), 850, 1150));
        Assert.InRange(draws.Count(d => d.Flip), 2300, 2700);
        // Each epoch draws anew: most images move.
        Assert.InRange(Enumerable.Range(0, 5000).Count(row => augmentation.Draw(1, 1, row) == draws[row]), 0, 500);
        Assert.DoesNotContain(draws, d => new ImageAugmentation { CropPadding = 2 }.Draw(1, 0, 0).Flip);
    }

    [Fact]
    public void Stored_rows_and_subsets_stay_unaugmented()
    {
        var data = NumberedImages(rows: 10, new ImageShape(1, 4, 4));
        var augmented = data.WithAugmentation(ImageAugmentation.CropAndFlip(1));

        Assert.Equal(data.Features.ToArray(), augmented.Features.ToArray());
        var subset = augmented.Subset([3, 1]);
        Assert.Null(subset.Augmentation);
        Assert.Equal(new ImageShape(1, 4, 4), subset.ImageShape);
        Assert.Equal(data.Row(3).ToArray(), subset.Batches(2, shuffle: false).First().Features[..16].ToArray());
        Assert.Null(augmented.WithAugmentation(null).Augmentation);
    }

    [Fact]
    public void An_augmented_epoch_allocates_nothing_per_batch()
    {
        var data = NumberedImages(rows: 2048, new ImageShape(3, 8, 8)).WithAugmentation(ImageAugmentation.CropAndFlip(2));
        Drain(data, epoch: 0);   // allocates the buffers once and JIT-compiles the loop
        var before = GC.GetAllocatedBytesForCurrentThread();
        Drain(data, epoch: 1);   // 256 batches
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1024, $"An augmented epoch of 256 batches allocated {allocated} bytes.");
    }

    [Fact]
    public void Augmenting_rows_without_an_image_shape_says_how_to_give_one()
    {
        var table = DataSet.FromArrays(new float[12], new float[2], columns: 6);

        var error = Assert.Throws<InvalidOperationException>(() => table.WithAugmentation(ImageAugmentation.CropAndFlip(1)));

        Assert.Contains("6 columns has no image shape", error.Message);
        Assert.Contains("WithImageShape", error.Message);
    }

    [Fact]
    public void Bad_shapes_and_paddings_are_refused_with_the_numbers()
    {
        var table = DataSet.FromArrays(new float[12], new float[2], columns: 6);

        var mismatch = Assert.Throws<ArgumentException>(() => table.WithImageShape(new ImageShape(1, 2, 2)));
        Assert.Contains("[1, 2, 2] has 4 values", mismatch.Message);
        Assert.Contains("6 columns", mismatch.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageShape(0, 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageShape(1, -2, 3));
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => new ImageAugmentation { CropPadding = -1 });
        Assert.Contains("cannot be negative", negative.Message);
        Assert.Equal(new ImageShape(3, 1, 2), table.WithImageShape(new ImageShape(3, 1, 2)).ImageShape);
    }

    /// <summary>A seed whose draw for (epoch 0, row 0) is the given one: the tests pin results, not the generator's stream.</summary>
    private static int SeedDrawing(ImageAugmentation augmentation, int offsetY, int offsetX, bool flip) =>
        Enumerable.Range(0, 100_000).First(seed => augmentation.Draw(seed, epoch: 0, row: 0) == (offsetY, offsetX, flip));

    private static DataSet Images(float[] pixels, ImageShape shape) =>
        DataSet.FromArrays(pixels, new float[pixels.Length / shape.Size], shape.Size).WithImageShape(shape);

    /// <summary>Row r has label r and pixels r·1000 + i, so every augmented pixel shows where it came from.</summary>
    private static DataSet NumberedImages(int rows, ImageShape shape) =>
        DataSet.FromArrays(
            Enumerable.Range(0, rows * shape.Size).Select(i => (float)(i / shape.Size * 1000 + i % shape.Size + 1)).ToArray(),
            Enumerable.Range(0, rows).Select(r => (float)r).ToArray(),
            shape.Size).WithImageShape(shape);

    private static Dictionary<int, string> ImagesByRow(DataSet data, int batchSize, bool shuffle, int seed, int epoch, DataShard? shard = null)
    {
        var images = new Dictionary<int, string>();
        var batches = shard is { } s ? data.Batches(batchSize, shuffle, seed, epoch, dropLast: false, s) : data.Batches(batchSize, shuffle, seed, epoch);
        foreach (var batch in batches)
            for (var i = 0; i < batch.Count; i++)
                images[(int)batch.Labels[i]] = string.Join(",", batch.Features.Slice(i * data.Columns, data.Columns).ToArray());
        return images;
    }

    private static float Drain(DataSet data, int epoch)
    {
        var sum = 0f;
        foreach (var batch in data.Batches(8, shuffle: true, seed: 3, epoch: epoch))
            sum += batch.Features[0];
        return sum;
    }
}
