using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace DslNet.Kernels.Cpu;

/// <summary>Copies selected rows of a row-major matrix into consecutive rows (a shuffled mini-batch).</summary>
public static unsafe class RowGather
{
    // A shuffled batch reads rows scattered over the whole data set, mostly from memory rather than cache: asking for
    // the rows a few places ahead overlaps their misses with the copies.
    private const int RowsAhead = 8;
    private const int CacheLine = 64;

    /// <summary><c>destination[i, :] = source[rows[i], :]</c> for every i, rows of <paramref name="columns"/> values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gather(ReadOnlySpan<float> source, int columns, ReadOnlySpan<int> rows, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Gemm.CheckShape(destination.Length, (long)rows.Length * columns, nameof(destination));
        long sourceRows = columns == 0 ? 0 : source.Length / columns;
        foreach (var row in rows)
        {
            if ((uint)row >= (ulong)sourceRows) throw new ArgumentOutOfRangeException(nameof(rows), row, $"Row index outside the {sourceRows} source rows.");
        }

        fixed (float* from = source)
        fixed (float* to = destination)
        {
            for (var i = 0; i < rows.Length; i++)
            {
                if (Sse.IsSupported && i + RowsAhead < rows.Length)
                {
                    var ahead = (byte*)(from + (long)rows[i + RowsAhead] * columns);
                    for (var offset = 0; offset < columns * sizeof(float); offset += CacheLine) Sse.Prefetch0(ahead + offset);
                }

                Buffer.MemoryCopy(from + (long)rows[i] * columns, to + (long)i * columns, (long)columns * sizeof(float), (long)columns * sizeof(float));
            }
        }
    }
}
