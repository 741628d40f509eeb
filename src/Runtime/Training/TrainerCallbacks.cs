namespace DslNet;

/// <summary>
/// Hooks into a <see cref="Trainer"/> run (Keras' callbacks). Every method has an empty default, so a callback
/// implements only what it needs; any can stop training through <see cref="TrainingContext.RequestStop"/>. The
/// trainer's own features are callbacks too, after the user's in this order: early stopping, the checkpoint, the
/// progress display (and, before the user's, the stop on a non-finite loss and the monitor's snapshots).
/// </summary>
/// <remarks>
/// <see cref="OnMicroBatchEnd"/> and <see cref="OnBatchEnd"/> run inside the batch loop: keep them cheap and free of
/// allocations if the loop is to stay allocation-free.
/// </remarks>
public interface ITrainerCallback
{
    /// <summary>Once, before the first epoch (after a resume has restored its state).</summary>
    void OnTrainBegin(TrainingContext context)
    {
    }

    /// <summary>At the start of each epoch.</summary>
    void OnEpochBegin(TrainingContext context)
    {
    }

    /// <summary>After every <c>TrainStep</c> (each micro-batch with accumulation), before any optimizer step it completes.</summary>
    void OnMicroBatchEnd(TrainingContext context)
    {
    }

    /// <summary>After each optimizer step (after the schedule stepped). A stop request ends the epoch there.</summary>
    void OnBatchEnd(TrainingContext context)
    {
    }

    /// <summary>After each epoch's validation. A stop request ends training after this epoch.</summary>
    void OnEpochEnd(TrainingContext context, EpochRecord epoch)
    {
    }

    /// <summary>Once, after the last epoch (or the stop), unless training threw.</summary>
    void OnTrainEnd(TrainingContext context)
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
    private readonly System.Diagnostics.Stopwatch _epochClock = new();

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

    /// <summary>Training samples seen in the current epoch.</summary>
    public long SamplesDone { get; internal set; }

    /// <summary>The loss the last <c>TrainStep</c> returned (one micro-batch's, with accumulation).</summary>
    public double BatchLoss { get; internal set; }

    /// <summary>Seconds since the current epoch began (its training, validation and the callbacks so far).</summary>
    public double EpochSeconds => _epochClock.Elapsed.TotalSeconds;

    /// <summary>Optimizer steps taken since <see cref="Trainer.Fit"/> started.</summary>
    public long OptimizerStep { get; internal set; }

    /// <summary>Training loss of the last optimizer step (the mean over its micro-batches).</summary>
    public double Loss { get; internal set; }

    /// <summary>Gradient norm of the last optimizer step, before clipping.</summary>
    public double GradientNorm { get; internal set; }

    /// <summary>The learning rate the last optimizer step used.</summary>
    public double LearningRate { get; internal set; }

    public bool StopRequested => StopReason is not null;

    /// <summary>A micro-batch's training step is done: counts it and its rows and keeps its loss.</summary>
    internal void MicroBatchDone(int rows, double loss)
    {
        Batch++;
        SamplesDone += rows;
        BatchLoss = loss;
    }

    /// <summary>An optimizer step is done: records it in the history and keeps its numbers for the callbacks.</summary>
    internal void OptimizerStepDone(double loss, double learningRate, double momentum, double gradientNorm)
    {
        History.AddStep(loss, learningRate, momentum, gradientNorm);
        OptimizerStep++;
        Loss = loss;
        GradientNorm = gradientNorm;
        LearningRate = learningRate;
    }

    internal void StartEpoch(int epoch)
    {
        Epoch = epoch;
        Batch = 0;
        SamplesDone = 0;
        _epochClock.Restart();
    }

    public string? StopReason { get; private set; }

    /// <summary>Ends training: at once from <see cref="ITrainerCallback.OnBatchEnd"/> (the epoch is validated and recorded as it is), after the epoch from <see cref="ITrainerCallback.OnEpochEnd"/>.</summary>
    public void RequestStop(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        StopReason ??= reason;
    }
}
