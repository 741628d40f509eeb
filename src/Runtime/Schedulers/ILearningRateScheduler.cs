namespace DslNet;

/// <summary>How often a schedule's <see cref="ILearningRateScheduler.Step"/> is meant to be called.</summary>
public enum ScheduleUnit
{
    /// <summary>Once per optimizer step (per batch, or per accumulated batch): one-cycle, warmup, anything with a step horizon.</summary>
    Batch,

    /// <summary>Once per epoch: StepLR and cosine annealing counted in epochs.</summary>
    Epoch,
}

/// <summary>A learning-rate schedule in closed form, like PyTorch's <c>lr_scheduler</c>: it sets the optimizer's rate.</summary>
public interface ILearningRateScheduler : IStateful
{
    /// <summary>Whether <see cref="Step"/> belongs in the batch loop or the epoch loop.</summary>
    ScheduleUnit Unit { get; }

    /// <summary>The rate the optimizer holds for its next step.</summary>
    double LearningRate { get; }

    /// <summary>Steps taken so far (PyTorch's <c>last_epoch</c>).</summary>
    int LastStep { get; }

    void Step();
}
