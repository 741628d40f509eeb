using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DslNet.Kernels.Cpu;

/// <summary>
/// A 16-bit storage format seen from fp32: <see cref="Round(uint)"/> maps an fp32 bit pattern to the fp32 bit pattern
/// of the nearest value the format holds, exactly what a store to a 16-bit buffer and a load back would give.
/// </summary>
public interface IStorageFormat
{
    uint Round(uint bits);

    Vector<uint> Round(Vector<uint> bits);
}

/// <summary>
/// Rounds fp32 values in place to a 16-bit storage format. The CPU path keeps its fp32 workspace and rounds each
/// stored activation and activation gradient right where it is written, so every later read sees exactly the value a
/// 16-bit buffer would hold: the numerics of 16-bit storage, without its memory saving.
/// </summary>
public static class StorageRounding
{
    /// <summary>One vectorized pass; allocation-free.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Round<TFormat>(Span<float> values, TFormat format)
        where TFormat : struct, IStorageFormat
    {
        var bits = MemoryMarshal.Cast<float, uint>(values);
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= bits.Length - Vector<uint>.Count; i += Vector<uint>.Count)
                format.Round(new Vector<uint>(bits[i..])).CopyTo(bits[i..]);
        }

        for (; i < bits.Length; i++)
            bits[i] = format.Round(bits[i]);
    }
}
