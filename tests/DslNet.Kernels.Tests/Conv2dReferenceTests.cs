using DslNet.Kernels.Cpu;
using DslNet.Kernels.Cpu.Spatial;

namespace DslNet.Kernels.Tests;

/// <summary>Conv2d forward, input gradient, weight and bias gradients against PyTorch (spatial_layers.json).</summary>
public class Conv2dReferenceTests
{
    private const double Rel = 1e-5;
    private const double Abs = 1e-6;

    public static TheoryData<string, int, int> Cases()
    {
        var data = new TheoryData<string, int, int>();
        foreach (var name in new[] { "conv2d_k3_pad1", "conv2d_k3_stride2_nopad", "conv2d_k1_projection_stride2", "conv2d_k3_dilation2_pad2",
                     "conv2d_depthwise_k3_pad1", "conv2d_k5_pad2_stride2" })
        {
            // Each case on the direct kernel (every patch is short) and on im2col + GEMM (groups = 1 only), 1 and 2 threads.
            data.Add(name, 1, 1000);
            data.Add(name, 2, 1000);
            data.Add(name, 1, 0);
            data.Add(name, 2, 0);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConvolutionMatchesPyTorch(string name, int threads, int directPatchLength)
    {
        int saved = Conv2dGeometry.DirectPatchLength;
        Conv2dGeometry.DirectPatchLength = directPatchLength;
        try
        {
            Check(name, threads);
        }
        finally
        {
            Conv2dGeometry.DirectPatchLength = saved;
        }
    }

    private static void Check(string name, int threads)
    {
        var r = new SpatialCase("spatial_layers.json", name);
        var config = r.Root.GetProperty("config");
        var g = Conv2dGeometry.Square(r.Batch, r.Channels, r.Height, r.Width, config.GetProperty("out").GetInt32(), config.GetProperty("k").GetInt32(),
            config.GetProperty("stride").GetInt32(), config.GetProperty("padding").GetInt32(), config.GetProperty("dilation").GetInt32(),
            config.GetProperty("groups").GetInt32());
        Assert.Equal((r.OutHeight, r.OutWidth), (g.OutHeight, g.OutWidth));
        bool hasBias = config.GetProperty("bias").GetBoolean();
        var x = r.InputNhwc("x");
        var weight = r.Floats("weight");
        var bias = hasBias ? r.Floats("bias") : [];
        var pre = new float[g.OutputLength];
        var output = new float[g.OutputLength];
        var dx = new float[g.InputLength];
        var dw = new float[g.WeightLength];
        var db = hasBias ? new float[g.OutChannels] : [];
        var dy = r.OutputNhwc("dy");
        TestUtil.With(threads, Gemm.Isa, () =>
        {
            Conv2d.Forward(x, weight, bias, pre, output, g, default(Relu));
            Conv2d.BackwardInput(dy, weight, dx, g);
            Conv2d.BackwardWeights(dy, x, dw, db, g);
        });
        var y = r.ExpectedOutput("y");
        TestUtil.Close(y, pre, Rel, Abs, "y");
        TestUtil.Close(y.Select(v => Math.Max(v, 0)).ToArray(), output, Rel, Abs, "relu(y)");
        TestUtil.Close(r.ExpectedInput("dx"), dx, Rel, Abs, "dx");
        TestUtil.Close(r.Root.Doubles("dweight"), dw, Rel, Abs, "dweight");
        if (hasBias)
        {
            TestUtil.Close(r.Root.Doubles("dbias"), db, Rel, Abs, "dbias");
        }
    }

    public static TheoryData<int, int, int, int, int, int, int> Shapes() => new()
    {
        // cin, cout, k, stride, pad, dilation, groups: GEMM chunks across images, pointwise, grouped and depthwise x2.
        { 5, 33, 3, 1, 1, 1, 1 },
        { 16, 40, 1, 1, 0, 1, 1 },
        { 48, 40, 1, 1, 0, 1, 1 },
        { 1, 32, 3, 1, 1, 1, 1 },
        // Single-channel layers gather im2col transposed: a dilated 5×5 reaching into the padding on both sides, no padding.
        { 1, 16, 5, 1, 4, 2, 1 },
        { 1, 24, 3, 1, 0, 1, 1 },
        { 3, 20, 3, 2, 1, 1, 1 },
        { 40, 24, 3, 1, 2, 2, 1 },
        // im2col's whole-kernel-row copies: a 5x5 kernel, no padding (every row interior), stride 2 without padding.
        { 4, 20, 5, 1, 2, 1, 1 },
        { 7, 16, 3, 1, 0, 1, 1 },
        { 12, 24, 3, 2, 0, 1, 1 },
        { 6, 9, 3, 2, 1, 1, 3 },
        { 8, 16, 3, 1, 1, 1, 8 },
        { 32, 32, 3, 1, 1, 1, 32 },
    };

    /// <summary>Bigger shapes than the reference (several im2col chunks and tasks, both threads) against a plain loop.</summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void ConvolutionMatchesNaiveLoops(int cin, int cout, int k, int stride, int pad, int dilation, int groups)
    {
        var g = Conv2dGeometry.Square(6, cin, 15, 13, cout, k, stride, pad, dilation, groups);
        var x = TestUtil.Random((int)g.InputLength, 1);
        var w = TestUtil.Random(g.WeightLength, 2, 0.3f);
        var b = TestUtil.Random(cout, 3);
        var dy = TestUtil.Random((int)g.OutputLength, 4);
        var pre = new float[g.OutputLength];
        var dx = new float[g.InputLength];
        var dw = new float[g.WeightLength];
        var db = new float[cout];
        TestUtil.With(2, Gemm.Isa, () =>
        {
            Conv2d.Forward(x, w, b, pre, Span<float>.Empty, g, default(Identity));
            Conv2d.BackwardInput(dy, w, dx, g);
            Conv2d.BackwardWeights(dy, x, dw, db, g);
        });
        var (y, ex, ew, eb) = NaiveConv.Run(g, x, w, b, dy);
        TestUtil.Close(y, pre, 1e-4, 1e-4, "y");
        TestUtil.Close(ex, dx, 1e-4, 1e-4, "dx");
        TestUtil.Close(ew, dw, 1e-4, 1e-3, "dw");
        TestUtil.Close(eb, db, 1e-4, 1e-4, "db");
    }

    /// <summary>Predict's fused path (conv + bias + folded eval BatchNorm2d + ReLU in the epilogue) equals the separate passes.</summary>
    [Theory]
    [InlineData(1, 1, 0)]
    [InlineData(16, 1, 0)]
    [InlineData(16, 1, 1000)]
    [InlineData(16, 16, 0)]
    public void InferenceFoldsBatchNormIntoTheEpilogue(int cin, int groups, int directPatchLength)
    {
        int saved = Conv2dGeometry.DirectPatchLength;
        Conv2dGeometry.DirectPatchLength = directPatchLength;
        try
        {
            var g = Conv2dGeometry.Square(4, cin, 9, 8, 32, 3, 1, 1, 1, groups);
            var x = TestUtil.Random((int)g.InputLength, 1);
            var w = TestUtil.Random(g.WeightLength, 2, 0.3f);
            var b = TestUtil.Random(32, 3);
            var scale = TestUtil.Random(32, 4);
            var shift = TestUtil.Random(32, 5);
            var pre = new float[g.OutputLength];
            var expected = new float[g.OutputLength];
            Conv2d.Forward(x, w, b, pre, Span<float>.Empty, g, default(Identity));
            BatchNorm2d.Inference(pre, scale, shift, expected, g.OutputPixels, 32, default(Relu));
            var fused = new float[g.OutputLength];
            TestUtil.With(2, Gemm.Isa, () => Conv2d.ForwardInference(x, w, b, scale, shift, fused, g, default(Relu)));
            TestUtil.Close(expected.Select(v => (double)v).ToArray(), fused, 1e-5, 1e-5, "fused");
        }
        finally
        {
            Conv2dGeometry.DirectPatchLength = saved;
        }
    }

    [Fact]
    public void GeometryRejectsBadShapesWithClearMessages()
    {
        Assert.Contains("groups (2) must divide", Assert.Throws<ArgumentException>(() => Conv2dGeometry.Square(1, 3, 8, 8, 4, 3, groups: 2)).Message);
        Assert.Contains("larger than the padded input", Assert.Throws<ArgumentException>(() => Conv2dGeometry.Square(1, 3, 4, 4, 4, 7)).Message);
        Assert.Contains("stride", Assert.Throws<ArgumentException>(() => Conv2dGeometry.Square(1, 3, 4, 4, 4, 3, stride: 0)).Message);
    }
}

/// <summary>Conv2d by its definition, in double, NHWC activations and PyTorch's weight layout.</summary>
internal static class NaiveConv
{
    public static (double[] Y, double[] Dx, double[] Dw, double[] Db) Run(Conv2dGeometry g, float[] x, float[] w, float[] b, float[] dy)
    {
        var y = new double[g.OutputLength];
        var dx = new double[g.InputLength];
        var dw = new double[g.WeightLength];
        var db = new double[g.OutChannels];
        int cpg = g.InChannelsPerGroup, opg = g.OutChannelsPerGroup;
        for (int n = 0; n < g.Batch; n++)
        for (int oh = 0; oh < g.OutHeight; oh++)
        for (int ow = 0; ow < g.OutWidth; ow++)
        for (int co = 0; co < g.OutChannels; co++)
        {
            long o = (((long)n * g.OutHeight + oh) * g.OutWidth + ow) * g.OutChannels + co;
            double sum = b[co];
            db[co] += dy[o];
            for (int c = 0; c < cpg; c++)
            for (int i = 0; i < g.KernelHeight; i++)
            for (int j = 0; j < g.KernelWidth; j++)
            {
                int ih = oh * g.StrideHeight - g.PadHeight + i * g.DilationHeight, iw = ow * g.StrideWidth - g.PadWidth + j * g.DilationWidth;
                if (ih < 0 || ih >= g.Height || iw < 0 || iw >= g.Width) continue;
                long xi = (((long)n * g.Height + ih) * g.Width + iw) * g.InChannels + co / opg * cpg + c;
                long wi = (((long)co * cpg + c) * g.KernelHeight + i) * g.KernelWidth + j;
                sum += x[xi] * (double)w[wi];
                dx[xi] += dy[o] * (double)w[wi];
                dw[wi] += dy[o] * (double)x[xi];
            }

            y[o] = sum;
        }

        return (y, dx, dw, db);
    }
}
