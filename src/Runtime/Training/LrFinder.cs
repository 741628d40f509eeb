namespace DslNet;

/// <summary>
/// The learning-rate range test (Smith 2017; §7.8.2), fastai style: train with a learning rate growing
/// exponentially from <c>startLr</c> to <c>endLr</c> over N mini-batches, track the loss smoothed by a
/// bias-corrected exponential moving average, stop once it exceeds 4× its best, then put the model and the optimizer
/// back exactly as they were. The suggested rate is an order of magnitude below the minimum of the curve, where the
/// loss is about to climb.
/// </summary>
/// <example>
/// <code>
/// var result = LrFinder.Run(model, train, batchSize: 256);
/// result.SavePlot("lr_finder.png");
/// var trainer = new Trainer(model, new TrainerOptions { LearningRate = result.SuggestedLearningRate });
/// </code>
/// </example>
public static class LrFinder
{
    /// <param name="optimizer">The optimizer to sweep with (its state, rate and momentum are restored afterwards);
    /// null for a fresh <see cref="AdamW"/> with the trainer's default weight decay 1e-2.</param>
    /// <param name="smoothing">β of the moving average of the loss (fastai's 0.98).</param>
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
        double smoothing = 0.98,
        double divergenceFactor = 4,
        double? clipNorm = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 2);
        if (!(startLr > 0) || !(endLr > startLr) || double.IsInfinity(endLr))
            throw new ArgumentOutOfRangeException(nameof(endLr), $"Need 0 < startLr < endLr < ∞; got {startLr} and {endLr}.");
        if (!(smoothing >= 0 && smoothing < 1))
            throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "The smoothing β must lie in [0, 1).");
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
        var smoothed = new List<double>(steps);
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

                average = smoothing * average + (1 - smoothing) * loss;
                var value = average / (1 - Math.Pow(smoothing, step + 1));
                learningRates.Add(lr);
                losses.Add(loss);
                smoothed.Add(value);
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
        return new LrFinderResult(learningRates.ToArray(), losses.ToArray(), smoothed.ToArray(), diverged);
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

/// <summary>The curve of an <see cref="LrFinder"/> sweep and the rates read off it.</summary>
public sealed class LrFinderResult
{
    internal LrFinderResult(double[] learningRates, double[] losses, double[] smoothedLosses, bool diverged)
    {
        LearningRates = learningRates;
        Losses = losses;
        SmoothedLosses = smoothedLosses;
        Diverged = diverged;

        // The minimum of the smoothed curve, among finite points.
        var minimum = -1;
        for (var i = 0; i < smoothedLosses.Length; i++)
            if (double.IsFinite(smoothedLosses[i]) && (minimum < 0 || smoothedLosses[i] < smoothedLosses[minimum]))
                minimum = i;
        MinimumIndex = minimum;
        MinimumLossLearningRate = minimum >= 0 ? learningRates[minimum] : double.NaN;
        SuggestedLearningRate = MinimumLossLearningRate / 10;

        // The steepest descent of the smoothed loss against log(lr), up to the minimum; the first tenth of the sweep
        // is skipped (fastai's skip_start), where the average still rests on a handful of batches.
        var steepest = -1;
        var slope = 0.0;
        for (var i = Math.Max(1, smoothedLosses.Length / 10); i <= minimum; i++)
        {
            var s = (smoothedLosses[i] - smoothedLosses[i - 1]) / Math.Log(learningRates[i] / learningRates[i - 1]);
            if (s < slope)
            {
                slope = s;
                steepest = i;
            }
        }
        SteepestLearningRate = steepest >= 0 ? learningRates[steepest] : double.NaN;
    }

    /// <summary>The rate of each step of the sweep.</summary>
    public IReadOnlyList<double> LearningRates { get; }

    /// <summary>Each step's raw mini-batch loss.</summary>
    public IReadOnlyList<double> Losses { get; }

    /// <summary>The bias-corrected moving average of the losses: the curve the rates are read from.</summary>
    public IReadOnlyList<double> SmoothedLosses { get; }

    /// <summary>Whether the sweep stopped early because the smoothed loss exceeded the divergence factor × its best (or was not finite).</summary>
    public bool Diverged { get; }

    public int MinimumIndex { get; }

    /// <summary>The rate at the minimum of the smoothed loss: about where the loss starts to climb.</summary>
    public double MinimumLossLearningRate { get; }

    /// <summary>Where the smoothed loss falls fastest per decade of rate (fastai's "steep").</summary>
    public double SteepestLearningRate { get; }

    /// <summary>An order of magnitude below <see cref="MinimumLossLearningRate"/> (§7.8.2): the rate to train with, or the peak of a one-cycle schedule.</summary>
    public double SuggestedLearningRate { get; }

    /// <summary>Writes the smoothed (and raw) loss against the learning rate on a log axis, the suggestion marked, as a PNG.</summary>
    public string SavePlot(string path, int width = 900, int height = 540)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        var lrs = LearningRates.ToArray();
        var spec = new PlotSpec("Learning-rate finder", "learning rate", "loss") { LogX = true };
        spec.Series.Add(new PlotSeries("loss (per batch)", lrs, Losses.ToArray(), Faint: true));
        spec.Series.Add(new PlotSeries("smoothed loss", lrs, SmoothedLosses.ToArray()));
        // Frame the smoothed curve; the raw losses' spikes near the end would flatten it.
        var finite = SmoothedLosses.Where(double.IsFinite).ToArray();
        if (finite.Length > 0)
        {
            double low = finite.Min(), high = finite.Max(), margin = Math.Max(0.05 * (high - low), 1e-3 * Math.Abs(high));
            spec.YLimits = (low - margin, high + margin);
        }
        if (double.IsFinite(SuggestedLearningRate))
            spec.VerticalLine = (SuggestedLearningRate, FormattableString.Invariant($"suggested {SuggestedLearningRate:0.##e+0}"));
        return Plotting.Save(spec, path, width, height);
    }

    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"LR finder: {LearningRates.Count} steps from {LearningRates[0]:0.##e+0} to {LearningRates[^1]:0.##e+0}{(Diverged ? " (stopped: loss diverged)" : "")}; minimum smoothed loss {(MinimumIndex >= 0 ? SmoothedLosses[MinimumIndex] : double.NaN):G4} at lr {MinimumLossLearningRate:0.##e+0}, steepest descent at {SteepestLearningRate:0.##e+0}; suggested learning rate {SuggestedLearningRate:0.##e+0}.");
}
