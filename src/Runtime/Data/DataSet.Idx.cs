using System.Buffers.Binary;
using System.IO.Compression;

namespace DslNet;

public sealed partial class DataSet
{
    private const int IdxUnsignedByte = 0x08;

    /// <summary>
    /// Reads an image set in the IDX format of MNIST and Fashion-MNIST (gzip-compressed or not: the gzip magic
    /// decides): an images file of unsigned bytes shaped [N, rows, columns] (any number of dimensions after the
    /// first) and a labels file of unsigned bytes shaped [N]. Pixels become features scaled to [0, 1] (÷ 255),
    /// row-major per image; labels become floats (class indices, as <see cref="Loss.CrossEntropy"/> wants). Images of
    /// three dimensions ([N, rows, columns]) get the <see cref="ImageShape"/> <c>[1, rows, columns]</c>.
    /// </summary>
    /// <param name="maxRows">Read only the first <paramref name="maxRows"/> images and labels (null: all); the rest of
    /// the files is not decompressed.</param>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="DataFormatException">A file is not IDX (bad magic), holds another element type than unsigned
    /// bytes, has the wrong number of dimensions, ends before its header says it should, or the two files disagree on
    /// the number of items; the message names the file and the byte offset.</exception>
    /// <example><code>
    /// var train = DataSet.LoadIdx("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
    ///                             "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz");
    /// </code></example>
    public static DataSet LoadIdx(string imagesPath, string labelsPath, int? maxRows = null)
    {
        ArgumentNullException.ThrowIfNull(imagesPath);
        ArgumentNullException.ThrowIfNull(labelsPath);
        if (maxRows is < 0) throw new ArgumentOutOfRangeException(nameof(maxRows), maxRows, "The row limit cannot be negative.");

        using var images = OpenIdx(imagesPath, out var imageShape);
        using var labels = OpenIdx(labelsPath, out var labelShape);
        if (imageShape.Length < 2)
            throw new DataFormatException(imagesPath, 3, $"an images file needs at least 2 dimensions (count, pixels…); it has {imageShape.Length}.");
        if (labelShape.Length != 1)
            throw new DataFormatException(labelsPath, 3, $"a labels file has 1 dimension (count); it has {labelShape.Length}.");
        if (imageShape[0] != labelShape[0])
            throw new DataFormatException(labelsPath, 4,
                $"it holds {labelShape[0]} labels, but {imagesPath} holds {imageShape[0]} images.");

        long pixels = 1;
        for (var d = 1; d < imageShape.Length; d++) pixels *= imageShape[d];
        if (pixels is 0 or > int.MaxValue)
            throw new DataFormatException(imagesPath, 4, $"an image of {string.Join(" × ", imageShape.Skip(1))} pixels cannot be a feature row.");
        var columns = (int)pixels;
        var rows = Math.Min(imageShape[0], maxRows ?? int.MaxValue);
        if ((long)rows * columns > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(maxRows), $"{rows} images of {columns} pixels exceed the largest array; pass a smaller maxRows.");

        var features = new float[rows * columns];
        var buffer = new byte[columns];
        var imageHeader = 4 + 4L * imageShape.Length;
        for (var row = 0; row < rows; row++)
        {
            ReadIdxData(images, buffer, imagesPath, imageHeader + (long)row * columns, imageShape[0], row, columns);
            var target = features.AsSpan(row * columns, columns);
            for (var i = 0; i < columns; i++) target[i] = buffer[i] / 255f;   // as torchvision's ToTensor
        }

        var labelBytes = new byte[rows];
        ReadIdxData(labels, labelBytes, labelsPath, 8, labelShape[0], 0, 1);
        var labelValues = new float[rows];
        for (var row = 0; row < rows; row++) labelValues[row] = labelBytes[row];

        var names = imageShape.Length == 3
            ? Enumerable.Range(0, columns).Select(i => $"px{i / imageShape[2]}_{i % imageShape[2]}").ToArray()
            : Enumerable.Range(0, columns).Select(i => $"x{i}").ToArray();
        // A file of [N, rows, columns] holds grayscale images: one channel, as torchvision's ToTensor gives [1, H, W].
        var image = imageShape.Length == 3
            ? new ImageRows(new ImageShape(1, imageShape[1], imageShape[2]), [0f], null)
            : null;
        return new DataSet(features, labelValues, columns, names, "label", image);
    }

    /// <summary>Opens a (possibly gzip-compressed) IDX file and reads its header: the magic and the dimensions.</summary>
    private static Stream OpenIdx(string path, out int[] shape)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No IDX file at '{path}'.", path);
        Stream stream = File.OpenRead(path);
        try
        {
            var magic = new byte[2];
            var read = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            stream.Position = 0;
            if (read == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
                stream = new BufferedStream(new GZipStream(stream, CompressionMode.Decompress), 1 << 16);

            var header = new byte[4];
            ReadHeader(stream, header, path, 0, "the 4-byte magic number");
            if (header[0] != 0 || header[1] != 0)
                throw new DataFormatException(path, 0,
                    $"not an IDX file: it starts with 0x{header[0]:X2} 0x{header[1]:X2}, where IDX has two zero bytes (then the element type and the number of dimensions).");
            if (header[2] != IdxUnsignedByte)
                throw new DataFormatException(path, 2,
                    $"element type 0x{header[2]:X2} ({IdxTypeName(header[2])}); only unsigned bytes (0x08), as in MNIST and Fashion-MNIST, are supported.");
            var dimensions = header[3];
            if (dimensions == 0)
                throw new DataFormatException(path, 3, "the file declares 0 dimensions.");

            shape = new int[dimensions];
            for (var d = 0; d < dimensions; d++)
            {
                ReadHeader(stream, header, path, 4 + 4L * d, $"the size of dimension {d}");
                var size = BinaryPrimitives.ReadInt32BigEndian(header);
                if (size < 0)
                    throw new DataFormatException(path, 4 + 4L * d, $"dimension {d} has the negative size {size}.");
                shape[d] = size;
            }
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static void ReadHeader(Stream stream, byte[] buffer, string path, long offset, string what)
    {
        if (stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) < buffer.Length)
            throw new DataFormatException(path, offset, $"the file ends inside its header, before {what}.");
    }

    /// <summary>Fills <paramref name="buffer"/> with items <paramref name="firstItem"/>… of <paramref name="itemBytes"/> bytes each.</summary>
    private static void ReadIdxData(Stream stream, byte[] buffer, string path, long offset, int items, int firstItem, int itemBytes)
    {
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (read < buffer.Length)
            throw new DataFormatException(path, offset + read,
                $"the file ends early: its header declares {items} items, but the data stops at item {firstItem + read / itemBytes} (0-based).");
    }

    private static string IdxTypeName(byte type) => type switch
    {
        0x09 => "signed bytes",
        0x0B => "16-bit integers",
        0x0C => "32-bit integers",
        0x0D => "32-bit floats",
        0x0E => "64-bit floats",
        _ => "not an IDX type",
    };
}
