namespace DslNet;

public sealed partial class TrainingHistory
{
    /// <summary>File names <see cref="SavePlots"/> writes.</summary>
    public const string LossPlotFile = "loss.png";
    public const string LearningRatePlotFile = "learning_rate.png";
    public const string GradientNormPlotFile = "gradient_norm.png";

    /// <summary>
    /// Writes PNGs into <paramref name="directory"/> (created if missing): <c>loss.png</c> (training and validation
    /// loss per epoch, with the per-step training loss behind them), <c>learning_rate.png</c> (learning rate per
    /// step, momentum on the right axis) and <c>gradient_norm.png</c> (global gradient norm per step, before
    /// clipping, the clipping threshold dashed). Rendered headless by ScottPlot; returns the paths written.
    /// </summary>
    public IReadOnlyList<string> SavePlots(string directory, int width = 900, int height = 540)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        var written = new List<string>();

        // Step k belongs to epoch (k + 1) / stepsPerEpoch on the epoch axis, so per-step loss and per-epoch losses share it.
        var stepEpochs = StepEpochPositions();
        var loss = new PlotSpec("Loss", "epoch", "loss");
        if (_steps > 0)
            loss.Series.Add(new PlotSeries("train (per step)", stepEpochs, StepLosses.ToArray(), Faint: true));
        if (_epochs.Count > 0)
        {
            var epochs = _epochs.Select(e => (double)e.Epoch).ToArray();
            loss.Series.Add(new PlotSeries("train", epochs, TrainLoss, Markers: true));
            if (HasValidation)
                loss.Series.Add(new PlotSeries("validation", epochs, ValidationLoss, Markers: true));
            var best = BestEpoch;
            if (best > 0) loss.VerticalLine = (best, $"best epoch {best}");
        }
        written.Add(Plotting.Save(loss, Path.Combine(directory, LossPlotFile), width, height));

        var steps = Enumerable.Range(0, _steps).Select(i => (double)i).ToArray();
        var rate = new PlotSpec("Learning rate", "optimizer step", "learning rate") { RightAxisLabel = "momentum / β1" };
        rate.Series.Add(new PlotSeries("learning rate", steps, LearningRates.ToArray()));
        if (Momentums.ToArray().Any(m => m != 0))
            rate.Series.Add(new PlotSeries("momentum", steps, Momentums.ToArray(), RightAxis: true));
        written.Add(Plotting.Save(rate, Path.Combine(directory, LearningRatePlotFile), width, height));

        var norm = new PlotSpec("Gradient norm (before clipping)", "optimizer step", "‖g‖₂");
        norm.Series.Add(new PlotSeries("gradient norm", steps, GradientNorms.ToArray()));
        if (ClipNorm is { } clip) norm.HorizontalLine = (clip, FormattableString.Invariant($"clipped to {clip:G3}"));
        written.Add(Plotting.Save(norm, Path.Combine(directory, GradientNormPlotFile), width, height));
        return written;
    }

    private double[] StepEpochPositions()
    {
        var positions = new double[_steps];
        var step = 0;
        foreach (var epoch in _epochs)
        {
            var count = Math.Max(epoch.OptimizerSteps, 1);
            for (var i = 0; i < epoch.OptimizerSteps && step < _steps; i++, step++)
                positions[step] = epoch.Epoch - 1 + (i + 1.0) / count;
        }
        // Steps past the last complete epoch (a run stopped mid-epoch) continue at the last epoch's pace.
        var pace = _epochs.Count > 0 && _epochs[^1].OptimizerSteps > 0 ? 1.0 / _epochs[^1].OptimizerSteps : 1.0 / Math.Max(_steps, 1);
        for (; step < _steps; step++)
            positions[step] = (step > 0 ? positions[step - 1] : 0) + pace;
        return positions;
    }
}
