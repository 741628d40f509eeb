using DslNet.Kernels.Cpu;
using DslNet.Kernels.Cpu.Spatial;

namespace DslNet.Kernels.Tests;

/// <summary>
/// The fused BatchNorm2d + MaxPool2d against the two kernels it replaces (themselves checked against PyTorch): the
/// forward's x̂, pooled values, argmax and statistics bit for bit, the backward to the last bits (its per-channel sums
/// in double add in another order). ReLU makes windows of ties (all four taps zero), where the first tap must win.
/// </summary>
public class BatchNormMaxPool2dTests
{
    public static TheoryData<int, int, int, int, int, int> Shapes => new()
    {
        // batch, channels, height, width, kernel, threads
        { 6, 13, 8, 6, 2, 1 },   // channels not a multiple of the vector width
        { 16, 32, 28, 28, 2, 2 }, // the Fashion-MNIST CNN's first pooling, several tasks per thread
        { 5, 24, 9, 6, 3, 2 },
        { 3, 8, 4, 4, 4, 2 },     // one window per image: a window row is the whole image
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesBatchNormThenMaxPool(int batch, int channels, int height, int width, int kernel, int threads)
    {
        var pool = Pool2dGeometry.Square(batch, channels, height, width, kernel);
        Assert.True(BatchNormMaxPool2d.Fuses(pool));
        var z = TestUtil.Random((int)pool.InputLength, 1, 2f);
        var gamma = TestUtil.Random(channels, 2);
        var beta = TestUtil.Random(channels, 3);
        var dy = TestUtil.Random((int)pool.OutputLength, 4);
        var unfused = new Run(z, channels, pool);
        var fused = new Run(z, channels, pool);
        int pixels = batch * height * width;
        TestUtil.With(threads, Gemm.Isa, () =>
        {
            var activated = new float[z.Length];
            BatchNorm2d.ForwardTraining(unfused.Values, gamma, beta, unfused.RunningMean, unfused.RunningVar, unfused.InvStd, activated, pixels, channels,
                0.1f, 1e-5f, default(Relu));
            Pool2d.MaxForward(activated, unfused.Pooled, unfused.Argmax, pool);
            Pool2d.MaxBackward(dy, unfused.Argmax, unfused.InputGradient, pool);
            BatchNorm2d.Backward(unfused.InputGradient, unfused.Values, gamma, beta, unfused.InvStd, unfused.GammaGradient, unfused.BetaGradient, pixels,
                channels, default(Relu));

            BatchNormMaxPool2d.ForwardTraining(fused.Values, gamma, beta, fused.RunningMean, fused.RunningVar, fused.InvStd, fused.Pooled, fused.Argmax,
                fused.Winners, pool, 0.1f, 1e-5f, default(Relu));
            Assert.Equal(fused.Argmax.Select(i => fused.Values[i]), fused.Winners);
            BatchNormMaxPool2d.Backward(dy, fused.Argmax, fused.Winners, fused.Values, gamma, beta, fused.InvStd, fused.GammaGradient, fused.BetaGradient,
                fused.InputGradient, pool, default(Relu));
        });

        Assert.Equal(unfused.Values, fused.Values);
        Assert.Equal(unfused.Pooled, fused.Pooled);
        Assert.Equal(unfused.Argmax, fused.Argmax);
        Assert.Equal(unfused.InvStd, fused.InvStd);
        Assert.Equal(unfused.RunningMean, fused.RunningMean);
        Assert.Equal(unfused.RunningVar, fused.RunningVar);
        Assert.Contains(unfused.Pooled, v => v == 0f);
        TestUtil.Close(Doubles(unfused.InputGradient), fused.InputGradient, 1e-5, 1e-7, "dz");
        TestUtil.Close(Doubles(unfused.GammaGradient), fused.GammaGradient, 1e-6, 1e-7, "dgamma");
        TestUtil.Close(Doubles(unfused.BetaGradient), fused.BetaGradient, 1e-6, 1e-7, "dbeta");
    }

    [Fact]
    public void PassesNoGradientThroughAWindowThatTookNoTap()
    {
        // A window of −∞ keeps argmax −1 (Pool2d's rule): its pixels get only the normalization's mean terms.
        var pool = Pool2dGeometry.Square(2, 8, 2, 2, 2);
        var argmax = Enumerable.Repeat(-1, (int)pool.OutputLength).ToArray();
        var winners = new float[pool.OutputLength];
        var xhat = TestUtil.Random((int)pool.InputLength, 5);
        var gamma = Enumerable.Repeat(1f, 8).ToArray();
        var (dg, db, dz) = (new float[8], new float[8], new float[(int)pool.InputLength]);
        BatchNormMaxPool2d.Backward(TestUtil.Random((int)pool.OutputLength, 6), argmax, winners, xhat, gamma, TestUtil.Random(8, 7), gamma, dg, db, dz, pool,
            default(Identity));
        Assert.All(dg, v => Assert.Equal(0f, v));
        Assert.All(db, v => Assert.Equal(0f, v));
        Assert.All(dz, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(3, 2, 0, 8)] // overlapping windows
    [InlineData(2, 2, 1, 8)] // padding
    [InlineData(2, 2, 0, 7)] // the last row and column fall outside every window
    public void RefusesWindowsThatDoNotTileTheInput(int kernel, int stride, int padding, int size)
    {
        var pool = Pool2dGeometry.Square(2, 8, size, size, kernel, stride, padding);
        Assert.False(BatchNormMaxPool2d.Fuses(pool));
        var values = new float[pool.InputLength];
        var channel = new float[8];
        var error = Assert.Throws<ArgumentException>(() => BatchNormMaxPool2d.ForwardTraining(values, channel, channel, channel, channel, channel,
            new float[pool.OutputLength], new int[pool.OutputLength], new float[pool.OutputLength], pool, 0.1f, 1e-5f, default(Relu)));
        Assert.Contains("tile the input", error.Message);
    }

    private static double[] Doubles(float[] values) => values.Select(v => (double)v).ToArray();

    private sealed class Run
    {
        public Run(float[] z, int channels, in Pool2dGeometry pool)
        {
            Values = (float[])z.Clone();
            RunningMean = new float[channels];
            RunningVar = Enumerable.Repeat(1f, channels).ToArray();
            InvStd = new float[channels];
            GammaGradient = new float[channels];
            BetaGradient = new float[channels];
            Pooled = new float[pool.OutputLength];
            Argmax = new int[pool.OutputLength];
            Winners = new float[pool.OutputLength];
            InputGradient = new float[pool.InputLength];
        }

        public float[] Values { get; }
        public float[] RunningMean { get; }
        public float[] RunningVar { get; }
        public float[] InvStd { get; }
        public float[] GammaGradient { get; }
        public float[] BetaGradient { get; }
        public float[] Pooled { get; }
        public int[] Argmax { get; }
        public float[] Winners { get; }
        public float[] InputGradient { get; }
    }
}
