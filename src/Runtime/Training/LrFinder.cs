namespace DslNet;

/// <summary>
/// The learning-rate range test (Smith 2017; §7.8.2): train with a learning rate growing exponentially from
/// <c>startLr</c> to <c>endLr</c> over N mini-batches, stop once the loss passes 4× its best, put the model and the
/// optimizer back exactly as they were, and read rates off the curve. The suggested rate is an order of magnitude
/// below the minimum of a curve smoothed without lag; fastai's valley and the steepest descent are reported beside it
/// (<see cref="LrFinderResult.Candidates"/>).
/// </summary>
/// <remarks>
/// <para>
/// The curve the rates are read from is smoothed without lag: a centered moving average over ±2.5 % of the sweep
/// (±4 steps of 150 spanning eight decades, about 0.2 decade). fastai's causal moving average with β = 0.98 remembers
/// about 50 steps, two to three decades of a 100–150-step sweep, so its curve reaches its minimum two decades after
/// the batch losses do and "minimum ÷ 10" lands at the minimum itself (issue 16: 0.108 suggested where the batch
/// losses bottomed near 1e-2). Only the stopping rule needs a causal average; it uses a debiased one whose memory is
/// sized to the sweep (β = 1 − 25/N, at most 0.98), so it stops within a few steps of the blow-up.
/// </para>
/// <para>
/// Which rule: fastai replaced "minimum ÷ 10" (and "steepest") by its valley as the default in 2021 (pull request
/// 3377, after Novetta's comparison on several tasks): the middle of the longest stretch over which the smoothed loss
/// keeps falling. That comparison was made on fastai's lagged curve, where every feature sits one to two decades to
/// the right of the batch losses: the lagged minimum ÷ 10 lands near the real minimum (too high), while the lagged
/// valley lands near the real end of the descent. On a curve without lag the valley sits a decade lower, in the
/// middle of the descent, which is cautious for a one-cycle peak (one-cycle warms up from peak/25). Measured with
/// bench/lr-finder-grid.sh as the one-cycle peak (README, "The LR finder on real data"): minimum ÷ 10 came within
/// 0.13 accuracy points of the best of a 7-rate grid on Fashion-MNIST and within 0.0016 AUC on StreamRec; the valley
/// within 0.0004 AUC on StreamRec but 0.78 points behind on Fashion-MNIST. So the suggestion is minimum ÷ 10 of the
/// lag-free curve, with the valley (the cautious choice, or a constant rate) and the steepest point beside it. The
/// minimum of a long flat floor moves with the noise; the candidates and the plot show when that matters.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var result = LrFinder.Run(model, train, batchSize: 128, steps: 150);
/// result.SavePlot("lr_finder.png");
/// var trainer = new Trainer(model, new TrainerOptions { LearningRate = result.SuggestedLearningRate });  // the one-cycle peak
/// </code>
/// </example>
public static class LrFinder
{
    /// <param name="optimizer">The optimizer to sweep with (its state, rate and momentum are restored afterwards);
    /// null for a fresh <see cref="AdamW"/> with the trainer's default weight decay 1e-2.</param>
    /// <param name="smoothing">β of the debiased moving average the stopping rule watches; null (default) sizes it to the
    /// sweep: 1 − 25/<paramref name="steps"/>, between 0 and 0.98.</param>
    /// <param name="divergenceFactor">Stop once the smoothed loss exceeds this multiple of its best.</param>
    /// <param name="clipNorm">Clip gradients to this global norm during the sweep; null (the default) clips nothing, as in Smith's test.</param>
    public static LrFinderResult Run(
        INetwork model,
        DataSet data,
        int batchSize = 64,
        int steps = 100,
        double startLr = 1e-7,
        double endLr = 10,
        Optimizer? optimizer = null,
        int seed = 0,
        double? smoothing = null,
        double divergenceFactor = 4,
        double? clipNorm = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 2);
        if (!(startLr > 0) || !(endLr > startLr) || double.IsInfinity(endLr))
            throw new ArgumentOutOfRangeException(nameof(endLr), $"Need 0 < startLr < endLr < ∞; got {startLr} and {endLr}.");
        if (smoothing is { } given && !(given >= 0 && given < 1))
            throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "The smoothing β must lie in [0, 1).");
        var beta = smoothing ?? Math.Clamp(1 - 25.0 / steps, 0, 0.98);
        if (!(divergenceFactor > 1))
            throw new ArgumentOutOfRangeException(nameof(divergenceFactor), divergenceFactor, "The divergence factor must exceed 1.");
        if (data.Columns != model.InputSize)
            throw new ArgumentException($"The data set has {data.Columns} feature columns; the model takes {model.InputSize} inputs.", nameof(data));
        if (data.Rows == 0)
            throw new ArgumentException("The data set is empty.", nameof(data));

        optimizer ??= new AdamW(model.Parameters, lr: startLr, weightDecay: 1e-2);
        if (!ReferenceEquals(optimizer.Parameters, model.Parameters))
            throw new ArgumentException("The optimizer updates a different parameter buffer than the model's.", nameof(optimizer));

        using var snapshot = new TrainingSnapshot(model, optimizer);
        var learningRates = new List<double>(steps);
        var losses = new List<double>(steps);
        var best = double.PositiveInfinity;
        var average = 0.0;
        var diverged = false;
        var ratio = Math.Log(endLr / startLr);
        var dropLast = data.Rows >= batchSize;

        var step = 0;
        for (var epoch = 0; step < steps && !diverged; epoch++)
        {
            foreach (var batch in data.Batches(batchSize, shuffle: true, seed: seed, epoch: epoch, dropLast: dropLast))
            {
                var lr = startLr * Math.Exp(ratio * step / (steps - 1));
                optimizer.LearningRate = lr;
                var loss = (double)model.TrainStep(batch.Features, batch.Labels);
                if (clipNorm is { } max) GradClip.ByNorm(model.Gradients, max);
                optimizer.Step();

                average = beta * average + (1 - beta) * loss;
                var value = beta == 0 ? loss : average / (1 - Math.Pow(beta, step + 1));
                learningRates.Add(lr);
                losses.Add(loss);
                step++;

                if (!double.IsFinite(value) || step > 1 && value > divergenceFactor * best)
                {
                    diverged = true;
                    break;
                }
                best = Math.Min(best, value);
                if (step == steps) break;
            }
        }

        snapshot.Restore();
        return new LrFinderResult(learningRates.ToArray(), losses.ToArray(), diverged);
    }

    /// <summary>
    /// A copy of everything a sweep changes: parameters, gradients, running statistics, the step count (it keys the
    /// dropout masks) and the optimizer's state (its moments, step, rate and momentum, through <see cref="IStateful"/>).
    /// </summary>
    internal sealed class TrainingSnapshot : IDisposable
    {
        private readonly INetwork _model;
        private readonly Optimizer _optimizer;
        private readonly float[] _parameters;
        private readonly float[] _gradients;
        private readonly float[] _runningStatistics;
        private readonly long _stepCount;
        private readonly StateWriter _optimizerState = new();
        private bool _restored;

        public TrainingSnapshot(INetwork model, Optimizer optimizer)
        {
            _model = model;
            _optimizer = optimizer;
            _parameters = model.Parameters.Data.ToArray();
            _gradients = model.Gradients.Data.ToArray();
            _runningStatistics = model.RunningStatistics.Data.ToArray();
            _stepCount = model.StepCount;
            optimizer.SaveState(_optimizerState);
        }

        public void Restore()
        {
            _parameters.CopyTo(_model.Parameters.Data, 0);
            _gradients.CopyTo(_model.Gradients.Data, 0);
            _runningStatistics.CopyTo(_model.RunningStatistics.Data, 0);
            _model.StepCount = _stepCount;
            _optimizer.LoadState(new StateReader(_optimizerState, "the optimizer's state before the sweep"));
            _restored = true;
        }

        /// <summary>Restores on the way out of an exception too, so a failed sweep leaves nothing changed.</summary>
        public void Dispose()
        {
            if (!_restored) Restore();
        }
    }
}

