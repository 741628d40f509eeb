using System.Numerics;

namespace DslNet.Kernels.Cpu;

/// <summary>
/// IEEE binary16, round to nearest even, bit-exact with <c>(float)(Half)x</c>: |x| ≥ 65520 becomes ±∞ as a real fp16
/// store overflows, values below 2^-14 land on the subnormal grid (multiples of 2^-24) and below 2^-25 flush to ±0,
/// NaN stays NaN (quiet, its top payload bits kept).
/// </summary>
public readonly struct Float16Storage : IStorageFormat
{
    private const uint AbsMask = 0x7FFF_FFFFu;
    private const uint Infinity = 0x7F80_0000u;
    private const uint QuietBit = 0x0040_0000u;
    private const uint DroppedMantissa = 0x1FFFu;      // fp32 keeps 23 mantissa bits, fp16 10: the low 13 go
    private const uint HalfUlpLessOne = 0x0FFFu;
    private const uint SmallestNormal = 0x3880_0000u;  // 2^-14
    private const uint Overflow = 0x477F_F000u;        // 65520: halfway between 65504 (max finite) and 65536

    // Adding 0.5 moves |x| < 2^-14 into [0.5, 1), where an fp32 ulp is 2^-24, fp16's subnormal spacing: the add
    // rounds to that grid with fp32's own round-to-nearest-even, and subtracting 0.5 again is exact.
    private const float SubnormalGridShift = 0.5f;

    public uint Round(uint bits)
    {
        var abs = bits & AbsMask;
        var sign = bits ^ abs;
        uint rounded;
        if (abs > Infinity) rounded = (abs & ~DroppedMantissa) | QuietBit;
        else if (abs >= Overflow) rounded = Infinity;
        else if (abs < SmallestNormal) rounded = BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle(abs) + SubnormalGridShift - SubnormalGridShift);
        else rounded = (abs + HalfUlpLessOne + ((abs >> 13) & 1u)) & ~DroppedMantissa;
        return rounded | sign;
    }

    public Vector<uint> Round(Vector<uint> bits)
    {
        var abs = bits & new Vector<uint>(AbsMask);
        var sign = bits ^ abs;
        var normal = (abs + new Vector<uint>(HalfUlpLessOne) + (Vector.ShiftRightLogical(abs, 13) & Vector<uint>.One)) & new Vector<uint>(~DroppedMantissa);
        var shift = new Vector<float>(SubnormalGridShift);
        var subnormal = Vector.AsVectorUInt32(Vector.AsVectorSingle(abs) + shift - shift);
        var rounded = Vector.ConditionalSelect(Vector.LessThan(abs, new Vector<uint>(SmallestNormal)), subnormal, normal);
        rounded = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(abs, new Vector<uint>(Overflow)), new Vector<uint>(Infinity), rounded);
        var nan = (abs & new Vector<uint>(~DroppedMantissa)) | new Vector<uint>(QuietBit);
        rounded = Vector.ConditionalSelect(Vector.GreaterThan(abs, new Vector<uint>(Infinity)), nan, rounded);
        return rounded | sign;
    }
}

/// <summary>
/// bfloat16: the top 16 bits of an fp32, rounded to nearest even (overflow carries into ±∞); NaN stays NaN (quiet).
/// The same conversion as <c>DslNet.Kernels.Gpu.BFloat16.FromFloat</c> and PyTorch's <c>round_to_nearest_even</c>.
/// </summary>
public readonly struct BFloat16Storage : IStorageFormat
{
    private const uint AbsMask = 0x7FFF_FFFFu;
    private const uint Infinity = 0x7F80_0000u;
    private const uint QuietBit = 0x0040_0000u;
    private const uint KeptBits = 0xFFFF_0000u;
    private const uint HalfUlpLessOne = 0x7FFFu;

    public uint Round(uint bits)
    {
        if ((bits & AbsMask) > Infinity) return (bits | QuietBit) & KeptBits;
        return (bits + HalfUlpLessOne + ((bits >> 16) & 1u)) & KeptBits;
    }

    public Vector<uint> Round(Vector<uint> bits)
    {
        var rounded = (bits + new Vector<uint>(HalfUlpLessOne) + (Vector.ShiftRightLogical(bits, 16) & Vector<uint>.One)) & new Vector<uint>(KeptBits);
        var nan = (bits | new Vector<uint>(QuietBit)) & new Vector<uint>(KeptBits);
        return Vector.ConditionalSelect(Vector.GreaterThan(bits & new Vector<uint>(AbsMask), new Vector<uint>(Infinity)), nan, rounded);
    }
}
