using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using DslNet.Kernels.Numerics;

namespace DslNet.Kernels.Cpu;

/// <summary>
/// Inverted dropout whose mask is drawn from a counter-based generator (optionally recorded as bits for the backward
/// pass, see below): element <c>e</c> of a layer's batch output is kept iff
/// a Philox-4x32-10 uniform is &gt;= <see cref="Rate"/>; kept elements are scaled by 1/(1-rate).
/// </summary>
/// <remarks>
/// Mapping (the GPU kernels must follow it bit for bit): key = (seed low 32 bits, seed high 32 bits);
/// with <c>b = e / 32</c>, <c>w = (e % 32) / 8</c>, <c>j = e % 8</c>, the counter is
/// (8*b + j, layer, step low 32 bits, step high 32 bits) and the random word is output word <c>w</c>;
/// uniform = (word &gt;&gt; 8) * 2^-24. One Philox block thus serves four elements, and 32 consecutive
/// elements come from eight blocks whose same-index words are contiguous, which keeps the CPU path shuffle-free.
/// <para>A training step can draw each mask once: the forward pass takes <see cref="RecordingMask"/>, which also writes
/// element <c>e</c>'s kept bit to bit <c>e % 32</c> of word <c>e / 32</c> of a bitmap, and the backward pass takes
/// <see cref="ReplayingMask"/>, which reads the bits instead of drawing Philox blocks. Either way kept elements are
/// multiplied by 1/(1-rate) and dropped ones set to 0, so the results are bit for bit those of redrawing.</para>
/// </remarks>
public readonly unsafe struct Dropout
{
    private const float UniformScale = 1f / 16777216f;
    private readonly uint key0;
    private readonly uint key1;
    private readonly uint layer;
    private readonly uint stepLow;
    private readonly uint stepHigh;
    private readonly float keepScale;
    private readonly uint* maskBits;
    private readonly int maskWords;
    private readonly bool replay;

    public Dropout(float rate, ulong seed, long step, int layer)
    {
        if (!(rate >= 0f && rate < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "Dropout rate must be in [0, 1).");
        }

        Rate = rate;
        keepScale = 1f / (1f - rate);
        key0 = (uint)seed;
        key1 = (uint)(seed >> 32);
        this.layer = (uint)layer;
        stepLow = (uint)step;
        stepHigh = (uint)((ulong)step >> 32);
    }

    private Dropout(in Dropout source, uint* maskBits, int maskWords, bool replay)
    {
        this = source;
        this.maskBits = maskBits;
        this.maskWords = maskWords;
        this.replay = replay;
    }

    public static Dropout None => default;

    /// <summary>This dropout, also writing its kept bits to <paramref name="maskBits"/> (pinned memory, for example
    /// the model's pinned workspace, that outlives every <see cref="Apply"/> call).</summary>
    public Dropout RecordingMask(Span<float> maskBits) => WithMask(maskBits, replay: false);

    /// <summary>This dropout, reading the kept bits a <see cref="RecordingMask"/> of the same mask wrote to
    /// <paramref name="maskBits"/> instead of drawing them.</summary>
    public Dropout ReplayingMask(Span<float> maskBits) => WithMask(maskBits, replay: true);

    private Dropout WithMask(Span<float> bits, bool replay) =>
        new(this, (uint*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(MemoryMarshal.Cast<float, uint>(bits))), bits.Length, replay);

    public float Rate { get; }

    /// <summary>True when the mask is all ones, so callers can skip the pass.</summary>
    public bool IsIdentity => Rate == 0f;

    /// <summary>The factor element <paramref name="element"/> is multiplied by: 0 or 1/(1-rate).</summary>
    public float ScaleAt(int element)
    {
        if (Rate == 0f)
        {
            return 1f;
        }

        uint counter = (uint)((element >> 5) * 8 + (element & 7));
        var (x0, x1, x2, x3) = Philox.Block(counter, layer, stepLow, stepHigh, key0, key1);
        uint word = ((element >> 3) & 3) switch { 0 => x0, 1 => x1, 2 => x2, _ => x3 };
        return (word >> 8) * UniformScale >= Rate ? keepScale : 0f;
    }

    /// <summary>Multiplies <c>values[i]</c> by the scale of element <c>element0 + i</c> for i in [0, count).</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public unsafe void Apply(float* values, int element0, int count)
    {
        if (Rate == 0f)
        {
            return;
        }

        int element = element0;
        int end = element0 + count;
        if (maskBits != null)
        {
            if (element0 < 0 || ((long)end + 31) / 32 > maskWords)
            {
                throw new ArgumentOutOfRangeException(nameof(count), "The dropout mask bitmap is smaller than the elements.");
            }

            if (replay)
            {
                Replay(values, element0, count);
                return;
            }
        }

        uint* words = stackalloc uint[64];
        if (Vector512.IsHardwareAccelerated)
        {
            // Two aligned chunks per Philox call while they last: the interleaved blocks hide the multiplier latency.
            while ((element & 31) == 0 && end - element >= 64)
            {
                Philox.Block16((uint)((element >> 5) * 8), layer, stepLow, stepHigh, key0, key1, words);
                float* v = values + (element - element0);
                uint kept0 = ApplyChunk512(v, words);
                uint kept1 = ApplyChunk512(v + 32, words + 32);
                if (maskBits != null)
                {
                    maskBits[element >> 5] = kept0;
                    maskBits[(element >> 5) + 1] = kept1;
                }

                element += 64;
            }
        }

        while (element < end)
        {
            int start = element & 31;
            int n = Math.Min(32 - start, end - element);
            Philox.Block8((uint)((element >> 5) * 8), layer, stepLow, stepHigh, key0, key1, words);
            float* v = values + (element - element0);
            uint kept = 0;
            if (n == 32 && Vector512.IsHardwareAccelerated)
            {
                kept = ApplyChunk512(v, words);
            }
            else if (n == 32 && Vector256.IsHardwareAccelerated)
            {
                kept = ApplyChunk256(v, words);
            }
            else
            {
                for (int i = 0; i < n; i++)
                {
                    uint word = words[start + i];
                    bool keep = (word >> 8) * UniformScale >= Rate;
                    v[i] = keep ? v[i] * keepScale : 0f;
                    kept |= keep ? 1u << (start + i) : 0u;
                }
            }

            if (maskBits != null)
            {
                if (n == 32)
                {
                    maskBits[element >> 5] = kept;
                }
                else
                {
                    // Part of a word: another thread may be writing the rest of it (the next row's first elements).
                    uint owned = (n == 32 ? ~0u : ((1u << n) - 1)) << start;
                    Interlocked.And(ref maskBits[element >> 5], ~owned);
                    Interlocked.Or(ref maskBits[element >> 5], kept);
                }
            }

            element += n;
        }
    }

    /// <summary>Multiplies by the kept bits written earlier: the same selects as drawing, without Philox.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Replay(float* values, int element0, int count)
    {
        int element = element0;
        int end = element0 + count;
        while (element < end)
        {
            int start = element & 31;
            int n = Math.Min(32 - start, end - element);
            uint kept = maskBits[element >> 5];
            float* v = values + (element - element0);
            if (n == 32 && Vector512.IsHardwareAccelerated)
            {
                var bit = Vector512.Create(1u, 2u, 4u, 8u, 16u, 32u, 64u, 128u, 256u, 512u, 1024u, 2048u, 4096u, 8192u, 16384u, 32768u);
                var scale = Vector512.Create(keepScale);
                for (int q = 0; q < 32; q += 16)
                {
                    var keep = Vector512.Equals(Vector512.Create(kept >> q) & bit, bit).AsSingle();
                    var x = Vector512.Load(v + q);
                    Vector512.ConditionalSelect(keep, x * scale, Vector512<float>.Zero).Store(v + q);
                }
            }
            else if (n == 32 && Vector256.IsHardwareAccelerated)
            {
                var bit = Vector256.Create(1u, 2u, 4u, 8u, 16u, 32u, 64u, 128u);
                var scale = Vector256.Create(keepScale);
                for (int q = 0; q < 32; q += 8)
                {
                    var keep = Vector256.Equals(Vector256.Create(kept >> q) & bit, bit).AsSingle();
                    var x = Vector256.Load(v + q);
                    Vector256.ConditionalSelect(keep, x * scale, Vector256<float>.Zero).Store(v + q);
                }
            }
            else
            {
                for (int i = 0; i < n; i++)
                {
                    v[i] = (kept & (1u << (start + i))) != 0 ? v[i] * keepScale : 0f;
                }
            }

            element += n;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe uint ApplyChunk512(float* v, uint* words)
    {
        var rate = Vector512.Create(Rate);
        var scale = Vector512.Create(keepScale);
        uint kept = 0;
        for (int q = 0; q < 32; q += 16)
        {
            var u = Vector512.ConvertToSingle((Vector512.Load(words + q) >>> 8).AsInt32()) * UniformScale;
            var x = Vector512.Load(v + q);
            var keep = Vector512.GreaterThanOrEqual(u, rate);
            Vector512.ConditionalSelect(keep, x * scale, Vector512<float>.Zero).Store(v + q);
            kept |= (uint)keep.ExtractMostSignificantBits() << q;
        }

        return kept;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe uint ApplyChunk256(float* v, uint* words)
    {
        var rate = Vector256.Create(Rate);
        var scale = Vector256.Create(keepScale);
        uint kept = 0;
        for (int q = 0; q < 32; q += 8)
        {
            var u = Vector256.ConvertToSingle((Vector256.Load(words + q) >>> 8).AsInt32()) * UniformScale;
            var x = Vector256.Load(v + q);
            var keep = Vector256.GreaterThanOrEqual(u, rate);
            Vector256.ConditionalSelect(keep, x * scale, Vector256<float>.Zero).Store(v + q);
            kept |= keep.ExtractMostSignificantBits() << q;
        }

        return kept;
    }
}
