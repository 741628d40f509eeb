namespace DslNet;

/// <summary>
/// What a generated network offers data parallelism beyond <see cref="INetwork"/>; <see cref="Trainer"/> sets both
/// for a distributed run and clears them after. Unset, they cost nothing (one null check per block).
/// </summary>
public interface IDataParallelModel
{
    /// <summary>Told during <c>TrainStep</c>'s backward pass as each block's parameter gradients become final (CPU path; a device step and a
    /// step the monitor samples hand nothing over, so the caller synchronizes everything at the end).</summary>
    IGradientsReady? GradientsReady { get; set; }

    /// <summary>The collective of <c>[BatchNorm(Sync = true)]</c> blocks (SyncBatchNorm); null: each process's batch is the whole batch.</summary>
    Kernels.Cpu.IStatisticsReducer? StatisticsReducer { get; set; }
}
