using DslNet.Kernels.Cpu;
using DslNet.Kernels.Cpu.Spatial;

namespace DslNet.Kernels.Tests;

/// <summary>The Winograd F(2×2, 3×3) path of stride-1 3×3 convolutions against the definition and the im2col path.</summary>
public sealed class WinogradConv2dTests
{
    public static TheoryData<int, int, int, int, int, int> Shapes() => new()
    {
        // batch, cin, cout, height, width, padding: odd outputs (tiles hanging over the last row and column), a 7×7
        // stage (4×4 tiles), no padding, padding 2 (the input gradient's transposed padding 0), weight-gradient tasks of
        // several images, and a large image split into five bands of tile rows.
        { 3, 16, 16, 15, 13, 1 },
        { 2, 32, 64, 14, 14, 1 },
        { 3, 16, 24, 7, 7, 1 },
        { 2, 24, 16, 9, 10, 0 },
        { 2, 16, 32, 8, 11, 2 },
        { 12, 16, 16, 8, 8, 1 },
        { 1, 16, 16, 100, 98, 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesTheDefinition(int batch, int cin, int cout, int height, int width, int padding)
    {
        var g = Conv2dGeometry.Square(batch, cin, height, width, cout, 3, 1, padding);
        Assert.True(g.RunsWinograd);
        var x = TestUtil.Random((int)g.InputLength, 1);
        var w = TestUtil.Random(g.WeightLength, 2, 0.3f);
        var b = TestUtil.Random(cout, 3);
        var dy = TestUtil.Random((int)g.OutputLength, 4);
        foreach (int threads in new[] { 1, 2 })
        {
            var (pre, output, dx, dw, db) = RunAll(g, x, w, b, dy, threads);
            var (y, ex, ew, eb) = NaiveConv.Run(g, x, w, b, dy);
            TestUtil.Close(y, pre, 1e-5, 1e-5, "y");
            TestUtil.Close(y.Select(v => Math.Tanh(v)).ToArray(), output, 1e-5, 1e-5, "tanh(y)");
            TestUtil.Close(ex, dx, 1e-5, 1e-5, "dx");
            TestUtil.Close(ew, dw, 1e-5, 1e-4, "dw");
            TestUtil.Close(eb, db, 1e-5, 1e-5, "db");
        }
    }

    /// <summary>Data shaped like a training step's: the input a ReLU of positive per-channel offsets, the output gradient
    /// small and centred per channel as BatchNorm's backward leaves it, so each weight gradient is a small difference of
    /// large sums. Winograd's transforms lose no more to that cancellation than im2col (measured 1.6–2.1x im2col's
    /// normwise error from 32 to 128 channels, both below 5e-7).</summary>
    [Fact]
    public void LosesNoMoreThanIm2ColOnBatchNormLikeGradients()
    {
        var g = Conv2dGeometry.Square(16, 32, 14, 14, 32, 3, 1, 1);
        var random = new Random(3);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var channelMeans = Enumerable.Range(0, g.InChannels).Select(_ => random.NextDouble()).ToArray();
        var x = Enumerable.Range(0, (int)g.InputLength).Select(i => (float)Math.Max(0, channelMeans[i % g.InChannels] + Normal())).ToArray();
        var dy = Enumerable.Range(0, (int)g.OutputLength).Select(_ => (float)(1e-4 * Normal())).ToArray();
        for (int c = 0; c < g.OutChannels; c++)
        {
            double mean = Enumerable.Range(0, (int)(g.OutputLength / g.OutChannels)).Average(p => dy[p * g.OutChannels + c]);
            for (long i = c; i < dy.Length; i += g.OutChannels)
            {
                dy[i] -= (float)mean;
            }
        }

        var w = TestUtil.Random(g.WeightLength, 4, 0.1f);
        var (_, exactDx, exactDw, _) = NaiveConv.Run(g, x, w, new float[g.OutChannels], dy);
        var winograd = RunAll(g, x, w, new float[g.OutChannels], dy, 2);
        var im2col = RunIm2Col(g, x, w, new float[g.OutChannels], dy);
        double winogradDw = NormwiseError(exactDw, winograd.Dw), im2colDw = NormwiseError(exactDw, im2col.Dw);
        double winogradDx = NormwiseError(exactDx, winograd.Dx), im2colDx = NormwiseError(exactDx, im2col.Dx);
        Assert.True(winogradDw < 1e-6 && winogradDw < 3 * im2colDw, $"weight gradient: Winograd {winogradDw:E2}, im2col {im2colDw:E2}");
        Assert.True(winogradDx < 1e-6 && winogradDx < 3 * im2colDx, $"input gradient: Winograd {winogradDx:E2}, im2col {im2colDx:E2}");
    }

    /// <summary>Training runs Winograd by default; with <see cref="Conv2dGeometry.WinogradTraining"/> off, its forward and
    /// backward passes are bit for bit the im2col path's (what the device parity tests compare against).</summary>
    [Fact]
    public void TrainingRunsIm2ColOnlyWhenAsked()
    {
        var g = Conv2dGeometry.Square(4, 32, 14, 14, 64, 3, 1, 1);
        Assert.True(g.RunsWinograd);
        var x = TestUtil.Random((int)g.InputLength, 5);
        var w = TestUtil.Random(g.WeightLength, 6, 0.1f);
        var b = TestUtil.Random(64, 7);
        var dy = TestUtil.Random((int)g.OutputLength, 8);
        Assert.True(Conv2dGeometry.WinogradTraining);
        var byDefault = RunAll(g, x, w, b, dy, 2);
        Conv2dGeometry.WinogradTraining = false;
        (float[] Pre, float[] Output, float[] Dx, float[] Dw, float[] Db) switchedOff;
        try
        {
            switchedOff = RunAll(g, x, w, b, dy, 2);
        }
        finally
        {
            Conv2dGeometry.WinogradTraining = true;
        }

        var im2col = RunIm2Col(g, x, w, b, dy);
        Assert.NotEqual(im2col.Dw, byDefault.Dw);
        Assert.Equal(im2col.Pre, switchedOff.Pre);
        Assert.Equal(im2col.Dx, switchedOff.Dx);
        Assert.Equal(im2col.Dw, switchedOff.Dw);
    }

    [Fact]
    public void LargeImagesSplitIntoBandsOfTileRows()
    {
        // The last shape above: 50 × 49 tiles, ten tile rows per band keep a band's transformed tiles near L2's size.
        var tiles = WinogradTiles.Forward(Conv2dGeometry.Square(1, 16, 100, 98, 16, 3, 1, 1));
        Assert.Equal((50, 49, 10, 5), (tiles.TilesHigh, tiles.TilesWide, tiles.BandTileRows, tiles.BandsPerImage));
    }

    /// <summary>The CNN's second convolution at batch 32: Winograd and im2col agree to float rounding.</summary>
    [Fact]
    public void AgreesWithIm2Col()
    {
        var g = Conv2dGeometry.Square(32, 32, 14, 14, 64, 3, 1, 1);
        var x = TestUtil.Random((int)g.InputLength, 5);
        var w = TestUtil.Random(g.WeightLength, 6, 0.1f);
        var b = TestUtil.Random(64, 7);
        var dy = TestUtil.Random((int)g.OutputLength, 8);
        var winograd = RunAll(g, x, w, b, dy, 2);
        var im2col = RunIm2Col(g, x, w, b, dy);
        TestUtil.Close(im2col.Pre.Select(v => (double)v).ToArray(), winograd.Pre, 1e-5, 1e-5, "y");
        TestUtil.Close(im2col.Dx.Select(v => (double)v).ToArray(), winograd.Dx, 1e-5, 1e-5, "dx");
        TestUtil.Close(im2col.Dw.Select(v => (double)v).ToArray(), winograd.Dw, 1e-5, 1e-4, "dw");
        TestUtil.Close(im2col.Db.Select(v => (double)v).ToArray(), winograd.Db, 1e-6, 1e-6, "db");
    }

    /// <summary>Predict's folded BatchNorm2d and ReLU run in the Winograd path's epilogue too.</summary>
    [Fact]
    public void InferenceFoldsBatchNormIntoTheEpilogue()
    {
        var g = Conv2dGeometry.Square(3, 16, 11, 9, 32, 3, 1, 1);
        Assert.True(g.RunsWinograd);
        var x = TestUtil.Random((int)g.InputLength, 1);
        var w = TestUtil.Random(g.WeightLength, 2, 0.3f);
        var b = TestUtil.Random(32, 3);
        var scale = TestUtil.Random(32, 4);
        var shift = TestUtil.Random(32, 5);
        var fused = new float[g.OutputLength];
        TestUtil.With(2, Gemm.Isa, () => Conv2d.ForwardInference(x, w, b, scale, shift, fused, g, default(Relu)));
        var (y, _, _, _) = NaiveConv.Run(g, x, w, b, new float[g.OutputLength]);
        var expected = y.Select((v, i) => Math.Max(v * scale[i % 32] + shift[i % 32], 0)).ToArray();
        TestUtil.Close(expected, fused, 1e-5, 1e-5, "fused");
    }

    [Theory]
    [InlineData(8, 16, 3, 1, 1)] // fewer channels than the threshold
    [InlineData(20, 16, 3, 1, 1)] // not a multiple of 8
    [InlineData(16, 16, 3, 2, 1)] // strided
    [InlineData(16, 16, 5, 1, 2)] // 5×5
    [InlineData(16, 16, 3, 1, 3)] // padding 3: the input gradient's transposed padding would be negative
    public void OtherShapesKeepIm2Col(int cin, int cout, int kernel, int stride, int padding)
    {
        Assert.False(Conv2dGeometry.Square(2, cin, 12, 12, cout, kernel, stride, padding).RunsWinograd);
    }

    private static double NormwiseError(IReadOnlyList<double> expected, float[] actual)
    {
        double difference = 0, norm = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            difference += (expected[i] - actual[i]) * (expected[i] - actual[i]);
            norm += expected[i] * expected[i];
        }

        return Math.Sqrt(difference / norm);
    }

    /// <summary><see cref="RunAll"/> on 2 threads with Winograd off for every pass: the im2col path.</summary>
    private static (float[] Pre, float[] Output, float[] Dx, float[] Dw, float[] Db) RunIm2Col(Conv2dGeometry g, float[] x, float[] w,
        float[] b, float[] dy)
    {
        int saved = Conv2dGeometry.WinogradChannels;
        Conv2dGeometry.WinogradChannels = int.MaxValue;
        try
        {
            Assert.False(g.RunsWinograd);
            return RunAll(g, x, w, b, dy, 2);
        }
        finally
        {
            Conv2dGeometry.WinogradChannels = saved;
        }
    }

    private static (float[] Pre, float[] Output, float[] Dx, float[] Dw, float[] Db) RunAll(Conv2dGeometry g, float[] x, float[] w, float[] b,
        float[] dy, int threads)
    {
        var pre = new float[g.OutputLength];
        var output = new float[g.OutputLength];
        var dx = new float[g.InputLength];
        var dw = new float[g.WeightLength];
        var db = new float[g.OutChannels];
        TestUtil.With(threads, Gemm.Isa, () =>
        {
            Conv2d.Forward(x, w, b, pre, output, g, default(Tanh));
            Conv2d.BackwardInput(dy, w, dx, g);
            Conv2d.BackwardWeights(dy, x, dw, db, g);
        });
        return (pre, output, dx, dw, db);
    }
}