/// <summary>A learning rate read off an <see cref="LrFinder"/> curve, and the rule that read it.</summary>
public sealed record LrCandidate(string Rule, double LearningRate, string Meaning);

/// <summary>The curve of an <see cref="LrFinder"/> sweep and the rates read off it.</summary>
public sealed class LrFinderResult
{
    /// <summary>The rule behind <see cref="SuggestedLearningRate"/>.</summary>
    public const string MinimumRule = "minimum ÷ 10";
    public const string ValleyRule = "valley";
    public const string SteepestRule = "steepest";

    internal LrFinderResult(double[] learningRates, double[] losses, bool diverged)
    {
        LearningRates = learningRates;
        Losses = losses;
        Diverged = diverged;
        var smoothed = CenteredAverage(losses, Math.Max(1, (int)Math.Round(0.025 * losses.Length)));
        SmoothedLosses = smoothed;

        // fastai's skips: the first tenth of the sweep (the rates that do nothing) and, for the valley, the last few
        // points (where the sweep blew up).
        var skipStart = losses.Length / 10;

        var minimum = -1;
        for (var i = skipStart; i < smoothed.Length; i++)
            if (double.IsFinite(smoothed[i]) && (minimum < 0 || smoothed[i] < smoothed[minimum]))
                minimum = i;
        MinimumIndex = minimum;
        MinimumLossLearningRate = minimum >= 0 ? learningRates[minimum] : double.NaN;

        var steepest = -1;
        var slope = 0.0;
        for (var i = Math.Max(1, skipStart); i <= minimum; i++)
        {
            var s = (smoothed[i] - smoothed[i - 1]) / Math.Log(learningRates[i] / learningRates[i - 1]);
            if (s < slope)
            {
                slope = s;
                steepest = i;
            }
        }
        SteepestLearningRate = steepest >= 0 ? learningRates[steepest] : double.NaN;

        ValleyIndex = Valley(smoothed, skipStart, Math.Max(skipStart + 1, smoothed.Length - 5));
        ValleyLearningRate = ValleyIndex >= 0 ? learningRates[ValleyIndex] : double.NaN;
        SuggestedLearningRate = double.IsFinite(MinimumLossLearningRate) ? MinimumLossLearningRate / 10 : ValleyLearningRate;

        Candidates =
        [
            new(MinimumRule, MinimumLossLearningRate / 10, "an order of magnitude below the minimum of the lag-free smoothed loss (§7.8.2, fastai's lr_min); the suggestion"),
            new(ValleyRule, ValleyLearningRate, "middle of the longest stretch where the smoothed loss keeps falling (fastai's default since 2021); the cautious choice"),
            new(SteepestRule, SteepestLearningRate, "where the smoothed loss falls fastest per decade of rate (fastai's lr_steep)"),
        ];
    }

