using DslNet.Kernels.Numerics;

namespace DslNet.Kernels.Gpu;

/// <summary>
/// The device side of <see cref="Cpu.Dropout"/>: the same Philox-4x32-10 block and the same element → (counter, word)
/// mapping, so a GPU step draws exactly the CPU step's mask. Built inside a kernel from the block's constant rate and
/// layer and the step's seed and count (no validation: the generator checked the rate).
/// </summary>
public readonly struct GpuDropout
{
    private const float UniformScale = 1f / 16777216f;
    private readonly float rate;
    private readonly float keepScale;
    private readonly uint key0, key1, layer, stepLow, stepHigh;

    public GpuDropout(float rate, ulong seed, long step, int layer)
    {
        this.rate = rate;
        keepScale = rate == 0f ? 1f : 1f / (1f - rate);
        key0 = (uint)seed;
        key1 = (uint)(seed >> 32);
        this.layer = (uint)layer;
        stepLow = (uint)step;
        stepHigh = (uint)((ulong)step >> 32);
    }

    /// <summary>0 or 1/(1-rate) for element <paramref name="element"/> of the block's [rows, units] output.</summary>
    public float ScaleAt(int element)
    {
        if (rate == 0f) return 1f;
        uint counter = (uint)((element >> 5) * 8 + (element & 7));
        var (x0, x1, x2, x3) = Philox.Block(counter, layer, stepLow, stepHigh, key0, key1);
        int w = (element >> 3) & 3;
        uint word = w == 0 ? x0 : w == 1 ? x1 : w == 2 ? x2 : x3;
        return (word >> 8) * UniformScale >= rate ? keepScale : 0f;
    }
}
