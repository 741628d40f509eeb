using DslNet.Kernels.Cpu;
using DslNet.Kernels.Gpu;

namespace DslNet.Kernels.Tests;

/// <summary>
/// The CPU path's 16-bit storage rounding is bit-exact with the conversions it stands in for: fp16 with
/// System.Half's round-to-nearest-even store and load, bf16 with the device kernels' conversion and the RNE definition.
/// Edge cases are listed by name; a strided sweep over every exponent covers the rest, through the vector loop and
/// its scalar tail alike.
/// </summary>
public sealed class StorageRoundingTests
{
    private static float Bits(uint bits) => BitConverter.UInt32BitsToSingle(bits);

    private static float Pow2(int exponent) => (float)Math.Pow(2, exponent);

    public static TheoryData<float, float> Float16Cases() => new()
    {
        { 0f, 0f },
        { -0f, -0f },
        { 1f, 1f },
        { Pow2(-24), Pow2(-24) },                       // smallest subnormal
        { Pow2(-25), 0f },                              // tie between 0 and 2^-24: to even, 0
        { -Pow2(-25), -0f },                            // the sign survives a flush
        { 1.5f * Pow2(-25), Pow2(-24) },
        { 3 * Pow2(-25), Pow2(-23) },                   // tie between 1·2^-24 and 2·2^-24: to even
        { Pow2(-14) - Pow2(-30), Pow2(-14) },           // just below the smallest normal rounds up to it
        { float.Epsilon, 0f },                          // an fp32 subnormal
        { 1f + Pow2(-11), 1f },                         // tie: to even
        { 1f + 3 * Pow2(-11), 1f + Pow2(-9) },          // tie: to even, upwards
        { 65504f, 65504f },                             // max finite
        { 65519.996f, 65504f },
        { 65520f, float.PositiveInfinity },             // overflows like a real fp16 store
        { -65520f, float.NegativeInfinity },
        { float.MaxValue, float.PositiveInfinity },
        { float.PositiveInfinity, float.PositiveInfinity },
        { float.NegativeInfinity, float.NegativeInfinity },
    };

