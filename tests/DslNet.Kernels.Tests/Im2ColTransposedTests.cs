using DslNet.Kernels.Cpu.Spatial;

namespace DslNet.Kernels.Tests;

/// <summary>The transposed gather of single-channel layers against the transpose of im2col's own gather.</summary>
public sealed unsafe class Im2ColTransposedTests
{
    public static TheoryData<int, int, int, int, int, int, int, int> Geometries() => new()
    {
        // kernel, stride (h, w), padding (h, w), dilation (h, w), height: a first layer's 3×3, a dilated 5×5 whose taps reach
        // past both sides, a row stride of 2 with a column stride of 1, no padding, and a kernel as wide as the padded input.
        { 3, 1, 1, 1, 1, 1, 1, 13 },
        { 5, 1, 1, 2, 2, 2, 2, 11 },
        { 3, 2, 1, 1, 1, 1, 1, 12 },
        { 3, 1, 1, 0, 0, 1, 1, 9 },
        { 3, 1, 1, 0, 1, 1, 3, 8 },
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void IsTheTransposeOfTheGather(int kernel, int strideHeight, int strideWidth, int padHeight, int padWidth, int dilationHeight,
        int dilationWidth, int height)
    {
        var g = new Conv2dGeometry(3, 1, height, 7, 4, kernel, kernel, strideHeight, strideWidth, padHeight, padWidth, dilationHeight,
            dilationWidth);
        Assert.True(g.GathersTransposed);
        var x = TestUtil.Random((int)g.InputLength, 9);
        int k = g.PatchLength;

        // Chunks that start and end inside output rows and run across images.
        foreach (var (first, rows) in new[] { (0, g.OutputPixels), (5, 17), (g.OutWidth - 2, 3 * g.OutWidth + 1) })
        {
            var columns = new float[rows * k + Im2Col.GatherSlack];
            var transposed = Enumerable.Repeat(float.NaN, k * (rows + 3)).ToArray();
            fixed (float* input = x)
            fixed (float* c = columns)
            fixed (float* t = transposed)
            {
                Im2Col.Gather(input, g, first, rows, c);
                Im2Col.GatherTransposed(input, g, first, rows, t, rowStride: rows + 3);
            }

            for (int r = 0; r < rows; r++)
            {
                for (int tap = 0; tap < k; tap++)
                {
                    Assert.Equal(columns[r * k + tap], transposed[tap * (rows + 3) + r]);
                }
            }

            // Nothing is written between one tap's row and the next.
            Assert.All(Enumerable.Range(0, k).SelectMany(tap => Enumerable.Range(rows, 3).Select(r => transposed[tap * (rows + 3) + r])), v => Assert.True(float.IsNaN(v)));
        }
    }

    [Theory]
    [InlineData(3, 1)]
    [InlineData(1, 2)]
    [InlineData(1, 1)]
    public void OnlySingleChannelUnitColumnStrideLayersGatherTransposed(int inChannels, int stride)
    {
        var g = Conv2dGeometry.Square(2, inChannels, 9, 9, 8, 3, stride, 1);
        Assert.Equal(inChannels == 1 && stride == 1, g.GathersTransposed);
        Assert.False(Conv2dGeometry.Square(2, 1, 9, 9, 8, 1).GathersTransposed);   // pointwise: the input rows are the matrix
    }
}
