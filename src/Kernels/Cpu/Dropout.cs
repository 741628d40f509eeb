using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using DslNet.Kernels.Numerics;

namespace DslNet.Kernels.Cpu;

/// <summary>
/// Inverted dropout whose mask is recomputed, never stored: element <c>e</c> of a layer's batch output is kept iff
/// a Philox-4x32-10 uniform is &gt;= <see cref="Rate"/>; kept elements are scaled by 1/(1-rate).
/// </summary>
/// <remarks>
/// Mapping (the GPU kernels must follow it bit for bit): key = (seed low 32 bits, seed high 32 bits);
/// with <c>b = e / 32</c>, <c>w = (e % 32) / 8</c>, <c>j = e % 8</c>, the counter is
/// (8*b + j, layer, step low 32 bits, step high 32 bits) and the random word is output word <c>w</c>;
/// uniform = (word &gt;&gt; 8) * 2^-24. One Philox block thus serves four elements, and 32 consecutive
/// elements come from eight blocks whose same-index words are contiguous, which keeps the CPU path shuffle-free.
/// </remarks>
public readonly struct Dropout
{
    private const float UniformScale = 1f / 16777216f;
    private readonly uint key0;
    private readonly uint key1;
    private readonly uint layer;
    private readonly uint stepLow;
    private readonly uint stepHigh;
    private readonly float keepScale;

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

    public static Dropout None => default;

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
    public unsafe void Apply(float* values, int element0, int count)
    {
        if (Rate == 0f)
        {
            return;
        }

        uint* words = stackalloc uint[64];
        int element = element0;
        int end = element0 + count;
        if (Vector512.IsHardwareAccelerated)
        {
            // Two aligned chunks per Philox call while they last: the interleaved blocks hide the multiplier latency.
            while ((element & 31) == 0 && end - element >= 64)
            {
                Philox.Block16((uint)((element >> 5) * 8), layer, stepLow, stepHigh, key0, key1, words);
                float* v = values + (element - element0);
                ApplyChunk512(v, words);
                ApplyChunk512(v + 32, words + 32);
                element += 64;
            }
        }

        while (element < end)
        {
            int start = element & 31;
            int n = Math.Min(32 - start, end - element);
            Philox.Block8((uint)((element >> 5) * 8), layer, stepLow, stepHigh, key0, key1, words);
            float* v = values + (element - element0);
            if (n == 32 && Vector512.IsHardwareAccelerated)
            {
                ApplyChunk512(v, words);
            }
            else if (n == 32 && Vector256.IsHardwareAccelerated)
            {
                ApplyChunk256(v, words);
            }
            else
            {
                for (int i = 0; i < n; i++)
                {
                    uint word = words[start + i];
                    v[i] = (word >> 8) * UniformScale >= Rate ? v[i] * keepScale : 0f;
                }
            }

            element += n;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void ApplyChunk512(float* v, uint* words)
    {
        var rate = Vector512.Create(Rate);
        var scale = Vector512.Create(keepScale);
        for (int q = 0; q < 32; q += 16)
        {
            var u = Vector512.ConvertToSingle((Vector512.Load(words + q) >>> 8).AsInt32()) * UniformScale;
            var x = Vector512.Load(v + q);
            Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(u, rate), x * scale, Vector512<float>.Zero).Store(v + q);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void ApplyChunk256(float* v, uint* words)
    {
        var rate = Vector256.Create(Rate);
        var scale = Vector256.Create(keepScale);
        for (int q = 0; q < 32; q += 8)
        {
            var u = Vector256.ConvertToSingle((Vector256.Load(words + q) >>> 8).AsInt32()) * UniformScale;
            var x = Vector256.Load(v + q);
            Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(u, rate), x * scale, Vector256<float>.Zero).Store(v + q);
        }
    }
}
