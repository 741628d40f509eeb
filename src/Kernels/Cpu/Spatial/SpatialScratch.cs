using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DslNet.Kernels.Cpu.Spatial;

/// <summary>
/// Per-thread working memory of the spatial kernels (im2col chunks, reordered weights, partial weight gradients) on
/// the pinned object heap: grown during the first steps, then reused, so a training step allocates nothing.
/// </summary>
internal static unsafe class SpatialScratch
{
    [ThreadStatic]
    private static float[]? columns;

    [ThreadStatic]
    private static float[]? weights;

    [ThreadStatic]
    private static float[]? packedWeights;

    [ThreadStatic]
    private static double[]? partials;

    [ThreadStatic]
    private static float[]? zeros;

    [ThreadStatic]
    private static int[]? tapOffsets;

    /// <summary>A thread's im2col chunk (used inside tasks).</summary>
    public static float* Columns(long length) => Ensure(ref columns, length);

    /// <summary>The caller's reordered weights, read by every task of one call.</summary>
    public static float* Weights(long length) => Ensure(ref weights, length);

    /// <summary>The caller's weights packed into GEMM panels, read by every task of one call.</summary>
    public static float* PackedWeights(long length) => Ensure(ref packedWeights, length);

    /// <summary>The caller's per-thread partial sums of a reduction, read back after the join.</summary>
    public static double* Partials(long length) => Ensure(ref partials, length);

    /// <summary>A thread's row of zeros, never written: the padding's pixels that a Winograd transform reads.</summary>
    public static float* Zeros(long length) => Ensure(ref zeros, length, zeroed: true);

    /// <summary>A thread's list of a pooling window's input offsets (any window size, nothing on the stack).</summary>
    public static int* TapOffsets(long length) => Ensure(ref tapOffsets, length);

    private static T* Ensure<T>(ref T[]? buffer, long length, bool zeroed = false)
        where T : unmanaged
    {
        if (buffer is null || buffer.Length < length + 16)
        {
            buffer = zeroed
                ? GC.AllocateArray<T>(checked((int)length + 16), pinned: true)
                : GC.AllocateUninitializedArray<T>(checked((int)length + 16), pinned: true);
        }

        var p = (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        return (T*)(((nint)p + 63) & ~(nint)63);
    }
}
