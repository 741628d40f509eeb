namespace DslNet;

/// <summary>
/// Step decay, <c>torch.optim.lr_scheduler.StepLR</c>: <c>η_t = η₀ · γ^⌊t / stepSize⌋</c> (PyTorch's closed form).
/// Stepped once per epoch.
/// </summary>
public sealed class StepLR : LearningRateScheduler
{
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1)
        : base(optimizer, ScheduleUnit.Epoch)
    {
        if (stepSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, $"Expected a positive step size, but got {stepSize}.");
        if (!(gamma >= 0.0) || double.IsInfinity(gamma))
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, $"Expected a finite, non-negative gamma, but got {gamma}.");
        StepSize = stepSize;
        Gamma = gamma;
        BaseLearningRate = AttachBase(optimizer);
        Start();
    }

    public int StepSize { get; }
    public double Gamma { get; }

    /// <summary>η₀, the optimizer's <see cref="Optimizer.InitialLearningRate"/> when the schedule was built.</summary>
    public double BaseLearningRate { get; }

    public override double LearningRateAt(int step)
    {
        CheckRange(step);
        return BaseLearningRate * Math.Pow(Gamma, step / StepSize);
    }

    private protected override void WriteConfiguration(StateWriter state)
    {
        state.Value("step_size", (long)StepSize);
        state.Value("gamma", Gamma);
        state.Value("base_lr", BaseLearningRate);
    }
}
