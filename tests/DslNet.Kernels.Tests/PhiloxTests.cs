using DslNet.Kernels.Cpu;
using DslNet.Kernels.Numerics;

namespace DslNet.Kernels.Tests;

public class PhiloxTests
{
    [Fact]
    public void MatchesRandom123KnownAnswers()
    {
        Assert.Equal((0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u), Philox.Block(0, 0, 0, 0, 0, 0));
        Assert.Equal((0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu),
            Philox.Block(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff));
    }

    [Fact]
    public unsafe void EightWideBlockMatchesScalar()
    {
        uint* words = stackalloc uint[32];
        Philox.Block8(0xfffffffc, 7, 0x12345678, 9, 0xdeadbeef, 0xcafef00d, words);
        for (uint j = 0; j < 8; j++)
        {
            var (x0, x1, x2, x3) = Philox.Block(0xfffffffc + j, 7, 0x12345678, 9, 0xdeadbeef, 0xcafef00d);
            Assert.Equal(x0, words[j]);
            Assert.Equal(x1, words[8 + j]);
            Assert.Equal(x2, words[16 + j]);
            Assert.Equal(x3, words[24 + j]);
        }
    }
}

public class DropoutTests
{
    [Fact]
    public void NoneKeepsEverything()
    {
        Assert.Equal(0f, Dropout.None.Rate);
        Assert.Equal(1f, Dropout.None.ScaleAt(12345));
    }

    [Fact]
    public void IsDeterministicAndKeyedBySeedStepAndLayer()
    {
        var a = new Dropout(0.5f, 42, 7, 3);
        var b = new Dropout(0.5f, 42, 7, 3);
        int same = 0, differentSeed = 0, differentStep = 0, differentLayer = 0;
        for (int e = 0; e < 4096; e++)
        {
            same += a.ScaleAt(e) == b.ScaleAt(e) ? 1 : 0;
            differentSeed += a.ScaleAt(e) != new Dropout(0.5f, 43, 7, 3).ScaleAt(e) ? 1 : 0;
            differentStep += a.ScaleAt(e) != new Dropout(0.5f, 42, 8, 3).ScaleAt(e) ? 1 : 0;
            differentLayer += a.ScaleAt(e) != new Dropout(0.5f, 42, 7, 4).ScaleAt(e) ? 1 : 0;
        }

        Assert.Equal(4096, same);
        Assert.InRange(differentSeed, 1700, 2400);
        Assert.InRange(differentStep, 1700, 2400);
        Assert.InRange(differentLayer, 1700, 2400);
    }

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.3f)]
    [InlineData(0.5f)]
    [InlineData(0.9f)]
    public void DropsAboutRateAndScalesKept(float rate)
    {
        const int Count = 100_000;
        var dropout = new Dropout(rate, 1234567890123UL, 99, 2);
        int zeros = 0;
        float keep = 1f / (1f - rate);
        for (int e = 0; e < Count; e++)
        {
            float s = dropout.ScaleAt(e);
            if (s == 0f)
            {
                zeros++;
            }
            else
            {
                Assert.Equal(keep, s);
            }
        }

        Assert.InRange(zeros / (double)Count, rate - 0.01, rate + 0.01);
    }

    [Theory]
    [InlineData(0, 100_000)]
    [InlineData(5, 77)]
    [InlineData(31, 1)]
    [InlineData(33, 64)]
    [InlineData(1000, 3)]
    public unsafe void ApplyMatchesScaleAt(int element0, int count)
    {
        var dropout = new Dropout(0.3f, 5, -3, 1);
        var values = TestUtil.Random(count, 9);
        var expected = values.Select((v, i) => v * dropout.ScaleAt(element0 + i)).ToArray();
        fixed (float* p = values)
        {
            dropout.Apply(p, element0, count);
        }

        Assert.Equal(expected, values);
    }

    [Theory]
    [InlineData(0, 100_000)]
    [InlineData(5, 77)]
    [InlineData(31, 1)]
    [InlineData(33, 64)]
    [InlineData(1000, 3)]
    [InlineData(64, 200)]
    public unsafe void RecordedMaskReplaysTheDrawnMaskBitForBit(int element0, int count)
    {
        var dropout = new Dropout(0.3f, 5, -3, 1);
        var bits = GC.AllocateArray<float>((element0 + count + 31) / 32 + 1, pinned: true);
        bits.AsSpan().Fill(BitConverter.Int32BitsToSingle(0x5A5A5A5A)); // stale bits from an earlier step
        var forward = TestUtil.Random(count, 9);
        var backward = TestUtil.Random(count, 10);
        backward[0] = float.NaN;
        backward[count - 1] = float.NegativeInfinity;
        var expectedForward = (float[])forward.Clone();
        var expectedBackward = (float[])backward.Clone();
        fixed (float* f = forward)
        fixed (float* b = backward)
        fixed (float* ef = expectedForward)
        fixed (float* eb = expectedBackward)
        {
            dropout.Apply(ef, element0, count);
            dropout.Apply(eb, element0, count);
            // Split into pieces, as threads and GEMM tiles do, so partial words are written and read too.
            for (int first = 0; first < count; first += 45)
            {
                dropout.RecordingMask(bits).Apply(f + first, element0 + first, Math.Min(45, count - first));
            }

            for (int first = 0; first < count; first += 70)
            {
                dropout.ReplayingMask(bits).Apply(b + first, element0 + first, Math.Min(70, count - first));
            }
        }

        Assert.Equal(expectedForward.Select(BitConverter.SingleToInt32Bits), forward.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(expectedBackward.Select(BitConverter.SingleToInt32Bits), backward.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public unsafe void MaskBitmapTooSmallThrows()
    {
        var bits = GC.AllocateArray<float>(2, pinned: true);
        var values = new float[100];
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            fixed (float* v = values)
            {
                new Dropout(0.3f, 1, 1, 1).RecordingMask(bits).Apply(v, 0, values.Length);
            }
        });
    }

    [Fact]
    public void RejectsRateOutsideUnitInterval()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1f, 0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(-0.1f, 0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(float.NaN, 0, 0, 0));
    }
}
