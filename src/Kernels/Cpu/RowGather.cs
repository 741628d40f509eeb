using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace DslNet.Kernels.Cpu;

/// <summary>Copies selected rows of a row-major matrix into consecutive rows (a shuffled mini-batch).</summary>
public static unsafe class RowGather
{
    // A shuffled batch reads rows scattered over the whole data set, mostly from memory rather than cache: asking for
    // the rows a few places ahead overlaps their misses with the copies, and each core gathers its share of the rows.
    private const int RowsAhead = 8;
    private const int CacheLine = 64;

    // Below this many bytes the fork/join costs more than the second core's share of the misses.
    private const long ParallelBytes = 64 * 1024;
    private const int TasksPerThread = 2;

    /// <summary><c>destination[i, :] = source[rows[i], :]</c> for every i, rows of <paramref name="columns"/> values.</summary>
    public static void Gather(ReadOnlySpan<float> source, int columns, ReadOnlySpan<int> rows, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Gemm.CheckShape(destination.Length, (long)rows.Length * columns, nameof(destination));
        if (columns == 0) return;
        long sourceRows = source.Length / columns;
        foreach (var row in rows)
        {
            if ((uint)row >= (ulong)sourceRows) throw new ArgumentOutOfRangeException(nameof(rows), row, $"Row index outside the {sourceRows} source rows.");
        }

        fixed (float* from = source)
        fixed (int* order = rows)
        fixed (float* to = destination)
        {
            var job = new GatherTasks { Source = from, Rows = order, Destination = to, Count = rows.Length, Columns = columns };
            if ((long)rows.Length * columns * sizeof(float) < ParallelBytes)
            {
                job.Copy(0, rows.Length);
                return;
            }

            job.Tasks = CpuThreads.Count * TasksPerThread;
            CpuParallel.For(job, job.Tasks);
        }
    }

    private struct GatherTasks : IParallelTasks
    {
        public float* Source, Destination;
        public int* Rows;
        public int Count, Columns, Tasks;

        public readonly void Run(int task) =>
            Copy((int)((long)Count * task / Tasks), (int)((long)Count * (task + 1) / Tasks));

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Copy(int first, int end)
        {
            long rowBytes = (long)Columns * sizeof(float);
            for (var i = first; i < end; i++)
            {
                if (Sse.IsSupported && i + RowsAhead < end)
                {
                    var ahead = (byte*)(Source + (long)Rows[i + RowsAhead] * Columns);
                    for (var offset = 0; offset < rowBytes; offset += CacheLine) Sse.Prefetch0(ahead + offset);
                }

                Buffer.MemoryCopy(Source + (long)Rows[i] * Columns, Destination + (long)i * Columns, rowBytes, rowBytes);
            }
        }
    }
}
