using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DslNet.Kernels.Numerics;

/// <summary>
/// Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11), bit-exact with Random123's
/// <c>philox4x32_10</c>. Counter-based, so any element's random word is a pure function of (key, counter): CPU and GPU
/// kernels draw identical dropout masks without sharing state.
/// </summary>
public static class Philox
{
    public const uint Multiplier0 = 0xD2511F53;
    public const uint Multiplier1 = 0xCD9E8D57;
    public const uint KeyBump0 = 0x9E3779B9;
    public const uint KeyBump1 = 0xBB67AE85;
    public const int Rounds = 10;

    /// <summary>One 4x32 block: returns the four output words for counter (c0..c3) and key (k0, k1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (uint X0, uint X1, uint X2, uint X3) Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int round = 0; round < Rounds; round++)
        {
            if (round > 0)
            {
                k0 += KeyBump0;
                k1 += KeyBump1;
            }

            ulong p0 = (ulong)Multiplier0 * c0;
            ulong p1 = (ulong)Multiplier1 * c2;
            uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
            uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
            c1 = (uint)p1;
            c3 = (uint)p0;
            c0 = n0;
            c2 = n2;
        }

        return (c0, c1, c2, c3);
    }

    /// <summary>
    /// Eight blocks at once with counters (c0 + 0..7, c1, c2, c3); writes word w of block j to <c>output[8*w + j]</c>.
    /// The lane layout is what <see cref="DslNet.Kernels.Cpu.Dropout"/> defines as its element order, so a 32-element
    /// chunk of a dropout mask is one call with no shuffles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Block8(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint* output)
    {
        if (Avx512F.IsSupported)
        {
            Block8Avx512(c0, c1, c2, c3, k0, k1, output);
            return;
        }

        if (Avx2.IsSupported)
        {
            Block4Avx2(c0, c1, c2, c3, k0, k1, output, 0);
            Block4Avx2(c0 + 4, c1, c2, c3, k0, k1, output, 4);
            return;
        }

        for (uint j = 0; j < 8; j++)
        {
            var (x0, x1, x2, x3) = Block(c0 + j, c1, c2, c3, k0, k1);
            output[j] = x0;
            output[8 + j] = x1;
            output[16 + j] = x2;
            output[24 + j] = x3;
        }
    }

    /// <summary>
    /// Sixteen blocks: <see cref="Block8"/> for counters c0 + 0..7 into <c>output[0..32)</c> and c0 + 8..15 into
    /// <c>output[32..64)</c>. The two independent chains are interleaved so the multiplier's latency is hidden.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Block16(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint* output)
    {
        if (Avx512F.IsSupported)
        {
            Block16Avx512(c0, c1, c2, c3, k0, k1, output);
            return;
        }

        Block8(c0, c1, c2, c3, k0, k1, output);
        Block8(c0 + 8, c1, c2, c3, k0, k1, output + 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Block16Avx512(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint* output)
    {
        var low = Vector512.Create(0xFFFFFFFFUL);
        var m0 = Vector512.Create((ulong)Multiplier0).AsUInt32();
        var m1 = Vector512.Create((ulong)Multiplier1).AsUInt32();
        var a0 = (Vector512.Create((ulong)c0) + Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7)) & low;
        var b0 = (Vector512.Create((ulong)c0) + Vector512.Create(8UL, 9, 10, 11, 12, 13, 14, 15)) & low;
        var a1 = Vector512.Create((ulong)c1);
        var a2 = Vector512.Create((ulong)c2);
        var a3 = Vector512.Create((ulong)c3);
        var b1 = a1;
        var b2 = a2;
        var b3 = a3;
        for (int round = 0; round < Rounds; round++)
        {
            if (round > 0)
            {
                k0 += KeyBump0;
                k1 += KeyBump1;
            }

            var key0 = Vector512.Create((ulong)k0);
            var key1 = Vector512.Create((ulong)k1);
            var pa0 = Avx512F.Multiply(a0.AsUInt32(), m0);
            var pa1 = Avx512F.Multiply(a2.AsUInt32(), m1);
            var pb0 = Avx512F.Multiply(b0.AsUInt32(), m0);
            var pb1 = Avx512F.Multiply(b2.AsUInt32(), m1);
            var na0 = (pa1 >>> 32) ^ a1 ^ key0;
            var na2 = (pa0 >>> 32) ^ a3 ^ key1;
            var nb0 = (pb1 >>> 32) ^ b1 ^ key0;
            var nb2 = (pb0 >>> 32) ^ b3 ^ key1;
            a1 = pa1 & low;
            a3 = pa0 & low;
            b1 = pb1 & low;
            b3 = pb0 & low;
            a0 = na0;
            a2 = na2;
            b0 = nb0;
            b2 = nb2;
        }

        Avx512F.ConvertToVector256UInt32(a0).Store(output);
        Avx512F.ConvertToVector256UInt32(a1).Store(output + 8);
        Avx512F.ConvertToVector256UInt32(a2).Store(output + 16);
        Avx512F.ConvertToVector256UInt32(a3).Store(output + 24);
        Avx512F.ConvertToVector256UInt32(b0).Store(output + 32);
        Avx512F.ConvertToVector256UInt32(b1).Store(output + 40);
        Avx512F.ConvertToVector256UInt32(b2).Store(output + 48);
        Avx512F.ConvertToVector256UInt32(b3).Store(output + 56);
    }

    // Each 64-bit lane holds one 32-bit word in its low half so vpmuludq yields the full 64-bit product.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Block8Avx512(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint* output)
    {
        var low = Vector512.Create(0xFFFFFFFFUL);
        var m0 = Vector512.Create((ulong)Multiplier0).AsUInt32();
        var m1 = Vector512.Create((ulong)Multiplier1).AsUInt32();
        var x0 = Vector512.Create((ulong)c0) + Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7);
        var x1 = Vector512.Create((ulong)c1);
        var x2 = Vector512.Create((ulong)c2);
        var x3 = Vector512.Create((ulong)c3);
        x0 &= low;
        for (int round = 0; round < Rounds; round++)
        {
            if (round > 0)
            {
                k0 += KeyBump0;
                k1 += KeyBump1;
            }

            var p0 = Avx512F.Multiply(x0.AsUInt32(), m0);
            var p1 = Avx512F.Multiply(x2.AsUInt32(), m1);
            var n0 = (p1 >>> 32) ^ x1 ^ Vector512.Create((ulong)k0);
            var n2 = (p0 >>> 32) ^ x3 ^ Vector512.Create((ulong)k1);
            x1 = p1 & low;
            x3 = p0 & low;
            x0 = n0;
            x2 = n2;
        }

        Avx512F.ConvertToVector256UInt32(x0).Store(output);
        Avx512F.ConvertToVector256UInt32(x1).Store(output + 8);
        Avx512F.ConvertToVector256UInt32(x2).Store(output + 16);
        Avx512F.ConvertToVector256UInt32(x3).Store(output + 24);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Block4Avx2(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint* output, int lane)
    {
        var low = Vector256.Create(0xFFFFFFFFUL);
        var m0 = Vector256.Create((ulong)Multiplier0).AsUInt32();
        var m1 = Vector256.Create((ulong)Multiplier1).AsUInt32();
        var x0 = Vector256.Create((ulong)c0) + Vector256.Create(0UL, 1, 2, 3);
        var x1 = Vector256.Create((ulong)c1);
        var x2 = Vector256.Create((ulong)c2);
        var x3 = Vector256.Create((ulong)c3);
        x0 &= low;
        for (int round = 0; round < Rounds; round++)
        {
            if (round > 0)
            {
                k0 += KeyBump0;
                k1 += KeyBump1;
            }

            var p0 = Avx2.Multiply(x0.AsUInt32(), m0);
            var p1 = Avx2.Multiply(x2.AsUInt32(), m1);
            var n0 = (p1 >>> 32) ^ x1 ^ Vector256.Create((ulong)k0);
            var n2 = (p0 >>> 32) ^ x3 ^ Vector256.Create((ulong)k1);
            x1 = p1 & low;
            x3 = p0 & low;
            x0 = n0;
            x2 = n2;
        }

        for (int j = 0; j < 4; j++)
        {
            output[lane + j] = (uint)x0.GetElement(j);
            output[8 + lane + j] = (uint)x1.GetElement(j);
            output[16 + lane + j] = (uint)x2.GetElement(j);
            output[24 + lane + j] = (uint)x3.GetElement(j);
        }
    }
}
