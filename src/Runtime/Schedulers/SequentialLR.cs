namespace DslNet;

/// <summary>
/// Schedules one after another, <c>torch.optim.lr_scheduler.SequentialLR</c>: schedule <c>i</c> runs from milestone
/// <c>i − 1</c> (0 for the first) and restarts from its own step 0 there (PyTorch's <c>scheduler.step(0)</c>).
/// </summary>
/// <remarks>
/// Build the schedules on the same optimizer, one after another, and hand them over unstepped; they share the
/// optimizer's base rate (<see cref="Optimizer.InitialLearningRate"/>, PyTorch's <c>initial_lr</c>), so each
/// constructor's own first step does not shift the next one's base. After construction the optimizer holds the
/// first schedule's step-0 rate, as in PyTorch. All schedules must share one <see cref="ScheduleUnit"/>.
/// <code>
/// var schedule = new SequentialLR(optimizer,
///     [new LinearWarmup(optimizer, 5), new CosineAnnealingLR(optimizer, tMax: 95, unit: ScheduleUnit.Batch)],
///     milestones: [5]);
/// </code>
/// </remarks>
public sealed class SequentialLR : ILearningRateScheduler, IOptimizerSchedule
{
    private readonly ILearningRateScheduler[] _schedulers;
    private readonly int[] _milestones;

    public SequentialLR(Optimizer optimizer, IReadOnlyList<ILearningRateScheduler> schedulers, IReadOnlyList<int> milestones)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(schedulers);
        ArgumentNullException.ThrowIfNull(milestones);
        if (schedulers.Count == 0)
            throw new ArgumentException("SequentialLR needs at least one schedule.", nameof(schedulers));
        if (milestones.Count != schedulers.Count - 1)
            throw new ArgumentException(
                $"Sequential schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers {schedulers.Count} and the number of milestones to be equal to {milestones.Count}",
                nameof(milestones));
        for (var i = 0; i < milestones.Count; i++)
            if (milestones[i] <= 0 || (i > 0 && milestones[i] <= milestones[i - 1]))
                throw new ArgumentException($"Milestones must be positive and strictly increasing; got [{string.Join(", ", milestones)}].", nameof(milestones));
        foreach (var schedule in schedulers)
        {
            ScheduleComposition.CheckChild(schedule, optimizer, nameof(schedulers));
            if (schedule.Unit != schedulers[0].Unit)
                throw new ArgumentException(
                    $"All schedules of a SequentialLR must be stepped in the same unit; the first is per {schedulers[0].Unit}, a {schedule.GetType().Name} per {schedule.Unit}.",
                    nameof(schedulers));
        }

        Optimizer = optimizer;
        _schedulers = schedulers.ToArray();
        _milestones = milestones.ToArray();
        Unit = _schedulers[0].Unit;
        LastStep = 0;
        Apply();
    }

    public Optimizer Optimizer { get; }

    public IReadOnlyList<ILearningRateScheduler> Schedulers => _schedulers;

    public IReadOnlyList<int> Milestones => _milestones;

    public ScheduleUnit Unit { get; }

    public double LearningRate { get; private set; }

    public int LastStep { get; private set; }

    public void Step()
    {
        var step = checked(LastStep + 1);
        var index = ActiveIndex(step);
        var active = _schedulers[index];
        if (index > 0 && _milestones[index - 1] == step)
            ScheduleComposition.Reapply(active, Optimizer);   // starts at its step 0
        else
            active.Step();
        LastStep = step;
        LearningRate = active.LearningRate;
    }

    public void SaveState(StateWriter state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Value("type", nameof(SequentialLR));
        state.Value("milestones", string.Join(",", _milestones));
        state.Value("schedulers", string.Join(",", _schedulers.Select(s => s.GetType().Name)));
        state.Value("last_step", (long)LastStep);
        for (var i = 0; i < _schedulers.Length; i++)
            ScheduleComposition.SaveNested(_schedulers[i], state, $"schedulers.{i}.");
    }

    public void LoadState(StateReader state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var shape = new StateWriter();
        SaveState(shape);
        foreach (var name in new[] { "type", "milestones", "schedulers" })
            if (state.Text(name) != shape.Values[name])
                throw new InvalidDataException($"The saved SequentialLR has {name} = {state.Text(name)}; this one has {shape.Values[name]}.");
        var step = state.Int64("last_step");
        if (step < 0 || step > int.MaxValue)
            throw new InvalidDataException($"The saved SequentialLR has an invalid last_step {step}.");
        for (var i = 0; i < _schedulers.Length; i++)
            ScheduleComposition.LoadNested(_schedulers[i], state, $"schedulers.{i}.");
        LastStep = (int)step;
        Apply();
    }

    void IOptimizerSchedule.Reapply() => Apply();

    /// <summary>PyTorch's <c>bisect_right(milestones, step)</c>.</summary>
    private int ActiveIndex(int step)
    {
        var index = 0;
        while (index < _milestones.Length && _milestones[index] <= step) index++;
        return index;
    }

    private void Apply()
    {
        var active = _schedulers[ActiveIndex(LastStep)];
        ScheduleComposition.Reapply(active, Optimizer);
        LearningRate = active.LearningRate;
    }
}
