using DslNet.Kernels.Cpu.Spatial;

namespace DslNet.Kernels.Tests;

/// <summary>Max, average and global average pooling (and Flatten's order) against PyTorch (spatial_layers.json).</summary>
public class PoolingReferenceTests
{
    private const double Rel = 1e-5;
    private const double Abs = 1e-6;

    [Theory]
    [InlineData("maxpool_k2_s2", 2, 2, 0)]
    [InlineData("maxpool_k3_s2_p1", 3, 2, 1)]
    public void MaxPoolMatchesPyTorch(string name, int kernel, int stride, int padding)
    {
        var r = new SpatialCase("spatial_layers.json", name);
        var g = Pool2dGeometry.Square(r.Batch, r.Channels, r.Height, r.Width, kernel, stride, padding);
        Assert.Equal((r.OutHeight, r.OutWidth), (g.OutHeight, g.OutWidth));
        var y = new float[g.OutputLength];
        var argmax = new int[g.OutputLength];
        Pool2d.MaxForward(r.InputNhwc("x"), y, argmax, g);
        TestUtil.Close(r.ExpectedOutput("y"), y, Rel, Abs, "y");
        var dx = Enumerable.Repeat(float.NaN, (int)g.InputLength).ToArray();
        Pool2d.MaxBackward(r.OutputNhwc("dy"), argmax, dx, g);
        TestUtil.Close(r.ExpectedInput("dx"), dx, Rel, Abs, "dx");
    }

    /// <summary>Ties (the first maximum in window order wins) and NaN (it wins and stays) on the vector paths and the
    /// channel tail (19 channels: 16 + 3 or 8 + 8 + 3), with padding, against PyTorch's rule written out per window.</summary>
    [Theory]
    [InlineData(2, 2, 0)]
    [InlineData(3, 2, 1)]
    [InlineData(3, 1, 1)]
    public void MaxPoolKeepsTheFirstMaximumAndPropagatesNaN(int kernel, int stride, int padding)
    {
        var g = Pool2dGeometry.Square(3, 19, 7, 6, kernel, stride, padding);
        var random = new Random(5);
        // Few distinct values, so windows hold ties; some NaN.
        var x = Enumerable.Range(0, (int)g.InputLength).Select(_ => random.Next(40) == 0 ? float.NaN : random.Next(4)).ToArray();
        var y = new float[g.OutputLength];
        var argmax = new int[g.OutputLength];
        Pool2d.MaxForward(x, y, argmax, g);
        for (int n = 0; n < g.Batch; n++)
        for (int oh = 0; oh < g.OutHeight; oh++)
        for (int ow = 0; ow < g.OutWidth; ow++)
        for (int c = 0; c < g.Channels; c++)
        {
            float max = float.NegativeInfinity;
            int at = -1;
            for (int i = 0; i < kernel; i++)
            for (int j = 0; j < kernel; j++)
            {
                int ih = oh * stride - padding + i, iw = ow * stride - padding + j;
                if (ih < 0 || ih >= g.Height || iw < 0 || iw >= g.Width) continue;
                int index = ((n * g.Height + ih) * g.Width + iw) * g.Channels + c;
                if (x[index] > max || float.IsNaN(x[index]))
                {
                    max = x[index];
                    at = index;
                }
            }

            int o = ((n * g.OutHeight + oh) * g.OutWidth + ow) * g.Channels + c;
            Assert.Equal(at, argmax[o]);
            Assert.Equal(max, y[o]);
        }
    }

    [Theory]
    [InlineData("avgpool_k2_s2", 2, 2, 0, true)]
    [InlineData("avgpool_k3_s1_p1_include_pad", 3, 1, 1, true)]
    public void AvgPoolMatchesPyTorch(string name, int kernel, int stride, int padding, bool includePad)
    {
        var r = new SpatialCase("spatial_layers.json", name);
        var g = Pool2dGeometry.Square(r.Batch, r.Channels, r.Height, r.Width, kernel, stride, padding);
        var y = new float[g.OutputLength];
        Pool2d.AvgForward(r.InputNhwc("x"), y, g, includePad);
        TestUtil.Close(r.ExpectedOutput("y"), y, Rel, Abs, "y");
        var dx = Enumerable.Repeat(float.NaN, (int)g.InputLength).ToArray();
        Pool2d.AvgBackward(r.OutputNhwc("dy"), dx, g, includePad);
        TestUtil.Close(r.ExpectedInput("dx"), dx, Rel, Abs, "dx");
    }

