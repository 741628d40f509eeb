namespace DslNet;

/// <summary>
/// The 1cycle policy, exactly as <c>torch.optim.lr_scheduler.OneCycleLR</c>: the learning rate rises from
/// <c>maxLr / divFactor</c> to <c>maxLr</c> over the first <c>pctStart</c> of the steps, then falls to
/// <c>initial / finalDivFactor</c>; momentum (SGD's momentum or Adam's β1) moves the opposite way between
/// <c>maxMomentum</c> and <c>baseMomentum</c>. With <c>threePhase</c>, the fall first returns to the initial rate,
/// symmetrically, and a third phase anneals to the minimum.
/// </summary>
/// <remarks>
/// Step it once per optimizer step (per batch), not per epoch. Values are in closed form from
/// <see cref="LastStep"/>; the constructor takes PyTorch's implicit first step, so the optimizer already holds
/// the step-0 rate. PyTorch's phase boundaries are kept to the letter, including the end step of one phase being
/// the start step of the next (<c>start_step = phase['end_step']</c>), which is why the rate reaches
/// <c>maxLr</c> at step <c>pctStart·totalSteps − 1</c>. <see cref="ILearningRateScheduler.Unit"/> is
/// <see cref="ScheduleUnit.Batch"/>. Like PyTorch, the constructor sets the optimizer's
/// <see cref="Optimizer.InitialLearningRate"/> to <c>maxLr / divFactor</c>.
/// </remarks>
public sealed class OneCycleLR : LearningRateScheduler
{
    private readonly Phase[] _phases;
    private readonly AnnealStrategy _annealStrategy;
    private readonly bool _threePhase;
    private readonly double _pctStart;
    private readonly Func<double, double, double, double> _anneal;

