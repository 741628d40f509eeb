using DslNet.Kernels.Cpu;
using DslNet.Kernels.Cpu.Spatial;

namespace DslNet.Kernels.Tests;

/// <summary>
/// The spatial norms on batches big enough for several tasks and both threads, with a fused ReLU, against the
/// feature-vector norms (already checked against PyTorch): BatchNorm2d on NHWC is BatchNorm1d over N·H·W rows, and
/// GroupNorm on NCHW is the row GroupNorm over C·H·W features with per-channel gamma repeated per pixel.
/// </summary>
public class SpatialNormConsistencyTests
{
    private const int Batch = 12, Channels = 48, Height = 9, Width = 7, Pixels = Height * Width;

    [Fact]
    public void BatchNorm2dEqualsBatchNormOverPixelRows()
    {
        int rows = Batch * Pixels;
        var x = TestUtil.Random(rows * Channels, 1, 2f);
        var gamma = TestUtil.Random(Channels, 2);
        var beta = TestUtil.Random(Channels, 3);
        var dy = TestUtil.Random(rows * Channels, 4);
        var (y1, dx1, dg1, db1, rv1) = Run2d();
        var (y2, dx2, dg2, db2, rv2) = Run1d();
        TestUtil.Close(y2.Select(v => (double)v).ToArray(), y1, 1e-5, 1e-5, "y");
        TestUtil.Close(dx2.Select(v => (double)v).ToArray(), dx1, 1e-4, 1e-5, "dx");
        TestUtil.Close(dg2.Select(v => (double)v).ToArray(), dg1, 1e-4, 1e-4, "dgamma");
        TestUtil.Close(db2.Select(v => (double)v).ToArray(), db1, 1e-5, 1e-5, "dbeta");
        TestUtil.Close(rv2.Select(v => (double)v).ToArray(), rv1, 1e-5, 1e-6, "running_var");

        (float[], float[], float[], float[], float[]) Run2d()
        {
            var values = (float[])x.Clone();
            var output = new float[values.Length];
            var gradient = (float[])dy.Clone();
            var (rm, rv, s, dg, db) = (new float[Channels], Enumerable.Repeat(1f, Channels).ToArray(), new float[Channels], new float[Channels], new float[Channels]);
            TestUtil.With(2, Gemm.Isa, () =>
            {
                BatchNorm2d.ForwardTraining(values, gamma, beta, rm, rv, s, output, rows, Channels, 0.1f, 1e-5f, default(Relu));
                BatchNorm2d.Backward(gradient, values, gamma, beta, s, dg, db, rows, Channels, default(Relu));
            });
            return (output, gradient, dg, db, rv);
        }

        (float[], float[], float[], float[], float[]) Run1d()
        {
            var values = (float[])x.Clone();
            var output = new float[values.Length];
            var gradient = (float[])dy.Clone();
            var (rm, rv, s, dg, db) = (new float[Channels], Enumerable.Repeat(1f, Channels).ToArray(), new float[Channels], new float[Channels], new float[Channels]);
            BatchNorm.ForwardTraining(values, gamma, beta, rm, rv, s, output, rows, Channels, 0.1f, 1e-5f, default(Relu), Dropout.None);
            BatchNorm.Backward(gradient, values, gamma, beta, s, dg, db, rows, Channels, default(Relu), Dropout.None);
            return (output, gradient, dg, db, rv);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(48)]
    public void GroupNorm2dEqualsRowGroupNormOnNchw(int groups)
    {
        int features = Channels * Pixels;
        var x = TestUtil.Random(Batch * features, 5, 2f);
        var gamma = TestUtil.Random(Channels, 6);
        var beta = TestUtil.Random(Channels, 7);
        var dy = TestUtil.Random(Batch * features, 8);

        var values = Nhwc(x);
        var output = new float[values.Length];
        var gradient = Nhwc(dy);
        var invStd = new float[Batch * groups];
        var dg = new float[Channels];
        var db = new float[Channels];
        TestUtil.With(2, Gemm.Isa, () =>
        {
            GroupNorm2d.Forward(values, gamma, beta, invStd, output, Batch, Pixels, Channels, groups, 1e-5f, NormAffine.PerChannel, default(Relu));
            GroupNorm2d.Backward(gradient, values, gamma, beta, invStd, dg, db, Batch, Pixels, Channels, groups, NormAffine.PerChannel, default(Relu));
        });

        // The reference: NCHW rows, gamma and beta repeated over each channel's pixels; per-feature gradients summed back.
        var wideGamma = Enumerable.Range(0, features).Select(i => gamma[i / Pixels]).ToArray();
        var wideBeta = Enumerable.Range(0, features).Select(i => beta[i / Pixels]).ToArray();
        var refValues = (float[])x.Clone();
        var refOutput = new float[x.Length];
        var refGradient = (float[])dy.Clone();
        var refInvStd = new float[Batch * groups];
        var wideDg = new float[features];
        var wideDb = new float[features];
        GroupNorm.Forward(refValues, wideGamma, wideBeta, refInvStd, refOutput, Batch, features, groups, 1e-5f, default(Relu), Dropout.None);
        GroupNorm.Backward(refGradient, refValues, wideGamma, wideBeta, refInvStd, wideDg, wideDb, Batch, features, groups, default(Relu), Dropout.None);
        TestUtil.Close(Nhwc(refOutput).Select(v => (double)v).ToArray(), output, 1e-5, 1e-5, "y");
        TestUtil.Close(Nhwc(refGradient).Select(v => (double)v).ToArray(), gradient, 1e-4, 1e-5, "dx");
        TestUtil.Close(refInvStd.Select(v => (double)v).ToArray(), invStd, 1e-5, 0, "invStd");
        var expectedDg = Enumerable.Range(0, Channels).Select(c => wideDg.Skip(c * Pixels).Take(Pixels).Sum(v => (double)v)).ToArray();
        var expectedDb = Enumerable.Range(0, Channels).Select(c => wideDb.Skip(c * Pixels).Take(Pixels).Sum(v => (double)v)).ToArray();
        TestUtil.Close(expectedDg, dg, 1e-4, 1e-4, "dgamma");
        TestUtil.Close(expectedDb, db, 1e-4, 1e-4, "dbeta");
    }

    private static float[] Nhwc(float[] nchw)
    {
        var nhwc = new float[nchw.Length];
        ChannelsLast.FromNchw(nchw, nhwc, Batch, Channels, Height, Width);
        return nhwc;
    }
}
