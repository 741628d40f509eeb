namespace DslNet;

/// <summary>
/// <see cref="TrainerOptions.EarlyStopping"/> in a run: reports each epoch's validation value and stops when it has
/// not improved for the patience; at the end of a run it did not stop, puts the best weights back (restoreBest).
/// </summary>
internal sealed class EarlyStoppingCallback(EarlyStopping stopping) : ITrainerCallback
{
    public void OnEpochEnd(TrainingContext context, EpochRecord epoch)
    {
        if (stopping.Report(WatchedValue(epoch), context.Model))
            context.RequestStop($"early stopping: no improvement for {stopping.Patience} epochs (best epoch {stopping.BestEpoch + 1})");
    }

    public void OnTrainEnd(TrainingContext context)
    {
        // A stop has restored them already (Report); a run that ran its course ends on its best epoch too.
        if (stopping is { RestoreBestWeights: true, HasBestWeights: true, ShouldStop: false }) stopping.RestoreBest(context.Model);
    }

    private double WatchedValue(EpochRecord record) =>
        stopping.Mode == EarlyStoppingMode.Min
            ? record.ValidationLoss!.Value
            : record.ValidationAuc ?? record.ValidationAccuracy
              ?? throw new InvalidOperationException("Early stopping in Max mode watches validation AUC or accuracy, which an MSE model does not have; use Min mode (validation loss).");
}
