namespace DslNet;

/// <summary>
/// Hooks into a <see cref="Trainer"/> run. Both methods have empty defaults, so a callback implements only what it
/// needs; either can stop training through <see cref="TrainingContext.RequestStop"/>.
/// </summary>
/// <remarks>
/// <see cref="OnBatchEnd"/> runs after every optimizer step, inside the batch loop: keep it cheap and free of
/// allocations if the loop is to stay allocation-free.
/// </remarks>
public interface ITrainerCallback
{
    /// <summary>After each optimizer step (after the schedule stepped). A stop request ends the epoch there.</summary>
    void OnBatchEnd(TrainingContext context)
    {
    }

    /// <summary>After each epoch's validation, before early stopping and the checkpoint. A stop request ends training after this epoch.</summary>
    void OnEpochEnd(TrainingContext context, EpochRecord epoch)
    {
    }
}

/// <summary>A callback from delegates: <c>new TrainerCallback { EpochEnd = (context, epoch) => … }</c>.</summary>
public sealed class TrainerCallback : ITrainerCallback
{
    public Action<TrainingContext>? BatchEnd { get; init; }

    public Action<TrainingContext, EpochRecord>? EpochEnd { get; init; }

    void ITrainerCallback.OnBatchEnd(TrainingContext context) => BatchEnd?.Invoke(context);

    void ITrainerCallback.OnEpochEnd(TrainingContext context, EpochRecord epoch) => EpochEnd?.Invoke(context, epoch);
}

/// <summary>The state of a running <see cref="Trainer.Fit"/>, as callbacks see it; one object, updated in place.</summary>
public sealed class TrainingContext
{
    internal TrainingContext(INetwork model, Optimizer optimizer, ILearningRateScheduler? schedule, TrainingHistory history, int epochs, int batchesPerEpoch)
    {
        Model = model;
        Optimizer = optimizer;
        Schedule = schedule;
        History = history;
        Epochs = epochs;
        BatchesPerEpoch = batchesPerEpoch;
    }

    public INetwork Model { get; }
    public Optimizer Optimizer { get; }
    public ILearningRateScheduler? Schedule { get; }
    public TrainingHistory History { get; }
    public int Epochs { get; }
    public int BatchesPerEpoch { get; }

    /// <summary>The current epoch, 1-based.</summary>
    public int Epoch { get; internal set; }

    /// <summary>Batches (micro-batches, with accumulation) done in the current epoch.</summary>
    public int Batch { get; internal set; }

    /// <summary>Optimizer steps taken since <see cref="Trainer.Fit"/> started.</summary>
    public long OptimizerStep { get; internal set; }

    /// <summary>Training loss of the last optimizer step (the mean over its micro-batches).</summary>
    public double Loss { get; internal set; }

    /// <summary>Gradient norm of the last optimizer step, before clipping.</summary>
    public double GradientNorm { get; internal set; }

    /// <summary>The learning rate the last optimizer step used.</summary>
    public double LearningRate { get; internal set; }

    public bool StopRequested => StopReason is not null;

    public string? StopReason { get; private set; }

    /// <summary>Ends training: at once from <see cref="ITrainerCallback.OnBatchEnd"/> (the epoch is validated and recorded as it is), after the epoch from <see cref="ITrainerCallback.OnEpochEnd"/>.</summary>
    public void RequestStop(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        StopReason ??= reason;
    }
}
