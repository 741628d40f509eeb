namespace DslNet;

/// <summary>
/// Base of the closed-form schedules (<see cref="StepLR"/>, <see cref="CosineAnnealingLR"/>,
/// <see cref="CosineAnnealingWarmRestarts"/>, <see cref="OneCycleLR"/>): the value at every step is a function of
/// the step alone (<see cref="LearningRateAt"/>), like <c>_get_closed_form_lr</c> in PyTorch's
/// <c>lr_scheduler.py</c>, so a restored schedule continues exactly and there is no drift from recurrences.
/// </summary>
/// <remarks>
/// Like PyTorch, a schedule's constructor takes the implicit first step: the optimizer holds the step-0 rate as soon
/// as the schedule exists. The base rate the schedules scale is the optimizer's
/// <see cref="Optimizer.InitialLearningRate"/> (PyTorch's <c>initial_lr</c>), set by the first schedule attached.
/// Saved state is the step count; the configuration is saved too and checked on load (PyTorch overwrites it from
/// the checkpoint instead): a schedule restored into a different recipe throws rather than continuing differently.
/// </remarks>
public abstract class LearningRateScheduler : ILearningRateScheduler, IOptimizerSchedule
{
    private protected LearningRateScheduler(Optimizer optimizer, ScheduleUnit unit)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!Enum.IsDefined(unit))
            throw new ArgumentOutOfRangeException(nameof(unit), unit, "Unknown schedule unit.");
        Optimizer = optimizer;
        Unit = unit;
        LastStep = -1;
    }

    /// <summary>The optimizer whose <see cref="DslNet.Optimizer.LearningRate"/> this schedule sets.</summary>
    public Optimizer Optimizer { get; }

    /// <inheritdoc/>
    public ScheduleUnit Unit { get; }

    /// <inheritdoc/>
    public double LearningRate { get; private set; }

    /// <inheritdoc/>
    public int LastStep { get; private set; }

    /// <summary>Advances one step and writes the new rate into the optimizer.</summary>
    public void Step()
    {
        var step = checked(LastStep + 1);
        CheckStep(step);
        LastStep = step;
        Apply();
    }

    /// <summary>The learning rate at <paramref name="step"/>, in closed form (for plots and tests).</summary>
    public abstract double LearningRateAt(int step);

    public void SaveState(StateWriter state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Value("type", GetType().Name);
        state.Value("unit", Unit.ToString());
        WriteConfiguration(state);
        state.Value("last_step", (long)LastStep);
    }

    public void LoadState(StateReader state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var expected = new StateWriter();
        expected.Value("type", GetType().Name);
        expected.Value("unit", Unit.ToString());
        WriteConfiguration(expected);
        foreach (var (name, value) in expected.Values)
        {
            var saved = state.Text(name);
            if (saved != value)
                throw new InvalidDataException(
                    $"The saved {GetType().Name} has {name} = {saved}; this one has {value}. Construct the schedule with the same arguments before loading its state.");
        }

        var step = state.Int64("last_step");
        if (step < 0 || step > int.MaxValue)
            throw new InvalidDataException($"The saved {GetType().Name} has an invalid last_step {step}.");
        CheckStep((int)step);
        LastStep = (int)step;
        Apply();
    }

    void IOptimizerSchedule.Reapply() => Apply();

    /// <summary>The constructor's implicit first step (PyTorch's <c>_initial_step</c>): step 0.</summary>
    private protected void Start()
    {
        LastStep = -1;
        Step();
    }

    /// <summary>Throws when <paramref name="step"/> is past the schedule's horizon (one-cycle).</summary>
    private protected virtual void CheckStep(int step)
    {
    }

    /// <summary>Writes the values of <see cref="LastStep"/> into the optimizer (the rate; one-cycle also the momentum).</summary>
    private protected virtual void Apply()
    {
        LearningRate = LearningRateAt(LastStep);
        // One step past a schedule's horizon (one-cycle's last allowed Step()), the linear anneal extrapolates to a
        // slightly negative rate. PyTorch hands that to the optimizer, which would then climb the loss; DslNet
        // reports the value but gives the optimizer zero.
        Optimizer.LearningRate = Math.Max(LearningRate, 0.0);
    }

    /// <summary>The arguments that define the schedule; saved, and compared on load.</summary>
    private protected abstract void WriteConfiguration(StateWriter state);

    /// <summary>PyTorch's <c>group.setdefault('initial_lr', group['lr'])</c>: the base rate of every schedule on the optimizer.</summary>
    private protected static double AttachBase(Optimizer optimizer) =>
        optimizer.InitialLearningRate ??= optimizer.LearningRate;

    private protected static void CheckRange(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
    }
}

/// <summary>What composite schedules need from the schedules they wrap.</summary>
internal interface IOptimizerSchedule
{
    Optimizer Optimizer { get; }

    /// <summary>Writes the schedule's current values into the optimizer again (its rate, and a one-cycle's momentum).</summary>
    void Reapply();
}

/// <summary>Helpers for the composite schedules (<see cref="LinearWarmup"/>, <see cref="SequentialLR"/>).</summary>
internal static class ScheduleComposition
{
    /// <summary>Makes the optimizer hold <paramref name="schedule"/>'s current values again.</summary>
    public static void Reapply(ILearningRateScheduler schedule, Optimizer optimizer)
    {
        if (schedule is IOptimizerSchedule known)
            known.Reapply();
        else
            optimizer.LearningRate = schedule.LearningRate;
    }

    /// <summary>Throws unless <paramref name="schedule"/> is fresh (at step 0) and drives <paramref name="optimizer"/>.</summary>
    public static void CheckChild(ILearningRateScheduler schedule, Optimizer optimizer, string parameter)
    {
        ArgumentNullException.ThrowIfNull(schedule, parameter);
        if (schedule.LastStep != 0)
            throw new ArgumentException(
                $"A schedule passed to a composition must be fresh (at step 0), but this {schedule.GetType().Name} is at step {schedule.LastStep}: the composition steps it.",
                parameter);
        if (schedule is IOptimizerSchedule known && !ReferenceEquals(known.Optimizer, optimizer))
            throw new ArgumentException($"The {schedule.GetType().Name} drives a different optimizer than the composition.", parameter);
    }

    /// <summary>Saves a child's state under <paramref name="prefix"/>.</summary>
    public static void SaveNested(IStateful component, StateWriter into, string prefix)
    {
        var inner = new StateWriter();
        component.SaveState(inner);
        foreach (var (name, value) in inner.Values) into.Value(prefix + name, value);
        foreach (var (name, tensor) in inner.Tensors) into.Tensor(prefix + name, tensor);
    }

    /// <summary>
    /// Loads a child's state saved by <see cref="SaveNested"/>: the child's own current state names which entries
    /// (and which tensor lengths) it reads.
    /// </summary>
    public static void LoadNested(IStateful component, StateReader from, string prefix)
    {
        var shape = new StateWriter();
        component.SaveState(shape);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var tensors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var name in shape.Values.Keys)
            if (from.Has(prefix + name))
                values[name] = from.Text(prefix + name);
        foreach (var (name, tensor) in shape.Tensors)
            if (from.Has(prefix + name))
            {
                var buffer = new float[tensor.Length];
                from.Tensor(prefix + name, buffer);
                tensors[name] = buffer;
            }

        component.LoadState(new StateReader(tensors, values, $"schedule state '{prefix}'"));
    }
}
