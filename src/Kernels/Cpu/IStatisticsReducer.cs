namespace DslNet.Kernels.Cpu;

/// <summary>
/// Sums per-feature statistics over the processes of a data-parallel job, in place, with the same result on every
/// process (SyncBatchNorm's collective). The runtime's MPI layer implements it; a kernel given none treats its own
/// batch as the whole batch, which is what a world of one is.
/// </summary>
public interface IStatisticsReducer
{
    void AllReduceSum(Span<double> values);
}
