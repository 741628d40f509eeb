namespace DslNet;

/// <summary>The progress display in a run: the live line per batch, a line per epoch, and why training stopped.</summary>
internal sealed class ProgressCallback(ProgressDisplay display) : ITrainerCallback
{
    public void OnEpochBegin(TrainingContext context) => display.StartEpoch(context.Epoch, context.Epochs, context.BatchesPerEpoch);

    public void OnMicroBatchEnd(TrainingContext context) => display.Batch(context.Batch, context.SamplesDone, context.BatchLoss);

    // Last of the callbacks: the epoch's time includes validation and the checkpoint.
    public void OnEpochEnd(TrainingContext context, EpochRecord epoch) => display.EndEpoch(epoch with { WallSeconds = context.EpochSeconds });

    public void OnTrainEnd(TrainingContext context)
    {
        if (context.StopRequested) display.Message($"stopped: {context.StopReason}");
    }
}
