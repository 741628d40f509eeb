namespace DslNet;

/// <summary>
/// <see cref="TrainerOptions.CheckpointPath"/> in a run: after every epoch (and after early stopping has counted it),
/// saves the model, optimizer, schedule, scaler and early stopping with the epoch and its losses, which
/// <see cref="TrainerOptions.ResumeFrom"/> reads back.
/// </summary>
internal sealed class CheckpointCallback(Checkpoint checkpoint, string path) : ITrainerCallback
{
    public void OnEpochEnd(TrainingContext context, EpochRecord epoch) =>
        checkpoint.Save(path, data =>
        {
            data.Value("epoch", (long)epoch.Epoch);
            data.Value("train_loss", epoch.TrainLoss);
            if (epoch.ValidationLoss is { } validationLoss) data.Value("validation_loss", validationLoss);
        });
}
