using DslNet.Devices;
using DslNet.Kernels.Cpu;
using DslNet.Kernels.Cpu.Spatial;
using DslNet.Kernels.Gpu;
using ILGPU;
using ILGPU.Runtime;
using CpuDropout = DslNet.Kernels.Cpu.Dropout;

namespace DslNet.Gpu.Tests;

/// <summary>
/// The spatial device kernels on ILGPU's CPU accelerator against the CPU kernels (themselves checked against PyTorch),
/// at small shapes: same layouts (NHWC, PyTorch's weights), fp32 storage, results to 1e-5.
/// </summary>
public sealed class SpatialKernelParityTests
{
    private static Accelerator Accelerator => Device.IlgpuCpu.Acquire();

    private static float[] Random(long count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, checked((int)count)).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    private static void Close(float[] expected, float[] actual, string what, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(expected[i] - actual[i]);
            Assert.True(error <= tolerance * (1 + Math.Abs(expected[i])), $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    [Theory]
    [InlineData(3, 4, 3, 1, 1, 1, 1)]
    [InlineData(3, 5, 3, 2, 0, 1, 1)]
    [InlineData(3, 4, 3, 1, 2, 2, 1)]
    [InlineData(4, 4, 3, 1, 1, 1, 4)]
    [InlineData(4, 6, 1, 2, 0, 1, 2)]
    public void Conv2dMatchesTheCpuKernels(int cin, int cout, int k, int stride, int pad, int dilation, int groups)
    {
        var g = Conv2dGeometry.Square(2, cin, 6, 5, cout, k, stride, pad, dilation, groups);
        var x = Random(g.InputLength, 1);
        var w = Random(g.WeightLength, 2, 0.5f);
        var b = Random(cout, 3);
        var dy = Random(g.OutputLength, 4);
        var (pre, output, dx, dw, db) = (new float[g.OutputLength], new float[g.OutputLength], new float[g.InputLength], new float[g.WeightLength], new float[cout]);
        Conv2d.Forward(x, w, b, pre, output, g, default(Relu));
        Conv2d.BackwardInput(dy, w, dx, g);
        Conv2d.BackwardWeights(dy, x, dw, db, g);

        var a = Accelerator;
        using var dx_ = a.Allocate1D(x);
        using var dw_ = a.Allocate1D(w);
        using var db_ = a.Allocate1D(b);
        using var dpre = a.Allocate1D<float>(g.OutputLength);
        using var dout = a.Allocate1D<float>(g.OutputLength);
        using var ddy = a.Allocate1D(dy);
        using var ddx = a.Allocate1D<float>(g.InputLength);
        using var ddw = a.Allocate1D<float>(g.WeightLength);
        using var ddb = a.Allocate1D<float>(cout);
        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv2dGeometry>(
            SpatialKernels.ConvForward)((int)g.OutputLength, dx_.View, dw_.View, db_.View, dpre.View, dout.View, g);
        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv2dGeometry>(
            SpatialKernels.ConvBackwardInput)((int)g.InputLength, ddy.View, dw_.View, ddx.View, g);
        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv2dGeometry>(
            SpatialKernels.ConvBackwardWeights)(g.WeightLength + cout, ddy.View, dx_.View, ddw.View, ddb.View, g);
        a.Synchronize();
        Close(pre, dpre.GetAsArray1D(), "pre");
        Close(output, dout.GetAsArray1D(), "output");
        Close(dx, ddx.GetAsArray1D(), "dx");
        Close(dw, ddw.GetAsArray1D(), "dw", 1e-4);
        Close(db, ddb.GetAsArray1D(), "db");
    }

    [Theory]
    [InlineData(2, 2, 0, true)]
    [InlineData(3, 2, 1, true)]
    [InlineData(3, 1, 1, false)]
    public void PoolingMatchesTheCpuKernels(int kernel, int stride, int pad, bool countIncludePad)
    {
        var g = Pool2dGeometry.Square(2, 3, 6, 5, kernel, stride, pad);
        var x = Random(g.InputLength, 5);
        var dy = Random(g.OutputLength, 6);
        var (maxY, argmax, maxDx, avgY, avgDx) = (new float[g.OutputLength], new int[g.OutputLength], new float[g.InputLength], new float[g.OutputLength], new float[g.InputLength]);
        Pool2d.MaxForward(x, maxY, argmax, g);
        Pool2d.MaxBackward(dy, argmax, maxDx, g);
        Pool2d.AvgForward(x, avgY, g, countIncludePad);
        Pool2d.AvgBackward(dy, avgDx, g, countIncludePad);
        var gap = new float[2 * 3];
        var gapDx = new float[g.InputLength];
        Pool2d.GlobalAvgForward(x, gap, 2, 30, 3);
        Pool2d.GlobalAvgBackward(dy.AsSpan(0, 6), gapDx, 2, 30, 3);

        var a = Accelerator;
        using var dx_ = a.Allocate1D(x);
        using var ddy = a.Allocate1D(dy);
        using var y = a.Allocate1D<float>(g.OutputLength);
        using var arg = a.Allocate1D<int>(g.OutputLength);
        using var dx = a.Allocate1D<float>(g.InputLength);
        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, Pool2dGeometry>(SpatialKernels.MaxForward)((int)g.OutputLength, dx_.View, y.View, arg.View, g);
        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, Pool2dGeometry>(SpatialKernels.MaxBackward)((int)g.InputLength, ddy.View, arg.View, dx.View, g);
        a.Synchronize();
        Close(maxY, y.GetAsArray1D(), "max y");
        Assert.Equal(argmax, arg.GetAsArray1D());
        Close(maxDx, dx.GetAsArray1D(), "max dx");

        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, Pool2dGeometry, int>(SpatialKernels.AvgForward)((int)g.OutputLength, dx_.View, y.View, g, countIncludePad ? 1 : 0);
        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, Pool2dGeometry, int>(SpatialKernels.AvgBackward)((int)g.InputLength, ddy.View, dx.View, g, countIncludePad ? 1 : 0);
        a.Synchronize();
        Close(avgY, y.GetAsArray1D(), "avg y");
        Close(avgDx, dx.GetAsArray1D(), "avg dx");

        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(SpatialKernels.GlobalForward)(6, dx_.View, y.View, 30, 3);
        a.Synchronize();
        Close(gap, y.GetAsArray1D()[..6], "global y");
        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(SpatialKernels.GlobalBackward)((int)g.InputLength, ddy.View, dx.View, 30, 3);
        a.Synchronize();
        Close(gapDx, dx.GetAsArray1D(), "global dx");
    }

    [Fact]
    public void BatchNorm2dMatchesTheCpuKernels()
    {
        const int pixels = 2 * 30, channels = 5;
        var z = Random(pixels * channels, 7, 2f);
        var gamma = Random(channels, 8);
        var beta = Random(channels, 9);
        var dy = Random(pixels * channels, 10);
        var (values, output, rm, rv, inv, gradient, dg, db) = ((float[])z.Clone(), new float[z.Length], new float[channels],
            Enumerable.Repeat(1f, channels).ToArray(), new float[channels], (float[])dy.Clone(), new float[channels], new float[channels]);
        BatchNorm2d.ForwardTraining(values, gamma, beta, rm, rv, inv, output, pixels, channels, 0.1f, 1e-5f, default(Relu));
        BatchNorm2d.Backward(gradient, values, gamma, beta, inv, dg, db, pixels, channels, default(Relu));

        var a = Accelerator;
        using var dv = a.Allocate1D(z);
        using var dout = a.Allocate1D<float>(z.Length);
        using var dmean = a.Allocate1D<float>(channels);
        using var dinv = a.Allocate1D<float>(channels);
        using var drm = a.Allocate1D(new float[channels]);
        using var drv = a.Allocate1D(Enumerable.Repeat(1f, channels).ToArray());
        using var dgam = a.Allocate1D(gamma);
        using var dbet = a.Allocate1D(beta);
        using var dgrad = a.Allocate1D(dy);
        using var ddg = a.Allocate1D<float>(channels);
        using var ddb = a.Allocate1D<float>(channels);
        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(
            SpatialKernels.BatchNormStatistics)(channels, dv.View, dmean.View, dinv.View, drm.View, drv.View, pixels, channels);
        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(
            SpatialKernels.BatchNormNormalize)(z.Length, dv.View, dout.View, dmean.View, dinv.View, dgam.View, dbet.View, channels);
        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(
            SpatialKernels.BatchNormParameterGradients)(channels, dgrad.View, dv.View, dgam.View, dbet.View, ddg.View, ddb.View, pixels, channels);
        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(
            SpatialKernels.BatchNormInputGradient)(z.Length, dgrad.View, dv.View, dgam.View, dbet.View, dinv.View, ddg.View, ddb.View, pixels, channels);
        a.Synchronize();
        Close(values, dv.GetAsArray1D(), "x̂");
        Close(output, dout.GetAsArray1D(), "output");
        Close(rm, drm.GetAsArray1D(), "running mean");
        Close(rv, drv.GetAsArray1D(), "running var");
        Close(inv, dinv.GetAsArray1D(), "invStd");
        Close(gradient, dgrad.GetAsArray1D(), "dx", 1e-4);
        Close(dg, ddg.GetAsArray1D(), "dgamma", 1e-4);
        Close(db, ddb.GetAsArray1D(), "dbeta", 1e-4);
    }

    [Theory]
    [InlineData(2, NormAffine.PerChannel)]
    [InlineData(6, NormAffine.None)]
    [InlineData(1, NormAffine.PerElement)]
    public void GroupNorm2dMatchesTheCpuKernels(int groups, NormAffine affine)
    {
        const int batch = 2, pixels = 12, channels = 6;
        int parameters = affine == NormAffine.None ? 0 : affine == NormAffine.PerChannel ? channels : channels * pixels;
        var z = Random(batch * pixels * channels, 11, 2f);
        var gamma = Random(parameters, 12);
        var beta = Random(parameters, 13);
        var dy = Random(z.Length, 14);
        var (values, output, inv, gradient, dg, db) = ((float[])z.Clone(), new float[z.Length], new float[batch * groups], (float[])dy.Clone(),
            new float[parameters], new float[parameters]);
        GroupNorm2d.Forward(values, gamma, beta, inv, output, batch, pixels, channels, groups, 1e-5f, affine, default(Relu));
        GroupNorm2d.Backward(gradient, values, gamma, beta, inv, dg, db, batch, pixels, channels, groups, affine, default(Relu));

        var a = Accelerator;
        using var dv = a.Allocate1D(z);
        using var dout = a.Allocate1D<float>(z.Length);
        using var stats = a.Allocate1D<float>(2 * batch * groups);
        using var dinv = a.Allocate1D<float>(batch * groups);
        using var dgam = a.Allocate1D(gamma.Length == 0 ? new float[1] : gamma);
        using var dbet = a.Allocate1D(beta.Length == 0 ? new float[1] : beta);
        using var dgrad = a.Allocate1D(dy);
        using var ddg = a.Allocate1D<float>(Math.Max(1, parameters));
        using var ddb = a.Allocate1D<float>(Math.Max(1, parameters));
        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(SpatialKernels.GroupNormStatistics)(
            batch * groups, dv.View, stats.View, dinv.View, pixels, channels, groups);
        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, NormAffine>(
            SpatialKernels.GroupNormNormalize)(z.Length, dv.View, dout.View, stats.View, dinv.View, dgam.View, dbet.View, pixels, channels, groups, affine);
        if (affine != NormAffine.None)
        {
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, NormAffine>(
                SpatialKernels.GroupNormParameterGradients)(parameters, dgrad.View, dv.View, dgam.View, dbet.View, ddg.View, ddb.View, batch, pixels, channels, affine);
        }

        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, NormAffine>(
            SpatialKernels.GroupNormGradientStatistics)(batch * groups, dgrad.View, dv.View, stats.View, dgam.View, dbet.View, pixels, channels, groups, affine);
        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, NormAffine>(
            SpatialKernels.GroupNormInputGradient)(z.Length, dgrad.View, dv.View, stats.View, dinv.View, dgam.View, dbet.View, pixels, channels, groups, affine);
        a.Synchronize();
        Close(values, dv.GetAsArray1D(), "x̂");
        Close(output, dout.GetAsArray1D(), "output");
        Close(inv, dinv.GetAsArray1D(), "invStd");
        Close(gradient, dgrad.GetAsArray1D(), "dx", 1e-4);
        if (affine != NormAffine.None)
        {
            Close(dg, ddg.GetAsArray1D(), "dgamma", 1e-4);
            Close(db, ddb.GetAsArray1D(), "dbeta", 1e-4);
        }
    }

    [Fact]
    public void Dropout2dDrawsTheCpuMask()
    {
        const int batch = 4, pixels = 6, channels = 10;
        var x = Random(batch * pixels * channels, 15);
        var expected = new float[x.Length];
        Dropout2d.Forward(x, expected, new CpuDropout(0.4f, 77, 3, 2), batch, pixels, channels);
        var a = Accelerator;
        using var dx = a.Allocate1D(x);
        using var dy = a.Allocate1D<float>(x.Length);
        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, GpuDropout, int, int>(SpatialKernels.Dropout2d)(
            x.Length, dx.View, dy.View, new GpuDropout(0.4f, 77, 3, 2), pixels, channels);
        a.Synchronize();
        Assert.Equal(expected, dy.GetAsArray1D());
        Assert.Contains(0f, expected);
    }

    /// <summary>16-bit storage: the device kernels over fp16/bf16 bits equal the CPU path's semantics, i.e. the CPU kernel
    /// on the stored (rounded) inputs with its outputs rounded by <see cref="StorageRounding"/>, to one storage ulp
    /// (the two sum in different orders before rounding).</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Conv2dAndMaxPoolOver16BitStorageMatchTheCpuPathsRounding(bool bf16)
    {
        var g = Conv2dGeometry.Square(2, 3, 6, 5, 4, 3, 1, 1);
        ushort ToBits(float v) => bf16 ? BFloat16.FromFloat(v) : Float16.FromFloat(v);
        float FromBits(ushort b) => bf16 ? BFloat16.ToFloat(b) : Float16.ToFloat(b);
        void Round(float[] values)
        {
            if (bf16) StorageRounding.Round(values.AsSpan(), default(BFloat16Storage));
            else StorageRounding.Round(values.AsSpan(), default(Float16Storage));
        }

        var x = Random(g.InputLength, 21);
        Round(x);
        var w = Random(g.WeightLength, 22, 0.5f);
        var b = Random(4, 23);
        var pre = new float[g.OutputLength];
        var output = new float[g.OutputLength];
        Conv2d.Forward(x, w, b, pre, output, g, default(Relu));
        Round(pre);
        Round(output);
        var pool = Pool2dGeometry.Square(2, 4, 6, 5, 2);
        var pooled = new float[pool.OutputLength];
        Pool2d.MaxForward(output, pooled, new int[pool.OutputLength], pool);

        var a = Accelerator;
        using var dx = a.Allocate1D(x.Select(ToBits).ToArray());
        using var dw = a.Allocate1D(w);
        using var db = a.Allocate1D(b);
        using var dpre = a.Allocate1D<ushort>(g.OutputLength);
        using var dout = a.Allocate1D<ushort>(g.OutputLength);
        using var dpool = a.Allocate1D<ushort>(pool.OutputLength);
        using var arg = a.Allocate1D<int>(pool.OutputLength);
        using var flag = a.Allocate1D<double>(1);
        flag.MemSetToZero();
        if (bf16)
        {
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<double>, Conv2dGeometry>(
                SpatialKernels.Half<Bf16Format>.ConvForward)((int)g.OutputLength, dx.View, dw.View, db.View, dpre.View, dout.View, flag.View, g);
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<ushort>, ArrayView<int>, ArrayView<double>, Pool2dGeometry>(
                SpatialKernels.Half<Bf16Format>.MaxForward)((int)pool.OutputLength, dout.View, dpool.View, arg.View, flag.View, pool);
        }
        else
        {
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<double>, Conv2dGeometry>(
                SpatialKernels.Half<Fp16Format>.ConvForward)((int)g.OutputLength, dx.View, dw.View, db.View, dpre.View, dout.View, flag.View, g);
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<ushort>, ArrayView<int>, ArrayView<double>, Pool2dGeometry>(
                SpatialKernels.Half<Fp16Format>.MaxForward)((int)pool.OutputLength, dout.View, dpool.View, arg.View, flag.View, pool);
        }

        a.Synchronize();
        double ulp = bf16 ? 1.0 / 128 : 1.0 / 1024;
        Close(pre, dpre.GetAsArray1D().Select(FromBits).ToArray(), "pre", ulp);
        Close(output, dout.GetAsArray1D().Select(FromBits).ToArray(), "output", ulp);
        Close(pooled, dpool.GetAsArray1D().Select(FromBits).ToArray(), "pooled", ulp);
        Assert.Equal(0.0, flag.GetAsArray1D()[0]);
    }
}