    /// <summary>
    /// Reads the rates off a sweep recorded elsewhere (another run, another framework): each step's rate, increasing,
    /// and its raw mini-batch loss.
    /// </summary>
    public static LrFinderResult FromCurve(IReadOnlyList<double> learningRates, IReadOnlyList<double> losses, bool diverged = false)
    {
        ArgumentNullException.ThrowIfNull(learningRates);
        ArgumentNullException.ThrowIfNull(losses);
        if (learningRates.Count != losses.Count || learningRates.Count < 2)
            throw new ArgumentException($"Need as many losses as rates, at least 2; got {learningRates.Count} rates and {losses.Count} losses.", nameof(losses));
        for (var i = 0; i < learningRates.Count; i++)
            if (!(learningRates[i] > 0) || i > 0 && !(learningRates[i] > learningRates[i - 1]))
                throw new ArgumentException($"The rates must be positive and increasing; rate {i} is {learningRates[i]}.", nameof(learningRates));
        return new LrFinderResult(learningRates.ToArray(), losses.ToArray(), diverged);
    }

    /// <summary>The rate of each step of the sweep.</summary>
    public IReadOnlyList<double> LearningRates { get; }

    /// <summary>Each step's raw mini-batch loss.</summary>
    public IReadOnlyList<double> Losses { get; }

    /// <summary>The losses smoothed without lag (centered moving average over ±2.5 % of the sweep): the curve the rates are read from.</summary>
    public IReadOnlyList<double> SmoothedLosses { get; }

    /// <summary>Whether the sweep stopped early because the loss passed the divergence factor × its best (or was not finite).</summary>
    public bool Diverged { get; }

    public int MinimumIndex { get; }

    /// <summary>The index of the valley point, −1 when the curve never falls.</summary>
    public int ValleyIndex { get; }

    /// <summary>The rate at the minimum of the smoothed loss: about where the loss starts to climb.</summary>
    public double MinimumLossLearningRate { get; }

    /// <summary>Where the smoothed loss falls fastest per decade of rate (fastai's "steep").</summary>
    public double SteepestLearningRate { get; }

    /// <summary>The valley rule's rate (fastai's "valley").</summary>
    public double ValleyLearningRate { get; }

    /// <summary>
    /// The peak of a one-cycle schedule (or, more cautiously, a constant rate): an order of magnitude below
    /// <see cref="MinimumLossLearningRate"/> on the lag-free curve. See <see cref="LrFinder"/> for why not the valley.
    /// </summary>
    public double SuggestedLearningRate { get; }