    [Theory]
    [MemberData(nameof(Float16Cases))]
    public void Float16_edge_cases(float value, float expected)
    {
        Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits((float)(Half)value));
        AssertRoundsTo(value, expected, default(Float16Storage));
    }

    public static TheoryData<float, float> BFloat16Cases() => new()
    {
        { 0f, 0f },
        { -0f, -0f },
        { 1f + Pow2(-8), 1f },                          // tie: to even
        { 1f + 3 * Pow2(-8), 1f + Pow2(-6) },           // tie: to even, upwards
        { 1f + Pow2(-8) + Pow2(-20), 1f + Pow2(-7) },   // just above the tie
        { float.Epsilon, 0f },                          // fp32 subnormals keep their top 7 mantissa bits: this one has none
        { Bits(0x0001_8000u), Bits(0x0002_0000u) },     // a subnormal tie, to even
        { float.MaxValue, float.PositiveInfinity },     // rounds up past the largest bf16
        { Bits(0x7F7F_7FFFu), Bits(0x7F7F_0000u) },     // the largest value that does not
        { float.NegativeInfinity, float.NegativeInfinity },
    };

    [Theory]
    [MemberData(nameof(BFloat16Cases))]
    public void BFloat16_edge_cases(float value, float expected)
    {
        Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(BFloat16.ToFloat(BFloat16.FromFloat(value))));
        AssertRoundsTo(value, expected, default(BFloat16Storage));
    }

    [Theory]
    [InlineData(0x7FC0_0000u)]
    [InlineData(0xFFC0_0000u)]
    [InlineData(0x7F80_0001u)]                          // signalling NaN, payload only in the bits a 16-bit format drops
    [InlineData(0xFFBF_FFFFu)]
    public void NaN_stays_NaN_and_quiet(uint bits)
    {
        foreach (var rounded in new[] { RoundOne(Bits(bits), default(Float16Storage)), RoundOne(Bits(bits), default(BFloat16Storage)) })
        {
            Assert.True(float.IsNaN(rounded));
            Assert.NotEqual(0u, BitConverter.SingleToUInt32Bits(rounded) & 0x0040_0000u);
        }

        Assert.Equal(BitConverter.SingleToUInt32Bits((float)(Half)Bits(bits)), BitConverter.SingleToUInt32Bits(RoundOne(Bits(bits), default(Float16Storage))));
        Assert.Equal(BitConverter.SingleToUInt32Bits(BFloat16.ToFloat(BFloat16.FromFloat(Bits(bits)))),
            BitConverter.SingleToUInt32Bits(RoundOne(Bits(bits), default(BFloat16Storage))));
    }

    [Fact]
    public void Float16_matches_System_Half_across_every_exponent()
    {
        var (values, expected) = Sweep(value => (float)(Half)value);
        StorageRounding.Round(values, default(Float16Storage));
        AssertBitIdentical(expected, values, "fp16");
    }

    [Fact]
    public void BFloat16_matches_the_device_conversion_across_every_exponent()
    {
        var (values, expected) = Sweep(value => BFloat16.ToFloat(BFloat16.FromFloat(value)));
        StorageRounding.Round(values, default(BFloat16Storage));
        AssertBitIdentical(expected, values, "bf16");
    }

    [Fact]
    public void BFloat16_is_round_to_nearest_even_by_definition()
    {
        // Independent of any bit trick: the two bf16 neighbours of x, the nearer wins, a tie goes to the even one.
        var random = new Random(11);
        for (var n = 0; n < 100_000; n++)
        {
            var x = Bits((uint)random.Next(0, 0x7F7F_0000));
            var bits = BitConverter.SingleToUInt32Bits(x);
            var down = Bits(bits & 0xFFFF_0000u);
            var up = Bits((bits & 0xFFFF_0000u) + 0x1_0000u);
            var toDown = (double)x - down;
            var toUp = (double)up - x;
            var expected = toDown < toUp ? down : toUp < toDown ? up : ((bits >> 16) & 1u) == 0 ? down : up;
            Assert.Equal(expected, RoundOne(x, default(BFloat16Storage)));
        }
    }

    // Every 4099th bit pattern (odd, so every mantissa residue and both signs appear), plus every value with few
    // mantissa bits set near the fp16 ties. The length is not a multiple of any vector width: the scalar tail runs too.
    private static (float[] Values, float[] Expected) Sweep(Func<float, float> reference)
    {
        var values = new List<float>();
        for (ulong bits = 0; bits <= uint.MaxValue; bits += 4099)
            values.Add(Bits((uint)bits));
        for (uint exponent = 0; exponent < 256; exponent++)
            foreach (var low in new uint[] { 0x0FFF, 0x1000, 0x1001, 0x3000, 0x7FFF, 0x8000, 0x8001, 0x18000 })
                values.Add(Bits((exponent << 23) | low));
        if (values.Count % 64 == 0) values.Add(1f / 3);
        var array = values.ToArray();
        return (array, array.Select(reference).ToArray());
    }

    private static void AssertBitIdentical(float[] expected, float[] actual, string format)
    {
        for (var i = 0; i < expected.Length; i++)
        {
            var e = BitConverter.SingleToUInt32Bits(expected[i]);
            var a = BitConverter.SingleToUInt32Bits(actual[i]);
            if (e != a) Assert.Fail($"{format}: element {i} expected 0x{e:X8}, got 0x{a:X8}");
        }
    }

    private static void AssertRoundsTo<TFormat>(float value, float expected, TFormat format)
        where TFormat : struct, IStorageFormat
    {
        // Scalar path and vector path (a run of 67 copies covers both, whatever the vector width).
        Assert.Equal(BitConverter.SingleToUInt32Bits(expected), format.Round(BitConverter.SingleToUInt32Bits(value)));
        var run = Enumerable.Repeat(value, 67).ToArray();
        StorageRounding.Round(run, format);
        Assert.All(run, r => Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(r)));
    }

    private static float RoundOne<TFormat>(float value, TFormat format)
        where TFormat : struct, IStorageFormat
    {
        var run = new[] { value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value };
        StorageRounding.Round(run, format);
        Assert.Equal(BitConverter.SingleToUInt32Bits(run[0]), BitConverter.SingleToUInt32Bits(run[^1]));
        return run[0];
    }
}
