namespace DslNet;

/// <summary><see cref="TrainerOptions.StopOnNonFiniteLoss"/>: stops at the first optimizer step whose loss is NaN or ∞.</summary>
internal sealed class NonFiniteLossStop : ITrainerCallback
{
    public void OnBatchEnd(TrainingContext context)
    {
        if (!double.IsFinite(context.Loss))
            context.RequestStop($"the training loss became {context.Loss} at optimizer step {context.OptimizerStep - 1} (epoch {context.Epoch})");
    }
}
