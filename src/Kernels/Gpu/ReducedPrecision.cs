using ILGPU;

namespace DslNet.Kernels.Gpu;

/// <summary>
/// bfloat16 stored as <see cref="ushort"/> (ILGPU has no bf16 type): the top half of an fp32, rounded to nearest even;
/// NaN stays NaN (quiet). Works on the host and inside kernels.
/// </summary>
public static class BFloat16
{
    public static ushort FromFloat(float value)
    {
        uint bits = Interop.FloatAsInt(value);
        if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (ushort)((bits >> 16) | 0x40u);
        uint roundingBias = 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)((bits + roundingBias) >> 16);
    }

    public static float ToFloat(ushort value) => Interop.IntAsFloat((uint)value << 16);

    /// <summary>True for ±∞ and NaN: the loss scaler's overflow test.</summary>
    public static bool IsOverflow(ushort bits) => (bits & 0x7F80) == 0x7F80;
}

/// <summary>
/// IEEE fp16 stored as <see cref="ushort"/> bits, converted with bit operations and round to nearest even (ILGPU.Half's
/// own host-side cast truncates, so it would disagree with the GPU's cvt.rn and with System.Half). Host and kernels.
/// </summary>
public static class Float16
{
    public static ushort FromFloat(float value)
    {
        uint x = Interop.FloatAsInt(value);
        uint sign = (x >> 16) & 0x8000u;
        uint abs = x & 0x7FFFFFFFu;
        if (abs >= 0x7F800000u) return (ushort)(sign | (abs > 0x7F800000u ? 0x7E00u : 0x7C00u));
        if (abs >= 0x477FF000u) return (ushort)(sign | 0x7C00u);      // ≥ 65520 rounds to ∞
        if (abs < 0x38800000u)                                       // below 2^-14: subnormal or zero
        {
            if (abs < 0x33000000u) return (ushort)sign;
            uint exponent = abs >> 23, mantissa = (abs & 0x7FFFFFu) | 0x800000u;
            int shift = (int)(126 - exponent);
            uint result = mantissa >> shift, rest = mantissa & ((1u << shift) - 1), half = 1u << (shift - 1);
            if (rest > half || (rest == half && (result & 1u) != 0)) result++;
            return (ushort)(sign | result);
        }

        uint rebased = abs - 0x38000000u;                            // exponent bias 127 → 15
        return (ushort)(sign | ((rebased + 0xFFFu + ((rebased >> 13) & 1u)) >> 13));
    }

    public static float ToFloat(ushort bits)
    {
        uint sign = (uint)(bits & 0x8000) << 16;
        uint exponent = (uint)(bits >> 10) & 0x1Fu, mantissa = bits & 0x3FFu;
        if (exponent == 0)
        {
            float magnitude = mantissa * (1f / 16777216f);
            return sign != 0 ? -magnitude : magnitude;
        }

        if (exponent == 31) return Interop.IntAsFloat(sign | 0x7F800000u | (mantissa << 13));
        return Interop.IntAsFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /// <summary>True for ±∞ and NaN: the loss scaler's overflow test.</summary>
    public static bool IsOverflow(ushort bits) => (bits & 0x7C00) == 0x7C00;
}