    /// <summary>count_include_pad = False (not in the reference file): borders divide by the taps inside the input.</summary>
    [Fact]
    public void AvgPoolExcludingPaddingDividesByTheTapsInside()
    {
        var g = Pool2dGeometry.Square(1, 2, 3, 3, 3, 1, 1);
        var x = Enumerable.Range(0, 18).Select(i => (float)i).ToArray();
        var y = new float[18];
        Pool2d.AvgForward(x, y, g, countIncludePad: false);
        // Corner (0, 0), channel 0: pixels (0,0), (0,1), (1,0), (1,1) hold 0, 2, 6, 8 → mean 4 over 4 taps (9 with padding).
        Assert.Equal(4f, y[0]);
        Pool2d.AvgForward(x, y, g, countIncludePad: true);
        Assert.Equal(16f / 9f, y[0], 6);
        var dx = new float[18];
        var dy = Enumerable.Repeat(1f, 18).ToArray();
        Pool2d.AvgBackward(dy, dx, g, countIncludePad: false);
        // Pixel (0,0) is in the windows of outputs (0,0) (4 taps), (0,1) (6), (1,0) (6), (1,1) (9).
        Assert.Equal(1f / 4 + 1f / 6 + 1f / 6 + 1f / 9, dx[0], 6);
    }

    [Fact]
    public void GlobalAvgPoolMatchesPyTorch()
    {
        var r = new SpatialCase("spatial_layers.json", "global_avgpool");
        int pixels = r.Height * r.Width;
        var y = new float[r.Batch * r.Channels];
        Pool2d.GlobalAvgForward(r.InputNhwc("x"), y, r.Batch, pixels, r.Channels);
        TestUtil.Close(r.Root.Doubles("y"), y, Rel, Abs, "y");
        var dx = new float[r.Batch * pixels * r.Channels];
        Pool2d.GlobalAvgBackward(r.Floats("dy"), dx, r.Batch, pixels, r.Channels);
        TestUtil.Close(r.ExpectedInput("dx"), dx, Rel, Abs, "dx");
    }

    [Fact]
    public void FlattenIsChannelMajorNchw()
    {
        // Flatten of the NCHW reference is the identity on its bytes; from channels-last it is ChannelsLast.ToNchw.
        var r = new SpatialCase("spatial_layers.json", "flatten");
        var nhwc = r.InputNhwc("x");
        var flat = new float[nhwc.Length];
        ChannelsLast.ToNchw(nhwc, flat, r.Batch, r.Channels, r.Height, r.Width);
        TestUtil.Close(r.Root.Doubles("y").Select(v => (double)(float)v).ToArray(), flat, 0, 0, "y");
        var dyNhwc = new float[flat.Length];
        ChannelsLast.FromNchw(r.Floats("dy"), dyNhwc, r.Batch, r.Channels, r.Height, r.Width);
        TestUtil.Close(r.ExpectedInput("dx").Select(v => (double)(float)v).ToArray(), dyNhwc, 0, 0, "dx");
    }

    [Fact]
    public void PoolGeometryRejectsPaddingOverHalfTheKernel()
    {
        Assert.Contains("half the kernel", Assert.Throws<ArgumentException>(() => Pool2dGeometry.Square(1, 1, 8, 8, 2, 2, 2)).Message);
    }

    [Fact]
    public void GeometryRejectsBadShapesWithClearMessages()
    {
        Assert.Contains("stride 0x2", Assert.Throws<ArgumentException>(() => new Pool2dGeometry(1, 2, 8, 8, 2, 2, 0, 2)).Message);
        Assert.Contains("half the kernel", Assert.Throws<ArgumentException>(() => new Pool2dGeometry(1, 2, 8, 8, 2, 2, 2, 2, padHeight: 2)).Message);
        Assert.Contains("larger than the padded input", Assert.Throws<ArgumentException>(() => new Pool2dGeometry(1, 2, 3, 3, 5, 5, 1, 1)).Message);
    }
}
