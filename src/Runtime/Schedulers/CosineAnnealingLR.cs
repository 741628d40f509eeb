namespace DslNet;

/// <summary>
/// Cosine annealing, <c>torch.optim.lr_scheduler.CosineAnnealingLR</c> in its closed form:
/// <c>η_t = η_min + (η₀ − η_min)·(1 + cos(π·t / tMax)) / 2</c>.
/// </summary>
/// <remarks>
/// Counted in epochs by default, like PyTorch's examples; pass <c>unit: ScheduleUnit.Batch</c> and a
/// <c>tMax</c> in optimizer steps to anneal per batch (the usual choice behind a <see cref="LinearWarmup"/>).
/// PyTorch's <c>step()</c> uses a recurrence equal to this formula up to rounding (≈ 1e-16 relative); past
/// <c>tMax</c> both follow the cosine back up (use <see cref="CosineAnnealingWarmRestarts"/> for restarts).
/// </remarks>
public sealed class CosineAnnealingLR : LearningRateScheduler
{
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0, ScheduleUnit unit = ScheduleUnit.Epoch)
        : base(optimizer, unit)
    {
        if (tMax <= 0)
            throw new ArgumentOutOfRangeException(nameof(tMax), tMax, $"Expected a positive tMax, but got {tMax}.");
        if (!(etaMin >= 0.0) || double.IsInfinity(etaMin))
            throw new ArgumentOutOfRangeException(nameof(etaMin), etaMin, $"Expected a finite, non-negative etaMin, but got {etaMin}.");
        TMax = tMax;
        EtaMin = etaMin;
        BaseLearningRate = AttachBase(optimizer);
        Start();
    }

    public int TMax { get; }
    public double EtaMin { get; }

    /// <summary>η₀, the optimizer's <see cref="Optimizer.InitialLearningRate"/> when the schedule was built.</summary>
    public double BaseLearningRate { get; }

    public override double LearningRateAt(int step)
    {
        CheckRange(step);
        return EtaMin + (BaseLearningRate - EtaMin) * (1 + Math.Cos(Math.PI * step / TMax)) / 2;
    }

    private protected override void WriteConfiguration(StateWriter state)
    {
        state.Value("t_max", (long)TMax);
        state.Value("eta_min", EtaMin);
        state.Value("base_lr", BaseLearningRate);
    }
}
