namespace DslNet;

/// <summary>
/// Training-time augmentation of image rows, applied while <see cref="DataSet.Batches(int, bool, int, int, bool)"/>
/// gathers a batch (see <see cref="DataSet.WithAugmentation"/>): torchvision's
/// <c>RandomCrop(size, padding=CropPadding)</c> followed by <c>RandomHorizontalFlip()</c>.
/// </summary>
/// <remarks>
/// The crop offset and the flip of an image depend only on (seed, epoch, row index in the data set), not on the
/// batch size, the shuffled order or the rank of a distributed run: an epoch can be replayed, a run resumed, and
/// every rank of a data-parallel run sees what one process would. Pixels shifted in from outside the image take the
/// data set's <see cref="DataSet.PaddingValues"/>: a black pixel of the original images, as torchvision pads the
/// image before <c>ToTensor</c> and <c>Normalize</c>.
/// </remarks>
public sealed record ImageAugmentation
{
    private readonly int _cropPadding;

    /// <summary>
    /// Pixels of padding on each side before a crop of the original size is taken at a uniformly random offset
    /// (0 to 2·CropPadding on each axis): a random shift by up to CropPadding pixels. 0 turns cropping off.
    /// </summary>
    public int CropPadding
    {
        get => _cropPadding;
        init
        {
            if (value < 0)
                throw new ArgumentOutOfRangeException(nameof(CropPadding), value, "The crop padding cannot be negative (0 turns cropping off).");
            _cropPadding = value;
        }
    }

    /// <summary>Mirror each image left to right with probability ½.</summary>
    public bool HorizontalFlip { get; init; }

    /// <summary>The usual CIFAR/Fashion-MNIST recipe: pad 4 (or 2 for 28 × 28 images) and crop, then flip.</summary>
    public static ImageAugmentation CropAndFlip(int cropPadding) => new() { CropPadding = cropPadding, HorizontalFlip = true };

    /// <summary>The crop offset (0 … 2·CropPadding on each axis) and the flip of one image in one epoch.</summary>
    public (int OffsetY, int OffsetX, bool Flip) Draw(int seed, int epoch, int row)
    {
        var state = Shuffle.Mix(Shuffle.Mix(((ulong)(uint)seed << 32) | (uint)epoch) ^ ((ulong)(uint)row * 0x9E3779B97F4A7C15UL));
        var choices = (ulong)(2 * CropPadding + 1);
        var offsetY = (int)Math.BigMul(Shuffle.Mix(state + 1), choices, out _);
        var offsetX = (int)Math.BigMul(Shuffle.Mix(state + 2), choices, out _);
        var flip = HorizontalFlip && (Shuffle.Mix(state + 3) >> 63) != 0;
        return (offsetY, offsetX, flip);
    }

    /// <summary>Writes the augmented image <paramref name="source"/> into <paramref name="destination"/> (same shape).</summary>
    internal void Apply(ReadOnlySpan<float> source, ImageShape shape, ReadOnlySpan<float> paddingValues, int seed, int epoch, int row,
        Span<float> destination)
    {
        var (offsetY, offsetX, flip) = Draw(seed, epoch, row);
        var shiftY = offsetY - CropPadding;   // output row y reads source row y + shiftY
        var shiftX = offsetX - CropPadding;
        var height = shape.Height;
        var width = shape.Width;
        for (var c = 0; c < shape.Channels; c++)
        {
            var fill = paddingValues[c];
            var plane = source.Slice(c * shape.PlaneSize, shape.PlaneSize);
            var target = destination.Slice(c * shape.PlaneSize, shape.PlaneSize);
            for (var y = 0; y < height; y++)
            {
                var line = target.Slice(y * width, width);
                var sourceY = y + shiftY;
                if ((uint)sourceY >= (uint)height)
                {
                    line.Fill(fill);
                    continue;
                }

                CopyShiftedLine(plane.Slice(sourceY * width, width), shiftX, flip, fill, line);
            }
        }
    }

    /// <summary>
    /// <c>line[x] = source[x + shift]</c> (the crop), read from the mirrored position <c>W − 1 − x</c> when flipped
    /// (the flip follows the crop, as in torchvision's Compose), and the fill where that falls outside the image.
    /// </summary>
    private static void CopyShiftedLine(ReadOnlySpan<float> source, int shift, bool flip, float fill, Span<float> line)
    {
        var width = line.Length;
        if (!flip)
        {
            var first = Math.Clamp(-shift, 0, width);                 // first output column inside the image
            var last = Math.Clamp(width - shift, first, width);      // one past the last
            line[..first].Fill(fill);
            source.Slice(first + shift, last - first).CopyTo(line[first..last]);
            line[last..].Fill(fill);
            return;
        }

        for (var x = 0; x < width; x++)
        {
            var sourceX = width - 1 - x + shift;
            line[x] = (uint)sourceX < (uint)width ? source[sourceX] : fill;
        }
    }
}
