using System.Buffers.Binary;
using System.IO.Compression;

namespace DslNet.Runtime.Tests;

/// <summary>
/// <see cref="DataSet.LoadIdx"/>: small IDX files written here (raw and gzip), the errors for broken files, and the real
/// Fashion-MNIST files at the path Debian's <c>dataset-fashion-mnist</c> installs them to.
/// </summary>
public sealed class DataSetIdxTests
{
    public const string FashionMnistFolder = "/usr/share/datasets/fashion-mnist";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_pixels_scaled_to_unit_range_and_labels_as_floats(bool gzip)
    {
        using var images = new TempFile();
        using var labels = new TempFile();
        // Three 2 × 2 images.
        WriteIdx(images.Path, [3, 2, 2], [0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0], gzip);
        WriteIdx(labels.Path, [3], [7, 0, 9], gzip);

        var data = DataSet.LoadIdx(images.Path, labels.Path);

        Assert.Equal(3, data.Rows);
        Assert.Equal(4, data.Columns);
        Assert.Equal([0f, 1f, 0.2f, 0.4f], data.Row(0).ToArray());
        Assert.Equal(4f / 255f, data.Row(1)[3]);
        Assert.Equal([7f, 0f, 9f], data.Labels.ToArray());
        Assert.Equal("px0_1", data.FeatureNames[1]);
        Assert.Equal("px1_0", data.FeatureNames[2]);
    }

    [Fact]
    public void Max_rows_reads_the_first_rows_only()
    {
        using var images = new TempFile();
        using var labels = new TempFile();
        WriteIdx(images.Path, [3, 1, 2], [1, 2, 3, 4, 5, 6], gzip: true);
        WriteIdx(labels.Path, [3], [4, 5, 6], gzip: true);

        var data = DataSet.LoadIdx(images.Path, labels.Path, maxRows: 2);

        Assert.Equal(2, data.Rows);
        Assert.Equal(3f / 255f, data.Row(1)[0]);
        Assert.Equal([4f, 5f], data.Labels.ToArray());
    }

    [Fact]
    public void A_file_that_is_not_idx_is_refused_with_its_name()
    {
        using var images = new TempFile("label,x\n1,2\n");
        using var labels = new TempFile();
        WriteIdx(labels.Path, [1], [0], gzip: false);

        var error = Assert.Throws<DataFormatException>(() => DataSet.LoadIdx(images.Path, labels.Path));

        Assert.Contains(images.Path, error.Message);
        Assert.Contains("not an IDX file", error.Message);
        Assert.Equal(0, error.ByteOffset);
    }

    [Fact]
    public void Another_element_type_is_refused()
    {
        using var images = new TempFile();
        using var labels = new TempFile();
        var bytes = IdxBytes([1, 1, 1], [0]);
        bytes[2] = 0x0D;
        File.WriteAllBytes(images.Path, [.. bytes, 0, 0, 0]);
        WriteIdx(labels.Path, [1], [0], gzip: false);

        var error = Assert.Throws<DataFormatException>(() => DataSet.LoadIdx(images.Path, labels.Path));

        Assert.Contains("0x0D (32-bit floats)", error.Message);
        Assert.Equal(2, error.ByteOffset);
    }

    [Fact]
    public void A_truncated_file_names_the_item_where_the_data_stops()
    {
        using var images = new TempFile();
        using var labels = new TempFile();
        var bytes = IdxBytes([3, 2, 2], new byte[12]);
        File.WriteAllBytes(images.Path, bytes[..^5]);   // image 1 keeps 3 of its 4 bytes, image 2 is gone
        WriteIdx(labels.Path, [3], [0, 1, 2], gzip: false);

        var error = Assert.Throws<DataFormatException>(() => DataSet.LoadIdx(images.Path, labels.Path));

        Assert.Contains(images.Path, error.Message);
        Assert.Contains("declares 3 items", error.Message);
        Assert.Contains("item 1 ", error.Message);
        Assert.Equal(16 + 7, error.ByteOffset);
    }

