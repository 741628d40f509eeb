using System.Runtime.CompilerServices;

namespace DslNet.Samples.StreamRec;

/// <summary>
/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64, with Box–Muller normals. A value type with no
/// allocation, a few nanoseconds a number, and the same sequence on every machine and .NET version for a seed
/// (unlike <see cref="Random"/>, whose seeded algorithm is not a documented contract).
/// </summary>
public struct FastRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spare;
    private bool _hasSpare;

    /// <summary>A generator for (<paramref name="seed"/>, <paramref name="stream"/>): different streams are independent.</summary>
    public FastRandom(ulong seed, ulong stream = 0)
    {
        var state = Mix(seed) ^ Mix(stream + 0x632BE59BD9B4E019UL);
        _s0 = SplitMix64(ref state);
        _s1 = SplitMix64(ref state);
        _s2 = SplitMix64(ref state);
        _s3 = SplitMix64(ref state);
        _spare = 0;
        _hasSpare = false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal by the Box–Muller transform, both values of each pair used.</summary>
    public double NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }

        // 1 − u lies in (0, 1], so the logarithm is finite.
        var radius = Math.Sqrt(-2.0 * Math.Log(1.0 - NextDouble()));
        var (sin, cos) = Math.SinCos(2.0 * Math.PI * NextDouble());
        _spare = radius * sin;
        _hasSpare = true;
        return radius * cos;
    }

    /// <summary>Fills <paramref name="values"/> with standard normals (pairs at a time, no spare carried).</summary>
    public void FillGaussian(Span<float> values)
    {
        var i = 0;
        for (; i + 1 < values.Length; i += 2)
        {
            var radius = Math.Sqrt(-2.0 * Math.Log(1.0 - NextDouble()));
            var (sin, cos) = Math.SinCos(2.0 * Math.PI * NextDouble());
            values[i] = (float)(radius * cos);
            values[i + 1] = (float)(radius * sin);
        }

        if (i < values.Length) values[i] = (float)NextGaussian();
    }

    /// <summary>SplitMix64's finalizer: a bijective mix of 64 bits, used to derive seeds.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong SplitMix64(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
