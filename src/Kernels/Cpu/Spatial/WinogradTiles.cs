using System.Runtime.CompilerServices;

namespace DslNet.Kernels.Cpu.Spatial;

/// <summary>
/// How one stride-1 3×3 correlation splits into Winograd tiles: 2×2 output pixels per tile, whole rows of tiles of one
/// image per band (a task), and a band's transformed tiles laid out point by point ([16][tiles][channels]) so each
/// point's tiles × channels matrix is one GEMM operand. For the input gradient the same shape describes the transposed
/// convolution: the output gradient correlated with the flipped kernel, padded by 2 − padding.
/// </summary>
internal readonly record struct WinogradTiles
{
    /// <summary>Floats of transformed tiles (both operands of a point's GEMM, all sixteen points) that a band, or a
    /// weight-gradient task, holds at most: about L2's size. A band is whole tile rows at least.</summary>
    public const int WorkingSetFloats = 256 * 1024;

    public WinogradTiles(int batch, int inChannels, int height, int width, int outChannels, int outHeight, int outWidth, int padHeight, int padWidth)
    {
        Batch = batch;
        InChannels = inChannels;
        Height = height;
        Width = width;
        OutChannels = outChannels;
        OutHeight = outHeight;
        OutWidth = outWidth;
        PadHeight = padHeight;
        PadWidth = padWidth;
        TilesHigh = (outHeight + 1) / 2;
        TilesWide = (outWidth + 1) / 2;
        int rowFloats = WinogradTransforms.Points * TilesWide * (inChannels + outChannels);
        int rowsThatFit = Math.Max(1, WorkingSetFloats / rowFloats);
        int bands = (TilesHigh + rowsThatFit - 1) / rowsThatFit;
        BandTileRows = (TilesHigh + bands - 1) / bands;
        BandsPerImage = (TilesHigh + BandTileRows - 1) / BandTileRows;
        int mr = Gemm.Tile.Mr;
        BandTileCapacity = (BandTileRows * TilesWide + mr - 1) / mr * mr;
    }

    /// <summary>The forward convolution's tiles.</summary>
    public static WinogradTiles Forward(in Conv2dGeometry g) =>
        new(g.Batch, g.InChannels, g.Height, g.Width, g.OutChannels, g.OutHeight, g.OutWidth, g.PadHeight, g.PadWidth);

    /// <summary>The input gradient's tiles: from the output gradient [OH, OW, C_out] to [H, W, C_in].</summary>
    public static WinogradTiles InputGradient(in Conv2dGeometry g) =>
        new(g.Batch, g.OutChannels, g.OutHeight, g.OutWidth, g.InChannels, g.Height, g.Width, 2 - g.PadHeight, 2 - g.PadWidth);

    public int Batch { get; }
    public int InChannels { get; }
    public int Height { get; }
    public int Width { get; }
    public int OutChannels { get; }
    public int OutHeight { get; }
    public int OutWidth { get; }
    public int PadHeight { get; }
    public int PadWidth { get; }
    public int TilesHigh { get; }
    public int TilesWide { get; }
    public int BandTileRows { get; }
    public int BandsPerImage { get; }

    /// <summary>Tiles a band's transformed matrices hold: its tiles rounded up to whole GEMM micro-rows (zero tiles past
    /// the last), so no GEMM ends in a partial register tile.</summary>
    public int BandTileCapacity { get; }

    public int Bands => Batch * BandsPerImage;

    /// <summary>Floats of one point's transformed input (tiles × C_in) and output (tiles × C_out) in a band.</summary>
    public long InputPointStride => (long)BandTileCapacity * InChannels;

    public long OutputPointStride => (long)BandTileCapacity * OutChannels;

    /// <summary>The image, first tile row and tile-row count of a band.</summary>
    public (int Image, int FirstTileRow, int TileRows) Band(int band)
    {
        int image = band / BandsPerImage, first = band % BandsPerImage * BandTileRows;
        return (image, first, Math.Min(BandTileRows, TilesHigh - first));
    }

    /// <summary>The 4×4 input pixels of tile (tileRow, tileColumn) of one image as pointers to their channels, the zero
    /// row for a pixel in the padding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public unsafe void InputPixels(float* image, int tileRow, int tileColumn, float* zeros, float** pixels)
    {
        int row0 = 2 * tileRow - PadHeight, column0 = 2 * tileColumn - PadWidth;
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                int row = row0 + i, column = column0 + j;
                bool inside = (uint)row < (uint)Height && (uint)column < (uint)Width;
                pixels[4 * i + j] = inside ? image + ((long)row * Width + column) * InChannels : zeros;
            }
        }
    }

    /// <summary>The 2×2 output pixels of a tile as pointers to their channels; outside the output: <paramref name="outside"/>
    /// (null for the forward's stores, the zero row for reading an output gradient).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public unsafe void OutputPixels(float* image, int tileRow, int tileColumn, float* outside, float** pixels)
    {
        for (int i = 0; i < 2; i++)
        {
            for (int j = 0; j < 2; j++)
            {
                int row = 2 * tileRow + i, column = 2 * tileColumn + j;
                bool inside = row < OutHeight && column < OutWidth;
                pixels[2 * i + j] = inside ? image + ((long)row * OutWidth + column) * OutChannels : outside;
            }
        }
    }
}