    [Fact]
    public void Image_and_label_counts_must_agree()
    {
        using var images = new TempFile();
        using var labels = new TempFile();
        WriteIdx(images.Path, [2, 1, 1], [1, 2], gzip: false);
        WriteIdx(labels.Path, [3], [0, 1, 2], gzip: false);

        var error = Assert.Throws<DataFormatException>(() => DataSet.LoadIdx(images.Path, labels.Path));

        Assert.Contains("3 labels", error.Message);
        Assert.Contains("2 images", error.Message);
    }

    [Fact]
    public void Labels_with_two_dimensions_and_images_with_one_are_refused()
    {
        using var images = new TempFile();
        using var labels = new TempFile();
        WriteIdx(images.Path, [2], [1, 2], gzip: false);
        WriteIdx(labels.Path, [2], [0, 1], gzip: false);
        Assert.Contains("at least 2 dimensions", Assert.Throws<DataFormatException>(() => DataSet.LoadIdx(images.Path, labels.Path)).Message);

        WriteIdx(images.Path, [2, 1], [1, 2], gzip: false);
        WriteIdx(labels.Path, [2, 1], [0, 1], gzip: false);
        Assert.Contains("1 dimension", Assert.Throws<DataFormatException>(() => DataSet.LoadIdx(images.Path, labels.Path)).Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"dslnet-missing-{Guid.NewGuid():N}.gz");

        var error = Assert.Throws<FileNotFoundException>(() => DataSet.LoadIdx(missing, missing));

        Assert.Contains(missing, error.Message);
    }

    [Fact]
    public void Reads_Debian_fashion_mnist()
    {
        var images = Path.Combine(FashionMnistFolder, "train-images-idx3-ubyte.gz");
        var labels = Path.Combine(FashionMnistFolder, "train-labels-idx1-ubyte.gz");
        Assert.True(File.Exists(images), $"{images} is missing: install Debian's dataset-fashion-mnist (.ci/run does).");

        var data = DataSet.LoadIdx(images, labels, maxRows: 1000);
        var test = DataSet.LoadIdx(Path.Combine(FashionMnistFolder, "t10k-images-idx3-ubyte.gz"), Path.Combine(FashionMnistFolder, "t10k-labels-idx1-ubyte.gz"));

        Assert.Equal(784, data.Columns);
        Assert.Equal(1000, data.Rows);
        Assert.Equal(10_000, test.Rows);
        // The first training image is an ankle boot (class 9) whose pixels sum to 76,247 / 255 (checked with Python's gzip).
        Assert.Equal([9f, 0f, 0f, 3f, 0f, 2f, 7f, 2f, 5f, 5f], data.Labels[..10].ToArray());
        Assert.Equal(76247 / 255.0, data.Row(0).ToArray().Sum(v => (double)v), 3);
        Assert.All(test.Labels.ToArray(), label => Assert.InRange(label, 0f, 9f));
        Assert.Equal(1f, data.Features.ToArray().Max());
    }

    internal static void WriteIdx(string path, int[] shape, byte[] data, bool gzip)
    {
        var bytes = IdxBytes(shape, data);
        if (!gzip)
        {
            File.WriteAllBytes(path, bytes);
            return;
        }
        using var file = File.Create(path);
        using var compressed = new GZipStream(file, CompressionLevel.Fastest);
        compressed.Write(bytes);
    }

    private static byte[] IdxBytes(int[] shape, byte[] data)
    {
        var bytes = new byte[4 + 4 * shape.Length + data.Length];
        bytes[2] = 0x08;
        bytes[3] = (byte)shape.Length;
        for (var d = 0; d < shape.Length; d++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), shape[d]);
        data.CopyTo(bytes, 4 + 4 * shape.Length);
        return bytes;
    }
}
