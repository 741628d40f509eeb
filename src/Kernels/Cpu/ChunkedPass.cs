namespace DslNet.Kernels.Cpu;

/// <summary>One elementwise pass over [start, start + count) of a long array; chunks touch disjoint elements.</summary>
internal interface IChunkPass
{
    void Run(int start, int count);
}

/// <summary>
/// A pass over a whole batch of activations (an image model's residual add, its ReLU, their gradients: millions of
/// floats) split into chunks on <see cref="CpuThreads.Count"/> threads. Memory-bound, but each core brings its own
/// load/store bandwidth; short arrays stay on the caller. Results do not depend on the split (elementwise).
/// </summary>
internal static unsafe class ChunkedPass
{
    // 64 KB per chunk; a multiple of 64 elements, so dropout's 32-bit mask words and Philox blocks never straddle chunks.
    internal const int ChunkLength = 16 * 1024;

    public static void Run<TPass>(TPass pass, int count)
        where TPass : struct, IChunkPass
    {
        int chunks = (count + ChunkLength - 1) / ChunkLength;
        if (chunks < 2 || CpuThreads.Count < 2)
        {
            pass.Run(0, count);
            return;
        }

        CpuParallel.For(new Tasks<TPass> { Pass = pass, Count = count }, chunks);
    }

    private struct Tasks<TPass> : IParallelTasks
        where TPass : struct, IChunkPass
    {
        public TPass Pass;
        public int Count;

        public readonly void Run(int task)
        {
            int start = task * ChunkLength;
            Pass.Run(start, Math.Min(ChunkLength, Count - start));
        }
    }
}
