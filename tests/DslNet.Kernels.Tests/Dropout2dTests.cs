using DslNet.Kernels.Cpu;
using DslNet.Kernels.Cpu.Spatial;

namespace DslNet.Kernels.Tests;

public class Dropout2dTests
{
    private const int Batch = 64, Pixels = 49, Channels = 40;

    [Fact]
    public void DropsWholeChannelsWithDropoutsOwnMaskAndScalesTheRest()
    {
        var dropout = new Dropout(0.3f, 42, 7, 3);
        var x = TestUtil.Random(Batch * Pixels * Channels, 1);
        var y = new float[x.Length];
        TestUtil.With(2, Gemm.Isa, () => Dropout2d.Forward(x, y, dropout, Batch, Pixels, Channels));
        int dropped = 0;
        for (int n = 0; n < Batch; n++)
        {
            for (int c = 0; c < Channels; c++)
            {
                // The channel's factor is Dropout's factor for element n·C + c: the same Philox key, counter and word.
                float scale = dropout.ScaleAt(n * Channels + c);
                dropped += scale == 0f ? 1 : 0;
                for (int p = 0; p < Pixels; p++)
                {
                    int i = (n * Pixels + p) * Channels + c;
                    Assert.Equal(x[i] * scale, y[i]);
                }
            }
        }

        double rate = dropped / (double)(Batch * Channels);
        Assert.InRange(rate, 0.25, 0.35);
    }

    [Fact]
    public void BackwardRedrawsTheForwardMaskAndInPlaceWorks()
    {
        var dropout = new Dropout(0.5f, 9, 100, 1);
        var dy = TestUtil.Random(Batch * Pixels * Channels, 2);
        var expected = new float[dy.Length];
        Dropout2d.Forward(dy, expected, dropout, Batch, Pixels, Channels);
        var inPlace = (float[])dy.Clone();
        TestUtil.With(1, Gemm.Isa, () => Dropout2d.Backward(inPlace, inPlace, dropout, Batch, Pixels, Channels));
        Assert.Equal(expected, inPlace);

        // Another step draws another mask.
        var other = new float[dy.Length];
        Dropout2d.Forward(dy, other, new Dropout(0.5f, 9, 101, 1), Batch, Pixels, Channels);
        Assert.NotEqual(expected, other);
    }

    [Fact]
    public void RateZeroIsTheIdentity()
    {
        var x = TestUtil.Random(2 * 3 * 5, 3);
        var y = new float[x.Length];
        Dropout2d.Forward(x, y, Dropout.None, 2, 3, 5);
        Assert.Equal(x, y);
    }
}
