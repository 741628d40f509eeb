using System.Globalization;
using System.Text;

namespace DslNet.Samples.Schedules;

/// <summary>
/// One schedule's trajectory: <see cref="Rates"/>[t] is the learning rate the optimizer holds for step t (read before
/// the schedule's (t+1)-th <c>Step()</c>, as in the chapter's §7.5.6 loop); <see cref="Momenta"/> the momentum a
/// one-cycle schedule cycles alongside it (null for the others).
/// </summary>
public sealed record ScheduleCurve(string Name, string Settings, double[] Rates, double[]? Momenta)
{
    public double Max => Rates.Max();
    public double Min => Rates.Min();
}

/// <summary>
/// Builds every schedule of the runtime on its own optimizer (SGD with momentum 0.9, base rate
/// <see cref="BaseLearningRate"/>) and steps each the same number of times.
/// </summary>
public static class ScheduleGallery
{
    public const double BaseLearningRate = 0.1;
    public const int DefaultSteps = 1000;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The schedules, in the order they are drawn. Horizons are fractions of <paramref name="steps"/>.</summary>
    public static IReadOnlyList<ScheduleCurve> Build(int steps = DefaultSteps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 20);
        int p30 = steps * 3 / 10, p10 = steps / 10, p5 = steps / 20, p60 = steps * 6 / 10;
        var lr = BaseLearningRate;
        return
        [
            Trace("StepLR", $"step_size={p30}, γ=0.1 (an epoch schedule: here one step = one epoch)", steps,
                o => new StepLR(o, stepSize: p30, gamma: 0.1)),
            Trace("CosineAnnealingLR", $"T_max={steps}, η_min=0", steps,
                o => new CosineAnnealingLR(o, tMax: steps, etaMin: 0, unit: ScheduleUnit.Batch)),
            Trace("CosineAnnealingWarmRestarts", $"T_0={p10}, T_mult=2, η_min={lr / 100:g} (restarts at {p10}, {3 * p10}, {7 * p10})", steps,
                o => new CosineAnnealingWarmRestarts(o, t0: p10, tMult: 2, etaMin: lr / 100, unit: ScheduleUnit.Batch)),
            Trace("OneCycleLR (cos)", $"max_lr={lr:g}, pct_start=0.3, div=25, final_div=1e4", steps,
                o => new OneCycleLR(o, maxLr: lr, totalSteps: steps)),
            Trace("OneCycleLR (linear)", "anneal_strategy=linear, otherwise as above", steps,
                o => new OneCycleLR(o, maxLr: lr, totalSteps: steps, annealStrategy: AnnealStrategy.Linear)),
            Trace("OneCycleLR (three-phase)", "three_phase=True, cos, otherwise as above", steps,
                o => new OneCycleLR(o, maxLr: lr, totalSteps: steps, threePhase: true)),
            Trace("LinearWarmup + cosine", $"{p5} warmup steps, then CosineAnnealingLR(T_max={steps - p5})", steps,
                o => new LinearWarmup(o, warmupSteps: p5, then: new CosineAnnealingLR(o, tMax: steps - p5, unit: ScheduleUnit.Batch))),
            Trace("SequentialLR", $"[LinearWarmup({p10}), CosineAnnealingLR(T_max={steps - p60})], milestone {p60}", steps,
                o => new SequentialLR(o,
                    [new LinearWarmup(o, warmupSteps: p10), new CosineAnnealingLR(o, tMax: steps - p60, unit: ScheduleUnit.Batch)],
                    milestones: [p60])),
        ];
    }

    /// <summary>A table of each schedule's rate at a few steps, and its range.</summary>
    public static string FormatTable(IReadOnlyList<ScheduleCurve> curves)
    {
        var steps = curves[0].Rates.Length;
        int[] at = [0, steps / 10, steps / 4, steps * 3 / 10, steps / 2, steps * 3 / 4, steps - 1];
        var nameWidth = curves.Max(c => c.Name.Length);
        var builder = new StringBuilder();
        builder.Append("schedule".PadRight(nameWidth));
        foreach (var t in at) builder.Append(("t=" + t.ToString(Invariant)).PadLeft(10));
        builder.Append("       min       max").AppendLine();
        foreach (var curve in curves)
        {
            builder.Append(curve.Name.PadRight(nameWidth));
            foreach (var t in at) builder.Append(Format(curve.Rates[t]).PadLeft(10));
            builder.Append(Format(curve.Min).PadLeft(10)).Append(Format(curve.Max).PadLeft(10)).AppendLine();
        }

        return builder.ToString();
    }

    public static string Format(double value) => value.ToString("0.00e+00", Invariant);

    private static ScheduleCurve Trace(string name, string settings, int steps, Func<Optimizer, ILearningRateScheduler> create)
    {
        // One weight is enough: a schedule only reads and writes the optimizer's rate (and momentum).
        var parameters = new ParameterBuffer(1, [new TensorSlot("w", ParameterKind.Weight, 0, [1])]);
        var optimizer = new Sgd(parameters, lr: BaseLearningRate, momentum: 0.9);
        var schedule = create(optimizer);
        var cycles = schedule is OneCycleLR { CycleMomentum: true };
        var rates = new double[steps];
        var momenta = cycles ? new double[steps] : null;
        for (var t = 0; t < steps; t++)
        {
            rates[t] = optimizer.LearningRate;
            if (momenta is not null) momenta[t] = optimizer.Momentum;
            // No step after the last recorded rate: a one-cycle's total counts the rates used, and stepping to
            // t = total would compute a rate past the end of the cycle that no optimizer step uses.
            if (t < steps - 1) schedule.Step();
        }

        return new ScheduleCurve(name, settings, rates, momenta);
    }
}
