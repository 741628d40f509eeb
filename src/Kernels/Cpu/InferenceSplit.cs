using System.Runtime.CompilerServices;

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
            var job = new Job<TNetwork>
            {
                Network = network, Inputs = input, Outputs = output, InputSize = inputSize, OutputSize = outputSize,
                Rows = rows, Shares = shares,
            };
            WorkerPool.Run(&Job<TNetwork>.RunTask, Unsafe.AsPointer(ref job), shares, shares);
        }
    }

    private struct Job<TNetwork>
        where TNetwork : class, IRowInference
    {
        public TNetwork Network;
        public float* Inputs, Outputs;
        public int InputSize, OutputSize, Rows, Shares;

        public static void RunTask(void* context, int task, int thread)
        {
            ref var job = ref Unsafe.AsRef<Job<TNetwork>>(context);
            int first = job.Start(task), end = job.Start(task + 1);
            job.Network.InferRows(
                new ReadOnlySpan<float>(job.Inputs + (long)first * job.InputSize, (end - first) * job.InputSize),
                new Span<float>(job.Outputs + (long)first * job.OutputSize, (end - first) * job.OutputSize),
                end - first, first);
        }

        private readonly int Start(int share) =>
            share == Shares ? Rows : (int)((long)Rows / RowGranule * share / Shares) * RowGranule;
    }
}
