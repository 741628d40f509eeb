namespace DslNet;

/// <summary>
/// SGDR, <c>torch.optim.lr_scheduler.CosineAnnealingWarmRestarts</c>: cosine annealing from η₀ to η_min over a
/// period <c>T_i</c>, then a restart at η₀ with the period multiplied by <c>tMult</c> (<c>T_i = t0·tMult^i</c>):
/// <c>η_t = η_min + (η₀ − η_min)·(1 + cos(π·T_cur / T_i)) / 2</c>.
/// </summary>
/// <remarks>
/// <c>T_cur</c> and <c>T_i</c> are computed from the step count in integers (PyTorch accumulates <c>T_cur</c>
/// one step at a time; for integer steps the two agree exactly). PyTorch's fractional-epoch form
/// (<c>step(epoch + i / iters)</c>) is not offered: construct with <c>unit: ScheduleUnit.Batch</c> and periods in
/// optimizer steps instead.
/// </remarks>
public sealed class CosineAnnealingWarmRestarts : LearningRateScheduler
{
    public CosineAnnealingWarmRestarts(Optimizer optimizer, int t0, int tMult = 1, double etaMin = 0, ScheduleUnit unit = ScheduleUnit.Epoch)
        : base(optimizer, unit)
    {
        if (t0 <= 0)
            throw new ArgumentOutOfRangeException(nameof(t0), t0, $"Expected a positive integer t0, but got {t0}.");
        if (tMult < 1)
            throw new ArgumentOutOfRangeException(nameof(tMult), tMult, $"Expected an integer tMult >= 1, but got {tMult}.");
        if (!(etaMin >= 0.0) || double.IsInfinity(etaMin))
            throw new ArgumentOutOfRangeException(nameof(etaMin), etaMin, $"Expected a finite, non-negative etaMin, but got {etaMin}.");
        T0 = t0;
        TMult = tMult;
        EtaMin = etaMin;
        BaseLearningRate = AttachBase(optimizer);
        Start();
    }

    public int T0 { get; }
    public int TMult { get; }
    public double EtaMin { get; }

    /// <summary>η₀, the optimizer's <see cref="Optimizer.InitialLearningRate"/> when the schedule was built.</summary>
    public double BaseLearningRate { get; }

    /// <summary>Steps since the last restart (PyTorch's <c>T_cur</c>) and the current period (<c>T_i</c>) at <paramref name="step"/>.</summary>
    public (long SinceRestart, long Period) CycleAt(int step)
    {
        CheckRange(step);
        if (TMult == 1)
            return (step % T0, T0);
        long period = T0, since = step;
        while (since >= period)
        {
            since -= period;
            period *= TMult;
        }

        return (since, period);
    }

    public override double LearningRateAt(int step)
    {
        var (since, period) = CycleAt(step);
        return EtaMin + (BaseLearningRate - EtaMin) * (1 + Math.Cos(Math.PI * since / period)) / 2;
    }

    private protected override void WriteConfiguration(StateWriter state)
    {
        state.Value("t_0", (long)T0);
        state.Value("t_mult", (long)TMult);
        state.Value("eta_min", EtaMin);
        state.Value("base_lr", BaseLearningRate);
    }
}