    public OneCycleLR(
        Optimizer optimizer,
        double maxLr,
        int totalSteps,
        double pctStart = 0.3,
        double divFactor = 25,
        double finalDivFactor = 1e4,
        AnnealStrategy annealStrategy = AnnealStrategy.Cos,
        bool threePhase = false,
        bool cycleMomentum = true,
        double baseMomentum = 0.85,
        double maxMomentum = 0.95)
        : base(optimizer, ScheduleUnit.Batch)
    {
        if (totalSteps <= 0)
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"Expected a positive number of total steps, but got {totalSteps}.");
        if (!(pctStart >= 0.0 && pctStart <= 1.0))
            throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, $"Expected pctStart between 0 and 1, but got {pctStart}.");
        if (!(maxLr > 0.0) || double.IsInfinity(maxLr))
            throw new ArgumentOutOfRangeException(nameof(maxLr), maxLr, $"Expected a positive, finite maxLr, but got {maxLr}.");
        // PyTorch does not check these; a non-positive factor would give a zero, negative or infinite rate.
        if (!(divFactor > 0.0))
            throw new ArgumentOutOfRangeException(nameof(divFactor), divFactor, $"Expected a positive divFactor, but got {divFactor}.");
        if (!(finalDivFactor > 0.0))
            throw new ArgumentOutOfRangeException(nameof(finalDivFactor), finalDivFactor, $"Expected a positive finalDivFactor, but got {finalDivFactor}.");

        TotalSteps = totalSteps;
        MaxLearningRate = maxLr;
        InitialLearningRate = maxLr / divFactor;
        MinLearningRate = InitialLearningRate / finalDivFactor;
        CycleMomentum = cycleMomentum;
        BaseMomentum = baseMomentum;
        MaxMomentum = maxMomentum;
        _annealStrategy = annealStrategy;
        _threePhase = threePhase;
        _pctStart = pctStart;
        _anneal = annealStrategy switch
        {
            AnnealStrategy.Cos => AnnealCos,
            AnnealStrategy.Linear => AnnealLinear,
            _ => throw new ArgumentOutOfRangeException(nameof(annealStrategy), annealStrategy, "Unknown anneal strategy."),
        };

        double initial = InitialLearningRate, max = MaxLearningRate, min = MinLearningRate;
        _phases = threePhase
            ?
            [
                new Phase(pctStart * totalSteps - 1, initial, max, maxMomentum, baseMomentum),
                new Phase(2 * pctStart * totalSteps - 2, max, initial, baseMomentum, maxMomentum),
                new Phase(totalSteps - 1, initial, min, maxMomentum, maxMomentum),
            ]
            :
            [
                new Phase(pctStart * totalSteps - 1, initial, max, maxMomentum, baseMomentum),
                new Phase(totalSteps - 1, max, min, baseMomentum, maxMomentum),
            ];

        // PyTorch's constructor: initial_lr into the group, max_momentum into momentum / betas[0], then the
        // implicit first step (last_epoch −1 → 0), which writes the step-0 values computed by the formula.
        optimizer.InitialLearningRate = InitialLearningRate;
        optimizer.LearningRate = InitialLearningRate;
        if (cycleMomentum)
            optimizer.Momentum = maxMomentum;
        Start();
    }

    public int TotalSteps { get; }
    public double MaxLearningRate { get; }
    public double InitialLearningRate { get; }
    public double MinLearningRate { get; }
    public bool CycleMomentum { get; }
    public double BaseMomentum { get; }
    public double MaxMomentum { get; }

    /// <summary>The momentum (or β1) the optimizer holds for its next step, when momentum is cycled.</summary>
    public double Momentum { get; private set; }

    /// <summary>
    /// Steps are allowed up to <see cref="TotalSteps"/> (PyTorch's <c>last_epoch</c> after the last batch); one more throws.
    /// </summary>
    /// <exception cref="InvalidOperationException">After <see cref="TotalSteps"/> steps, with PyTorch's message.</exception>
    private protected override void CheckStep(int step)
    {
        if (step > TotalSteps)
            // PyTorch counts the implicit step of the constructor too, hence step + 1. Unlike PyTorch, the
            // failed step leaves the scheduler's state as it was.
            throw new InvalidOperationException($"Tried to step {step + 1} times. The specified number of total steps is {TotalSteps}");
    }

    /// <summary>Writes the new learning rate (and momentum) into the optimizer.</summary>
    private protected override void Apply()
    {
        base.Apply();
        if (CycleMomentum)
        {
            Momentum = ValuesAt(LastStep).Momentum;
            Optimizer.Momentum = Momentum;
        }
        else
            Momentum = Optimizer.Momentum;
    }

    public override double LearningRateAt(int step) => ValuesAt(step).LearningRate;

    private protected override void WriteConfiguration(StateWriter state)
    {
        state.Value("total_steps", (long)TotalSteps);
        state.Value("max_lr", MaxLearningRate);
        state.Value("pct_start", _pctStart);
        state.Value("initial_lr", InitialLearningRate);
        state.Value("min_lr", MinLearningRate);
        state.Value("anneal_strategy", _annealStrategy.ToString());
        state.Value("three_phase", _threePhase);
        state.Value("cycle_momentum", CycleMomentum);
        state.Value("base_momentum", BaseMomentum);
        state.Value("max_momentum", MaxMomentum);
    }

    /// <summary>The learning rate and momentum at <paramref name="step"/> in closed form.</summary>
    public (double LearningRate, double Momentum) ValuesAt(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        double startStep = 0;
        for (var i = 0; i < _phases.Length; i++)
        {
            var phase = _phases[i];
            if (step <= phase.EndStep || i == _phases.Length - 1)
            {
                // A phase of zero length (pctStart = 1, at the final step) divides by zero in PyTorch
                // (ZeroDivisionError); here it counts as finished, so the value is the phase's end value.
                var length = phase.EndStep - startStep;
                var pct = length == 0 ? 1.0 : (step - startStep) / length;
                return (_anneal(phase.StartLr, phase.EndLr, pct), _anneal(phase.StartMomentum, phase.EndMomentum, pct));
            }

            startStep = phase.EndStep;
        }

        throw new InvalidOperationException("Unreachable: the last phase always matches.");
    }

    private static double AnnealCos(double start, double end, double pct) =>
        end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1);

    private static double AnnealLinear(double start, double end, double pct) =>
        (end - start) * pct + start;

    private readonly record struct Phase(double EndStep, double StartLr, double EndLr, double StartMomentum, double EndMomentum);
}
