namespace DslNet.Kernels.Cpu;

/// <summary>A network's inference over a range of rows, writing its activations to that range of its workspace.</summary>
public interface IRowInference
{
    /// <summary>Inference of <paramref name="rows"/> rows that use workspace rows [firstRow, firstRow + rows).</summary>
    void InferRows(ReadOnlySpan<float> inputs, Span<float> outputs, int rows, int firstRow);
}

/// <summary>
/// Inference split by rows over the kernel threads: each thread runs the whole network on its share of the batch, so a
/// batch needs one fork/join instead of one per layer, and no core waits on another's packing. Within a share the
/// kernels run on their thread alone (the pool runs a nested job on the calling thread).
/// </summary>
public static unsafe class InferenceSplit
{
    // A share below this many rows would pack each weight matrix for too few rows to pay for it twice.
    private const int MinRowsPerShare = 64;

    // Shares start on a multiple of the GEMM's register tile height, so no share has a ragged tile in the middle.
    private const int RowGranule = 8;

    public static void Run<TNetwork>(TNetwork network, ReadOnlySpan<float> inputs, int inputSize, Span<float> outputs, int outputSize, int rows)
        where TNetwork : class, IRowInference
    {
        ArgumentNullException.ThrowIfNull(network);
        Gemm.CheckShape(inputs.Length, (long)rows * inputSize, nameof(inputs));
        Gemm.CheckShape(outputs.Length, (long)rows * outputSize, nameof(outputs));
        int shares = Math.Min(CpuThreads.Count, rows / MinRowsPerShare);
        if (shares <= 1)
        {
            network.InferRows(inputs, outputs, rows, firstRow: 0);
            return;
        }

        fixed (float* input = inputs)
        fixed (float* output = outputs)
        {
            CpuParallel.For(new ShareTasks<TNetwork>
            {
                Network = network, Inputs = input, Outputs = output, InputSize = inputSize, OutputSize = outputSize,
                Rows = rows, Shares = shares,
            }, shares);
        }
    }

    private struct ShareTasks<TNetwork> : IParallelTasks
        where TNetwork : class, IRowInference
    {
        public TNetwork Network;
        public float* Inputs, Outputs;
        public int InputSize, OutputSize, Rows, Shares;

        public readonly void Run(int task)
        {
            int first = Start(task), end = Start(task + 1);
            Network.InferRows(
                new ReadOnlySpan<float>(Inputs + (long)first * InputSize, (end - first) * InputSize),
                new Span<float>(Outputs + (long)first * OutputSize, (end - first) * OutputSize),
                end - first, first);
        }

        private readonly int Start(int share) =>
            share == Shares ? Rows : (int)((long)Rows / RowGranule * share / Shares) * RowGranule;
    }
}
