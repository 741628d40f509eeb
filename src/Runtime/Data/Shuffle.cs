namespace DslNet;

/// <summary>
/// Deterministic Fisher–Yates shuffling keyed by (seed, stream). The stream is the epoch for batches (−1 for a
/// train/validation split), so every epoch has its own order and a run can be replayed from any epoch without
/// replaying the ones before it.
/// </summary>
/// <remarks>
/// Uses SplitMix64 rather than <see cref="Random"/>: it is a documented, stable sequence, it needs no
/// allocation, and mixing the seed and stream through it gives unrelated streams for neighbouring epochs.
/// </remarks>
internal static class Shuffle
{
    public static void Permute(Span<int> order, int seed, int stream)
    {
        var state = Mix(((ulong)(uint)seed << 32) | (uint)stream);
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = Below(ref state, i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    /// <summary>A uniform integer in [0, bound) from the high bits of a 64×64 product (bias below 2⁻³²).</summary>
    private static int Below(ref ulong state, int bound) =>
        (int)Math.BigMul(Next(ref state), (ulong)bound, out _);

    private static ulong Next(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    internal static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
