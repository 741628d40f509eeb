namespace DslNet;

/// <summary>
/// Linear warmup in front of any schedule (§7.5.4): <c>η_t = η·t / T_w</c> for <c>t &lt; T_w</c>, then the wrapped
/// schedule from its start, <c>schedule(t − T_w)</c>. Without a wrapped schedule the rate stays at η after the warmup.
/// </summary>
/// <remarks>
/// <para>
/// Composition: build the wrapped schedule first, on the same optimizer, and hand it over unstepped; the warmup
/// owns it from then on and steps it once per own step after the warmup (never step it yourself):
/// <code>
/// var schedule = new LinearWarmup(optimizer, warmupSteps: 50,
///     then: new CosineAnnealingLR(optimizer, tMax: 350, unit: ScheduleUnit.Batch));   // 400 steps in all
/// </code>
/// η is where the wrapped schedule starts (its step-0 rate: the cosine's η₀ above), so the rate is continuous at
/// <c>T_w</c>; without one, η is the optimizer's base rate (<see cref="Optimizer.InitialLearningRate"/>, else its
/// current <see cref="Optimizer.LearningRate"/>). The warmup's first rate is 0, as in the formula (PyTorch's
/// <c>LinearLR</c> cannot start at 0; a <c>LambdaLR</c> with <c>t / T_w</c> gives this sequence).
/// </para>
/// <para>
/// Unit: <see cref="ScheduleUnit.Batch"/> (warmup counts optimizer steps), or the wrapped schedule's unit when it
/// has one, so the composition is stepped in one place; <c>T_w</c> counts in that unit. A wrapped schedule with a
/// horizon (one-cycle) keeps it: its steps start after the warmup.
/// </para>
/// </remarks>
public sealed class LinearWarmup : ILearningRateScheduler, IOptimizerSchedule
{
    private readonly ILearningRateScheduler? _then;

    public LinearWarmup(Optimizer optimizer, int warmupSteps, ILearningRateScheduler? then = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (warmupSteps <= 0)
            throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, $"Expected a positive number of warmup steps, but got {warmupSteps}.");
        if (then is not null)
            ScheduleComposition.CheckChild(then, optimizer, nameof(then));

        Optimizer = optimizer;
        WarmupSteps = warmupSteps;
        _then = then;
        Unit = then?.Unit ?? ScheduleUnit.Batch;
        PeakLearningRate = then?.LearningRate ?? (optimizer.InitialLearningRate ??= optimizer.LearningRate);
        LastStep = 0;
        Apply();
    }

    public Optimizer Optimizer { get; }

    /// <summary><c>T_w</c>: steps from 0 to η.</summary>
    public int WarmupSteps { get; }

    /// <summary>η: the rate reached at <see cref="WarmupSteps"/>, where the wrapped schedule starts.</summary>
    public double PeakLearningRate { get; }

    /// <summary>The schedule that takes over after the warmup, if any.</summary>
    public ILearningRateScheduler? Then => _then;

    public ScheduleUnit Unit { get; }

    public double LearningRate { get; private set; }

    public int LastStep { get; private set; }

    public void Step()
    {
        var step = checked(LastStep + 1);
        if (step > WarmupSteps)
            _then?.Step();   // may throw (a one-cycle past its total): then nothing here has changed
        LastStep = step;
        Apply();
    }

    public void SaveState(StateWriter state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Value("type", nameof(LinearWarmup));
        state.Value("warmup_steps", (long)WarmupSteps);
        state.Value("peak_lr", PeakLearningRate);
        state.Value("has_then", _then is not null);
        state.Value("last_step", (long)LastStep);
        if (_then is not null)
            ScheduleComposition.SaveNested(_then, state, "then.");
    }

    public void LoadState(StateReader state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Text("type") != nameof(LinearWarmup))
            throw new InvalidDataException($"The saved schedule is a {state.Text("type")}, not a LinearWarmup.");
        if (state.Int64("warmup_steps") != WarmupSteps || state.Double("peak_lr") != PeakLearningRate || state.Boolean("has_then") != (_then is not null))
            throw new InvalidDataException(
                $"The saved LinearWarmup (warmup_steps {state.Text("warmup_steps")}, peak_lr {state.Text("peak_lr")}, has_then {state.Text("has_then")}) " +
                $"differs from this one (warmup_steps {WarmupSteps}, peak_lr {PeakLearningRate:R}, has_then {_then is not null}).");
        var step = state.Int64("last_step");
        if (step < 0 || step > int.MaxValue)
            throw new InvalidDataException($"The saved LinearWarmup has an invalid last_step {step}.");
        if (_then is not null)
            ScheduleComposition.LoadNested(_then, state, "then.");
        LastStep = (int)step;
        Apply();
    }

    void IOptimizerSchedule.Reapply() => Apply();

    /// <summary>Makes the optimizer hold the rate of <see cref="LastStep"/>.</summary>
    private void Apply()
    {
        if (LastStep < WarmupSteps || _then is null)
        {
            LearningRate = PeakLearningRate * Math.Min(LastStep, WarmupSteps) / WarmupSteps;
            Optimizer.LearningRate = LearningRate;
        }
        else
        {
            // At T_w the wrapped schedule is still at its step 0: its values go back into the optimizer, which the
            // warmup has been overwriting. After that it writes its own values as it steps.
            ScheduleComposition.Reapply(_then, Optimizer);
            LearningRate = _then.LearningRate;
        }
    }
}
