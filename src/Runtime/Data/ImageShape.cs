namespace DslNet;

/// <summary>
/// The shape of one image row of a <see cref="DataSet"/>: <see cref="Channels"/> planes of <see cref="Height"/> ×
/// <see cref="Width"/> pixels, stored channel-major like one image of a PyTorch NCHW tensor (feature
/// <c>(c·H + y)·W + x</c> is channel c, row y, column x).
/// </summary>
public readonly record struct ImageShape
{
    public ImageShape(int channels, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if ((long)channels * height * width > int.MaxValue)
            throw new ArgumentException($"An image of {channels} × {height} × {width} values does not fit in one feature row.");
        Channels = channels;
        Height = height;
        Width = width;
    }

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>Values per channel: <c>Height · Width</c>.</summary>
    public int PlaneSize => Height * Width;

    /// <summary>Values per image, the data set's <see cref="DataSet.Columns"/>: <c>Channels · Height · Width</c>.</summary>
    public int Size => Channels * Height * Width;

    /// <summary>As the generator's <c>Summary()</c> writes shapes: <c>[C, H, W]</c>.</summary>
    public override string ToString() => $"[{Channels}, {Height}, {Width}]";
}