    /// <summary>Every rule's rate: minimum ÷ 10 (the suggestion), valley, steepest.</summary>
    public IReadOnlyList<LrCandidate> Candidates { get; }

    /// <summary>
    /// fastai's valley: the longest decreasing subsequence of the smoothed losses in [<paramref name="from"/>,
    /// <paramref name="to"/>), then the point halfway along it (fastai: start + ⌊s⌋ + ⌊s/2⌋ with s a third of its length).
    /// </summary>
    public static int Valley(IReadOnlyList<double> losses, int from, int to)
    {
        to = Math.Min(to, losses.Count);
        if (to - from < 2) return -1;
        var n = to - from;
        var lengths = new int[n];
        int maxStart = 0, maxEnd = 0;
        for (var i = 0; i < n; i++)
        {
            lengths[i] = 1;
            if (!double.IsFinite(losses[from + i])) continue;
            for (var j = 0; j < i; j++)
                if (losses[from + i] < losses[from + j] && lengths[i] < lengths[j] + 1)
                    lengths[i] = lengths[j] + 1;
            if (lengths[i] > lengths[maxEnd])
            {
                maxEnd = i;
                maxStart = maxEnd - lengths[maxEnd];
            }
        }
        if (lengths[maxEnd] < 2) return -1;
        var section = (maxEnd - maxStart) / 3.0;
        return from + Math.Max(0, maxStart + (int)section + (int)(section / 2));
    }

    /// <summary>Mean of each point's neighbours within ±<paramref name="halfWidth"/>, the window shrunk symmetrically at the ends; non-finite values stay.</summary>
    private static double[] CenteredAverage(double[] values, int halfWidth)
    {
        var result = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                result[i] = values[i];
                continue;
            }
            var h = Math.Min(halfWidth, Math.Min(i, values.Length - 1 - i));
            double sum = 0;
            var count = 0;
            for (var j = i - h; j <= i + h; j++)
                if (double.IsFinite(values[j]))
                {
                    sum += values[j];
                    count++;
                }
            result[i] = sum / count;
        }
        return result;
    }

    /// <summary>Writes the smoothed (and raw) loss against the learning rate on a log axis, every candidate marked, as a PNG.</summary>
    public string SavePlot(string path, int width = 900, int height = 540)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        var lrs = LearningRates.ToArray();
        var spec = new PlotSpec("Learning-rate finder", "learning rate", "loss") { LogX = true };
        spec.Series.Add(new PlotSeries("loss (per batch)", lrs, Losses.ToArray(), Faint: true));
        spec.Series.Add(new PlotSeries("smoothed loss", lrs, SmoothedLosses.ToArray()));
        // Frame the smoothed curve up to a little above where it started; the blow-up at the end would flatten it.
        var finite = SmoothedLosses.Where(double.IsFinite).ToArray();
        if (finite.Length > 0)
        {
            double low = finite.Min(), high = Math.Min(finite.Max(), 1.5 * finite[0]), margin = Math.Max(0.05 * (high - low), 1e-3 * Math.Abs(high));
            spec.YLimits = (low - margin, high + margin);
        }
        if (double.IsFinite(SuggestedLearningRate))
            spec.VerticalLine = (SuggestedLearningRate, FormattableString.Invariant($"suggested ({MinimumRule}) {SuggestedLearningRate:0.##e+0}"));
        foreach (var candidate in Candidates.Where(c => c.Rule != MinimumRule))
            spec.MoreVerticalLines.Add((candidate.LearningRate, FormattableString.Invariant($"{candidate.Rule} {candidate.LearningRate:0.##e+0}")));
        return Plotting.Save(spec, path, width, height);
    }

    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"LR finder: {LearningRates.Count} steps from {LearningRates[0]:0.##e+0} to {LearningRates[^1]:0.##e+0}{(Diverged ? " (stopped: loss diverged)" : "")}; " +
        $"minimum smoothed loss {(MinimumIndex >= 0 ? SmoothedLosses[MinimumIndex] : double.NaN):G4} at lr {MinimumLossLearningRate:0.##e+0}; " +
        $"candidates: {string.Join(", ", Candidates.Select(c => $"{c.Rule} {c.LearningRate:0.##e+0}"))}; suggested learning rate {SuggestedLearningRate:0.##e+0} ({MinimumRule}).");
}
