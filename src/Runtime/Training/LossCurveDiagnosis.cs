namespace DslNet;

/// <summary>
/// The rules behind <see cref="TrainingHistory.Diagnose"/>: §7.8.1's six loss-curve patterns and §7.8.3/§7.8.4's
/// statistics warnings, as thresholds on the history. "High" and "near zero" are measured against a reference
/// level: the history's <see cref="TrainingHistory.BaselineLoss"/> (the loss of predicting the label prior) when
/// known, else the loss of the first steps.
/// </summary>
/// <remarks>
/// Thresholds (relative to the reference or to the curve itself):
/// flat — the best training loss is within 2 % of the starting level and the curve spans less than 10 % of it;
/// divergence — a non-finite loss, or a loss above both 4× its best so far and its starting level
/// (the LR finder's stopping rule);
/// overfitting — validation loss ≥ 3 % above its minimum, or flat for ≥ 3 epochs after it, while training loss
/// fell ≥ 5 % since that minimum;
/// underfitting — after ≥ 4 epochs, both losses ≥ 85 % of the reference and the last third of the epochs improved
/// training loss by &lt; 2 % (85 %, not less: a noisy-label task such as StreamRec settles healthily near 75 %); or the
/// latest validation loss within 3 % of the constant prediction's on the validation labels, or above it; or (too much
/// regularization) the training loss ≥ 20 % above the validation loss for the last two epochs;
/// oscillation — at least a third of epoch-to-epoch moves (or of 10+-step window moves) go up, by ≥ 5 % (6 % for
/// validation, 10 % for windows) of the level on average, with a net change under half the total movement; or no new
/// best training loss (by 2 %) in the last third of the epochs at a rate still above half its peak, with the training
/// loss ≥ 20 % above the validation loss;
/// near zero — training loss ≤ 2 % of the reference;
/// initial loss — the first step's loss ≥ 3× the reference (cross-entropy losses only);
/// loss/label mismatch — MSE on labels that are the integers 0 … k−1;
/// unshuffled batches — shuffling off and consecutive epochs' detrended step losses correlated ≥ 0.5.
/// Statistics (latest monitor snapshot): dead units ≥ 50 % of a block; saturation ≥ 50 % of a block's outputs;
/// per-element RMS gradient of the first weight tensor ≤ 1/100 (vanishing) or ≥ 100× (exploding) the last one's;
/// gradient norm max/median ≥ 100 after the first 10 % of steps (unstable).
/// </remarks>
internal static class LossCurveDiagnosis
{
    private const double FlatImprovement = 0.02;
    private const double FlatSpread = 0.1;
    private const double DivergenceFactor = 4.0;
    private const double OverfitRise = 0.03;
    private const double OverfitTrainDrop = 0.05;
    private const double HighFraction = 0.85;
    private const double ConstantMargin = 0.03;
    private const double RegularizationGap = 0.2;
    private const double InitialLossFactor = 3.0;
    private const double OrderCorrelation = 0.5;
    private const double AnnealedFraction = 0.5;
    private const double PlateauImprovement = 0.02;
    private const double NearZeroFraction = 0.02;
    private const double DeadFraction = 0.5;
    private const double SaturatedFraction = 0.5;
    private const double GradientRatio = 100.0;

    public static Diagnosis Diagnose(TrainingHistory history)
    {
        var findings = new List<DiagnosisFinding>();
        var train = history.Epochs.Select(e => e.TrainLoss).ToArray();
        var steps = history.StepLosses.ToArray();
        var windows = WindowMeans(steps, out var windowSize);
        var reference = ReferenceLevel(history, train, steps);

        var divergence = Divergence(history, train, steps, windows, windowSize);
        if (divergence is not null) findings.Add(divergence);
        else
        {
            var flat = Flat(history, train, windows, reference);
            if (flat is not null) findings.Add(flat);
            else
            {
                var overfitting = Overfitting(history, train);
                var oscillation = Oscillation(history, train, windows, windowSize);
                var batchOrder = UnshuffledBatches(history, steps);
                if (overfitting is not null) findings.Add(WithConstantComparison(history, overfitting));
                else if (oscillation is null && batchOrder is null)
                    Add(findings, Underfitting(history, train, reference) ?? NoBetterThanConstant(history, train) ?? OverRegularized(history, train));
                else Add(findings, NoBetterThanConstant(history, train));
                Add(findings, oscillation);
                Add(findings, batchOrder);
                Add(findings, NearZero(history, train, reference));
            }
        }

        Add(findings, BadInitialLoss(history, steps));
        Add(findings, LossLabelMismatch(history));
        findings.AddRange(StatisticsWarnings(history));
        Add(findings, UnstableGradients(history));
        return new Diagnosis(findings, Summary(history, train));
    }

    private static void Add(List<DiagnosisFinding> findings, DiagnosisFinding? finding)
    {
        if (finding is not null) findings.Add(finding);
    }

    private static string Summary(TrainingHistory history, double[] train)
    {
        if (train.Length == 0)
            return history.StepCount == 0 ? "Empty history: nothing to diagnose." : $"{history.StepCount} steps, no complete epoch.";
        var text = $"{train.Length} epoch{(train.Length == 1 ? "" : "s")}: training loss {train[0]:G4} → {train[^1]:G4}";
        if (history.HasValidation)
        {
            var best = history.BestEpoch;
            var bestLoss = best > 0 ? history.Epochs[best - 1].ValidationLoss : null;
            text += $", validation loss {history.Epochs[^1].ValidationLoss:G4} (best {bestLoss:G4} at epoch {best})";
        }
        if (history.BaselineLoss is { } baseline)
            text += history.ValidationBaselineLoss is { } validationBaseline
                ? $"; a constant prediction scores {baseline:G4} (validation {validationBaseline:G4})"
                : $"; a constant prediction scores {baseline:G4}";
        return text + ".";
    }

    /// <summary>The level of a model that learned nothing: the baseline loss, else where the steps (or epochs) started.</summary>
    private static double ReferenceLevel(TrainingHistory history, double[] train, double[] steps)
    {
        if (history.BaselineLoss is { } baseline && baseline > 0 && double.IsFinite(baseline)) return baseline;
        var first = steps.Take(Math.Max(1, Math.Min(10, steps.Length / 20))).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
        if (double.IsFinite(first) && first > 0) return first;
        return train.Length > 0 && double.IsFinite(train[0]) ? train[0] : 1.0;
    }

    /// <summary>Means of consecutive step windows: about 50 windows, at least one step each.</summary>
    private static double[] WindowMeans(double[] steps, out int size)
    {
        size = Math.Max(1, steps.Length / 50);
        var count = steps.Length / size;
        var means = new double[count];
        for (var w = 0; w < count; w++)
        {
            double sum = 0;
            for (var i = 0; i < size; i++) sum += steps[w * size + i];
            means[w] = sum / size;
        }
        return means;
    }

    private static int EpochOfStep(TrainingHistory history, long step)
    {
        long end = 0;
        foreach (var epoch in history.Epochs)
        {
            end += epoch.OptimizerSteps;
            if (step < end) return epoch.Epoch;
        }
        return history.Epochs.Count > 0 ? history.Epochs[^1].Epoch : 1;
    }

    private static DiagnosisFinding? Divergence(TrainingHistory history, double[] train, double[] steps, double[] windows, int windowSize)
    {
        string[] remedies =
        [
            "Lower the learning rate: it overshoots a cliff in the loss landscape (the LR finder shows where the loss starts to climb; start an order of magnitude below).",
            "Clip gradients by global norm (TrainerOptions.ClipNorm, 1.0 in the recipe).",
            "Check for numerical overflow: TrainerOptions.DetectAnomalies names the first block whose output or gradient holds NaN/∞.",
        ];

        var nonFiniteStep = Array.FindIndex(steps, s => !double.IsFinite(s));
        if (nonFiniteStep >= 0)
        {
            var epoch = EpochOfStep(history, nonFiniteStep);
            var before = steps.Take(nonFiniteStep).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Min();
            return new DiagnosisFinding(DiagnosisKind.Divergence, epoch, nonFiniteStep,
                $"The training loss became {steps[nonFiniteStep]} at step {nonFiniteStep}{(double.IsNaN(before) ? "" : $" after reaching {before:G4}")}.", remedies);
        }

        for (var e = 0; e < history.Epochs.Count; e++)
        {
            var record = history.Epochs[e];
            if (!double.IsFinite(record.TrainLoss) || record.ValidationLoss is { } v && !double.IsFinite(v))
                return new DiagnosisFinding(DiagnosisKind.Divergence, record.Epoch, null,
                    $"Epoch {record.Epoch} ended with training loss {record.TrainLoss:G4} and validation loss {record.ValidationLoss?.ToString("G4") ?? "n/a"}.", remedies);
        }

        // A finite spike: far above the best so far and above where training started.
        for (var w = 1; w < windows.Length; w++)
        {
            var best = windows.AsSpan(0, w).ToArray().Min();
            if (windows[w] > DivergenceFactor * best && windows[w] > windows[0])
            {
                var step = (long)w * windowSize;
                return new DiagnosisFinding(DiagnosisKind.Divergence, EpochOfStep(history, step), step,
                    $"The training loss jumped to {windows[w]:G4} around step {step}, above {DivergenceFactor}× its best so far ({best:G4}) and above its start ({windows[0]:G4}).",
                    remedies);
            }
        }
        for (var e = 1; e < train.Length; e++)
        {
            var best = train.AsSpan(0, e).ToArray().Min();
            if (train[e] > DivergenceFactor * best && train[e] > train[0])
                return new DiagnosisFinding(DiagnosisKind.Divergence, history.Epochs[e].Epoch, null,
                    $"The training loss jumped to {train[e]:G4} in epoch {history.Epochs[e].Epoch}, above {DivergenceFactor}× its best so far ({best:G4}) and above its start ({train[0]:G4}).",
                    remedies);
        }
        return null;
    }

    private static DiagnosisFinding? Flat(TrainingHistory history, double[] train, double[] windows, double reference)
    {
        // Judged on the steps when there are enough, else on the epochs.
        double[] curve;
        if (windows.Length >= 5) curve = windows;
        else if (train.Length >= 2) curve = train;
        else return null;
        double start = curve[0], best = curve.Min();
        if (!(start > 0) || (start - best) / start >= FlatImprovement) return null;
        // A curve that swings widely without improving oscillates (pattern 5); flat means it barely moves.
        if ((curve.Max() - best) / start >= FlatSpread) return null;

        var remedies = new List<string>
        {
            "Raise the learning rate about 10×: the steps are too small to make progress. LrFinder picks it from a sweep.",
            "Check the data pipeline (§7.8.5 step 1): labels shuffled relative to the inputs, or constant, give exactly this curve.",
            "Overfit one batch (OverfitOneBatch): if even that fails, the model or the loss has a bug.",
        };
        var evidence = $"The training loss went from {start:G4} to at best {best:G4} ({(start - best) / start:P1} better).";
        if (history.BaselineLoss is { } baseline && Math.Abs(best - baseline) <= 0.05 * baseline)
            evidence += $" That is the loss of a constant prediction ({baseline:G4}): the model predicts the label prior.";
        return new DiagnosisFinding(DiagnosisKind.FlatLoss, 1, 0, evidence, remedies);
    }

    private static DiagnosisFinding? Overfitting(TrainingHistory history, double[] train)
    {
        var epochs = history.Epochs;
        if (epochs.Count < 3 || epochs.Any(e => e.ValidationLoss is null)) return null;
        var validation = epochs.Select(e => e.ValidationLoss!.Value).ToArray();
        var b = Array.IndexOf(validation, validation.Min());
        var last = validation.Length - 1;
        if (b == last) return null;

        var rose = validation[last] >= (1 + OverfitRise) * validation[b];
        var plateaued = last - b >= 3;
        var trainFell = train[last] <= (1 - OverfitTrainDrop) * train[b];
        if (!(trainFell && (rose || plateaued))) return null;

        var remedies = new List<string>
        {
            "Regularize more: raise dropout, raise weight decay (AdamW's decoupled decay), add data augmentation, or shrink the model.",
            $"Early stopping on validation loss (TrainerOptions.EarlyStopping with restoreBest) keeps the weights of epoch {epochs[b].Epoch}.",
        };
        if (b == 0)
            remedies.Add("The gap opened at once (validation was best after the first epoch): the model may be too large for the data set.");
        var evidence = rose
            ? $"Validation loss rose from {validation[b]:G4} (epoch {epochs[b].Epoch}) to {validation[last]:G4} while training loss fell from {train[b]:G4} to {train[last]:G4}."
            : $"Validation loss has not improved on {validation[b]:G4} (epoch {epochs[b].Epoch}) for {last - b} epochs while training loss fell from {train[b]:G4} to {train[last]:G4}.";
        return new DiagnosisFinding(DiagnosisKind.Overfitting, epochs[b].Epoch + 1, null, evidence, remedies);
    }

    private static DiagnosisFinding? Underfitting(TrainingHistory history, double[] train, double reference)
    {
        if (train.Length < 4) return null;
        var last = train.Length - 1;
        var high = train[last] >= HighFraction * reference;
        var validation = history.Epochs[last].ValidationLoss;
        if (validation is { } v) high &= v >= HighFraction * reference;
        if (!high) return null;

        var tail = Math.Max(2, train.Length / 3);
        var tailStart = train[last - tail];
        if (!(tailStart > 0) || (tailStart - train[last]) / tailStart >= PlateauImprovement) return null;

        var floor = train.Min();
        var since = Array.FindIndex(train, t => t <= (1 + PlateauImprovement) * floor);
        var remedies = new List<string>
        {
            "Give the model more capacity: wider or more blocks.",
            "Raise the learning rate (LrFinder), or try a different optimizer (SGD → Adam/AdamW).",
            "Check for dead neurons (ReLU collapse): set TrainerOptions.MonitorInterval and read the DeadUnits warning.",
        };
        var evidence = $"Training loss settled at {train[last]:G4}{(validation is { } val ? $" and validation loss at {val:G4}" : "")}, " +
                       $"{train[last] / reference:P0} of the reference level {reference:G4}, improving < {PlateauImprovement:P0} over the last {tail} epochs.";
        return new DiagnosisFinding(DiagnosisKind.Underfitting, history.Epochs[since].Epoch, null, evidence, remedies);
    }

    /// <summary>The constant prediction's loss on the validation labels (else on the training labels): what a model must beat.</summary>
    private static double? ConstantLoss(TrainingHistory history) =>
        history.ValidationBaselineLoss is { } v && double.IsFinite(v) && v > 0 ? v
        : history.BaselineLoss is { } b && double.IsFinite(b) && b > 0 ? b : null;

    /// <summary>
    /// A model whose latest validation loss (training loss without validation) is within 3 % of the constant
    /// prediction's, or above it, has learned nothing that generalizes, however its curves look (issue 13, item 7).
    /// </summary>
    private static DiagnosisFinding? NoBetterThanConstant(TrainingHistory history, double[] train)
    {
        if (train.Length == 0 || ConstantLoss(history) is not { } constant) return null;
        var epochs = history.Epochs;
        var useValidation = epochs[^1].ValidationLoss is not null;
        var series = useValidation ? epochs.Select(e => e.ValidationLoss ?? double.NaN).ToArray() : train;
        if (!useValidation && train.Length < 2) return null;
        var threshold = (1 - ConstantMargin) * constant;
        if (!(series[^1] >= threshold)) return null;
        var since = series.Length - 1;
        while (since > 0 && series[since - 1] >= threshold) since--;

        var which = useValidation ? "Validation" : "Training";
        var evidence = $"{which} loss {series[^1]:G4} is no better than a constant prediction of the training labels' " +
                       $"{(history.Loss == DslNet.Loss.MeanSquaredError ? "mean" : "base rate")} ({constant:G4}{(useValidation ? " on the validation set" : "")}): " +
                       "the model has learned nothing that generalizes.";
        var remedies = new List<string>();
        if (PeakLearningRate(history) is { } peak && peak <= 1e-5)
            remedies.Add($"The learning rate peaked at {peak:G3}: far too low to move the weights. Raise it (LrFinder picks it from a sweep).");
        else
            remedies.Add("Raise the learning rate (LrFinder), or try a different optimizer (SGD → Adam/AdamW).");
        remedies.Add("Check the data pipeline (§7.8.5 step 1): labels misaligned with the features, or validation data prepared differently from training data.");
        remedies.Add("Overfit one batch (OverfitOneBatch): if even that fails, the model or the loss has a bug.");
        return new DiagnosisFinding(DiagnosisKind.Underfitting, epochs[since].Epoch, null, evidence, remedies);
    }

    private static DiagnosisFinding WithConstantComparison(TrainingHistory history, DiagnosisFinding finding)
    {
        var last = history.Epochs[^1].ValidationLoss;
        if (last is not { } v || ConstantLoss(history) is not { } constant || v < (1 - ConstantMargin) * constant) return finding;
        return finding with
        {
            Evidence = finding.Evidence + $" Validation loss {v:G4} is now no better than a constant prediction ({constant:G4}).",
        };
    }

    /// <summary>
    /// Pattern 4 with "too much regularization" as its cause: the training loss, measured with dropout on, stays
    /// ≥ 20 % above the validation loss for the last two epochs. A healthy run's training loss comes down to the
    /// validation loss or below it; dropout and weight decay that keep it far above hold the model back.
    /// </summary>
    private static DiagnosisFinding? OverRegularized(TrainingHistory history, double[] train)
    {
        var epochs = history.Epochs;
        if (train.Length < 3) return null;
        bool Above(int e) => epochs[e].ValidationLoss is { } v && v > 0 && train[e] >= (1 + RegularizationGap) * v;
        if (!Above(train.Length - 1) || !Above(train.Length - 2)) return null;
        var since = train.Length - 1;
        while (since > 0 && Above(since - 1)) since--;
        var validation = epochs[^1].ValidationLoss!.Value;
        return new DiagnosisFinding(DiagnosisKind.Underfitting, epochs[since].Epoch, null,
            $"Training loss {train[^1]:G4} stays {train[^1] / validation - 1:P0} above validation loss {validation:G4} (since epoch {epochs[since].Epoch}): " +
            "dropout and weight decay keep the model from fitting even its training set (too much regularization).",
            [
                "Lower the dropout rate and the weight decay: the training loss (measured with dropout on) should come down to the validation loss.",
                "Give the model more capacity once the regularization is lighter.",
            ]);
    }

    /// <summary>
    /// The first step's loss (computed before any update, so the initialization's alone) ≥ 3× the constant
    /// prediction's: far from "chance level at initialization". Cross-entropy losses only: an MSE model starting at
    /// zero scores the labels' mean square, which may be far above their variance without anything being wrong.
    /// </summary>
    private static DiagnosisFinding? BadInitialLoss(TrainingHistory history, double[] steps)
    {
        if (history.Loss is not (DslNet.Loss.BinaryCrossEntropyWithLogits or DslNet.Loss.CrossEntropy)) return null;
        if (history.BaselineLoss is not { } baseline || !(baseline > 0) || steps.Length == 0) return null;
        var first = steps[0];
        if (!(first >= InitialLossFactor * baseline)) return null;
        return new DiagnosisFinding(DiagnosisKind.BadInitialLoss, 1, 0,
            $"The first step's loss {first:G4}, before any update, is {first / baseline:G3}× that of a constant prediction ({baseline:G4}); a well-initialized network starts near it.",
            [
                "Use Init.Auto (He in front of ReLU-like activations, Xavier in front of tanh/sigmoid) instead of a fixed-scale initialization.",
                "Check the output layer: logits far from zero at the start make the loss start far above chance.",
                "Normalize the inputs (Standardizer) so the first layer sees unit-scale features.",
            ]);
    }

    /// <summary>Mean squared error on labels that look like class indices (0 … k−1).</summary>
    private static DiagnosisFinding? LossLabelMismatch(TrainingHistory history)
    {
        if (history.Loss != DslNet.Loss.MeanSquaredError || history.ClassLikeLabels is not { } classes) return null;
        var fix = classes == 2
            ? "Use Loss.BinaryCrossEntropyWithLogits with one output: the labels are 0/1 clicks or classes, not quantities."
            : $"Use Loss.CrossEntropy with {classes} outputs: the labels are class indices, not quantities.";
        return new DiagnosisFinding(DiagnosisKind.LossLabelMismatch, null, null,
            $"The model is trained with mean squared error, but its labels are the integers 0 to {classes - 1} and nothing else: " +
            $"class indices. MSE treats class {classes - 1} as {classes - 1}× further from class 0 than class 1 is, and its predictions are not probabilities.",
            [fix, "If the labels really are ordered quantities, ignore this finding."]);
    }

    private static double? PeakLearningRate(TrainingHistory history)
    {
        var rates = history.LearningRates;
        if (rates.Length == 0) return history.Epochs.Count > 0 ? history.Epochs.Max(e => e.LearningRate) : null;
        var peak = 0.0;
        foreach (var rate in rates) peak = Math.Max(peak, rate);
        return peak;
    }

    private static DiagnosisFinding? Oscillation(TrainingHistory history, double[] train, double[] windows, int windowSize)
    {
        var rate = RateEvidence(history);
        string[] remedies =
        [
            "Lower the learning rate: it is too high for this phase of training.",
            "Use a larger batch size: small batches give noisy gradients.",
            "Add learning-rate warmup (one-cycle or LinearWarmup in front of the schedule).",
        ];

        if (train.Length >= 5 && Oscillates(train, 0.05, out var firstUp, out var ups, out var amplitude))
            return new DiagnosisFinding(DiagnosisKind.Oscillation, history.Epochs[firstUp + 1].Epoch, null,
                $"The training loss went up in {ups} of {train.Length - 1} epochs, moving {amplitude:P0} of its level per epoch on average, and ended at {train[^1]:G4} (started {train[0]:G4}).{rate}",
                remedies);

        // The validation loss, measured on fixed weights at each epoch's end, shows where a too-large step leaves them.
        var validation = history.Epochs.Select(e => e.ValidationLoss ?? double.NaN).ToArray();
        if (validation.Length >= 4 && validation.All(double.IsFinite) && Oscillates(validation, 0.06, out firstUp, out ups, out amplitude))
            return new DiagnosisFinding(DiagnosisKind.Oscillation, history.Epochs[firstUp + 1].Epoch, null,
                $"The validation loss went up in {ups} of {validation.Length - 1} epochs, moving {amplitude:P0} of its level per epoch on average " +
                $"(between {validation.Min():G4} and {validation.Max():G4}), while the training loss ended at {train[^1]:G4}.{rate}",
                remedies);

        if (PlateauAtHighRate(history, train, rate, remedies) is { } plateau) return plateau;

        if (windowSize >= 10 && windows.Length >= 10 && Oscillates(windows, 0.10, out firstUp, out ups, out amplitude))
        {
            var step = (long)(firstUp + 1) * windowSize;
            return new DiagnosisFinding(DiagnosisKind.Oscillation, EpochOfStep(history, step), step,
                $"Averaged over windows of {windowSize} steps, the loss went up in {ups} of {windows.Length - 1} windows, moving {amplitude:P0} of its level per window on average.{rate}",
                remedies);
        }
        return null;
    }

    /// <summary>
    /// Pattern 5 at a rate that never comes down: the training loss has made no new best (by 2 %) in the last third
    /// of the epochs while the rate stayed above half its peak, and the loss measured during each epoch stays ≥ 20 %
    /// above the validation loss of the weights at its end. The steps are too large to settle: they keep kicking the
    /// weights out of the minimum they approach (the issue's AdamW at 0.5 plateaued at 1.0 against 0.29).
    /// </summary>
    private static DiagnosisFinding? PlateauAtHighRate(TrainingHistory history, double[] train, string rate, string[] remedies)
    {
        var epochs = history.Epochs;
        if (train.Length < 4 || PeakLearningRate(history) is not { } peak || !(peak > 0)) return null;
        if (!(epochs[^1].LearningRate >= AnnealedFraction * peak)) return null;
        var tail = Math.Max(2, train.Length / 3);
        var before = train.Take(train.Length - tail).Min();
        var after = train.Skip(train.Length - tail).Min();
        if (!(after >= (1 - PlateauImprovement) * before)) return null;
        bool Above(int e) => epochs[e].ValidationLoss is { } v && v > 0 && train[e] >= (1 + RegularizationGap) * v;
        if (!Above(train.Length - 1) || !Above(train.Length - 2)) return null;
        var validation = epochs[^1].ValidationLoss!.Value;
        return new DiagnosisFinding(DiagnosisKind.Oscillation, epochs[train.Length - tail].Epoch, null,
            $"The training loss has not improved on {before:G4} for the last {tail} epochs (best since: {after:G4}) while the learning rate stayed at " +
            $"{epochs[^1].LearningRate:G3}, and the loss measured during the epoch ({train[^1]:G4}) stays {train[^1] / validation - 1:P0} above the validation " +
            $"loss of the weights at its end ({validation:G4}): the steps keep throwing the weights out of the minimum they approach.{rate}",
            remedies);
    }

    /// <summary>
    /// Without shuffling, the loss at each position of the epoch repeating from one epoch to the next (mean correlation
    /// of consecutive epochs' detrended step losses ≥ 0.5) means the batches differ systematically: the rows are ordered
    /// (sorted by label, grouped by source), and each batch pulls the model towards its own part of the data.
    /// </summary>
    private static DiagnosisFinding? UnshuffledBatches(TrainingHistory history, double[] steps)
    {
        if (history.Shuffled != false || history.Epochs.Count < 2) return null;
        var perEpoch = history.Epochs[0].OptimizerSteps;
        if (perEpoch < 5 || history.Epochs.Any(e => e.OptimizerSteps != perEpoch) || steps.Length < 2 * perEpoch) return null;
        var correlations = new List<double>();
        for (var e = 1; (e + 1) * perEpoch <= steps.Length; e++)
        {
            var r = Correlation(Detrended(steps.AsSpan((e - 1) * perEpoch, perEpoch)), Detrended(steps.AsSpan(e * perEpoch, perEpoch)));
            if (double.IsFinite(r)) correlations.Add(r);
        }
        if (correlations.Count == 0 || !(correlations.Average() >= OrderCorrelation)) return null;
        return new DiagnosisFinding(DiagnosisKind.UnshuffledBatches, 1, null,
            $"The batches were not shuffled, and the loss at each step of an epoch, its steady descent taken out, follows the same pattern " +
            $"every epoch (mean correlation {correlations.Average():G2} between consecutive epochs' step losses): the batches differ " +
            "systematically and come in the same order, so each one pulls the model towards its own part of the data (rows sorted by class, say).",
            [
                "Shuffle the training rows every epoch (TrainerOptions.Shuffle, on by default).",
                "If the order matters (a time series), shuffle whole windows, or split by time and shuffle within the training part.",
            ]);
    }

    /// <summary>The residuals of a least-squares line through the series: an epoch's steady descent is not a pattern.</summary>
    private static double[] Detrended(ReadOnlySpan<double> series)
    {
        var n = series.Length;
        double meanX = (n - 1) / 2.0, meanY = 0;
        foreach (var y in series) meanY += y;
        meanY /= n;
        double sxy = 0, sxx = 0;
        for (var i = 0; i < n; i++)
        {
            sxy += (i - meanX) * (series[i] - meanY);
            sxx += (i - meanX) * (i - meanX);
        }
        var slope = sxx > 0 ? sxy / sxx : 0;
        var residuals = new double[n];
        for (var i = 0; i < n; i++) residuals[i] = series[i] - (meanY + slope * (i - meanX));
        return residuals;
    }

    private static double Correlation(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double meanA = 0, meanB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            meanA += a[i];
            meanB += b[i];
        }
        meanA /= a.Length;
        meanB /= b.Length;
        double ab = 0, aa = 0, bb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            ab += (a[i] - meanA) * (b[i] - meanB);
            aa += (a[i] - meanA) * (a[i] - meanA);
            bb += (b[i] - meanB) * (b[i] - meanB);
        }
        return ab / Math.Sqrt(aa * bb);
    }

    /// <summary>" The learning rate was … (peak …); step losses spread ±…% around their mean in the last epoch.", or "" without steps.</summary>
    private static string RateEvidence(TrainingHistory history)
    {
        var rates = history.LearningRates;
        var losses = history.StepLosses;
        if (rates.Length == 0 || history.Epochs.Count == 0) return "";
        var lastSteps = Math.Min(history.Epochs[^1].OptimizerSteps, losses.Length);
        var tail = losses[^lastSteps..].ToArray().Where(double.IsFinite).ToArray();
        var text = $" The learning rate was {rates[^1]:G3} at the end (peak {PeakLearningRate(history):G3})";
        if (tail.Length >= 5)
        {
            var mean = tail.Average();
            var spread = Math.Sqrt(tail.Sum(l => (l - mean) * (l - mean)) / (tail.Length - 1));
            if (mean > 0) text += $"; the step losses of the last epoch spread ±{spread / mean:P0} around their mean {mean:G4}";
        }
        return text + ".";
    }

    private static bool Oscillates(double[] series, double minAmplitude, out int firstUp, out int ups, out double amplitude)
    {
        firstUp = -1;
        ups = 0;
        double totalMove = 0;
        for (var i = 0; i + 1 < series.Length; i++)
        {
            var d = series[i + 1] - series[i];
            totalMove += Math.Abs(d);
            if (d > 0)
            {
                ups++;
                if (firstUp < 0) firstUp = i;
            }
        }
        var moves = series.Length - 1;
        var level = series.Average();
        amplitude = level > 0 ? totalMove / moves / level : 0;
        var net = Math.Abs(series[^1] - series[0]);
        return ups >= 2 && ups >= moves / 3.0 && amplitude >= minAmplitude && net < 0.5 * totalMove;
    }

    private static DiagnosisFinding? NearZero(TrainingHistory history, double[] train, double reference)
    {
        if (train.Length == 0 || !(train[^1] <= NearZeroFraction * reference)) return null;
        var since = Array.FindIndex(train, t => t <= NearZeroFraction * reference);
        var validation = history.Epochs[^1].ValidationLoss;
        var remedies = new List<string>();
        string evidence;
        if (validation is { } v && v <= 5 * NearZeroFraction * reference)
        {
            evidence = $"Training loss {train[^1]:G4} and validation loss {v:G4} are both near zero (reference {reference:G4}): suspiciously easy.";
            remedies.Add("Check for a leak: a feature that encodes the label, or rows shared between the training and validation sets.");
            remedies.Add("If the task really is this easy, a smaller model will do.");
        }
        else
        {
            evidence = validation is { } val
                ? $"Training loss {train[^1]:G4} is near zero (reference {reference:G4}) while validation loss is {val:G4}: the model memorizes the training set, though it has learned useful features."
                : $"Training loss {train[^1]:G4} is near zero (reference {reference:G4}); without a validation set memorization cannot be told from learning.";
            remedies.Add("Early stopping selects the model at the validation-loss minimum (TrainerOptions.EarlyStopping).");
            remedies.Add("Consider more regularization: dropout, weight decay.");
            if (validation is null) remedies.Add("Hold out a validation set (DataSet.Split) to see how much of this generalizes.");
        }
        return new DiagnosisFinding(DiagnosisKind.TrainLossNearZero, history.Epochs[since].Epoch, null, evidence, remedies);
    }

    private static IEnumerable<DiagnosisFinding> StatisticsWarnings(TrainingHistory history)
    {
        var snapshots = history.MonitorSnapshots;
        if (snapshots.Count == 0) yield break;
        var latest = snapshots[^1];

        var dead = latest.Activations.Where(a => a.DeadUnits >= DeadFraction).ToArray();
        if (dead.Length > 0)
        {
            var first = FirstSnapshot(snapshots, s => s.Activations.Any(a => dead.Any(d => d.Block == a.Block) && a.DeadUnits >= DeadFraction));
            yield return new DiagnosisFinding(DiagnosisKind.DeadUnits, first.Epoch, first.Step,
                $"Dead units (zero for every row of the batch) at step {latest.Step}: {string.Join(", ", dead.Select(a => $"{a.Block} {a.DeadUnits:P0}"))}. " +
                "Their inputs stay negative, so their gradient is zero and they never recover.",
                [
                    "Use LeakyRelu or Gelu instead of Relu.",
                    "Lower the learning rate: a large step can push a unit's bias far negative.",
                    "Reduce weight decay.",
                ]);
        }

        var saturated = latest.Activations.Where(a => a.FractionSaturated >= SaturatedFraction).ToArray();
        if (saturated.Length > 0)
        {
            var first = FirstSnapshot(snapshots, s => s.Activations.Any(a => saturated.Any(d => d.Block == a.Block) && a.FractionSaturated >= SaturatedFraction));
            yield return new DiagnosisFinding(DiagnosisKind.Saturation, first.Epoch, first.Step,
                $"Saturated outputs at step {latest.Step}: {string.Join(", ", saturated.Select(a => $"{a.Block} {a.FractionSaturated:P0}"))} sit in the flat tails of tanh/sigmoid, where the gradient is near zero.",
                [
                    "Use Xavier initialization in front of tanh/sigmoid (Init.Auto does).",
                    "Normalize before the activation (BatchNorm or LayerNorm in the block).",
                    "Lower the learning rate.",
                ]);
        }

        if (GradientDepthRatio(latest) is var (ratio, input, output) && double.IsFinite(ratio))
        {
            if (ratio <= 1 / GradientRatio)
            {
                var first = FirstSnapshot(snapshots, s => GradientDepthRatio(s) is var (r, _, _) && r <= 1 / GradientRatio);
                yield return new DiagnosisFinding(DiagnosisKind.VanishingGradients, first.Epoch, first.Step,
                    $"The RMS gradient of {input} is {ratio:G3}× that of {output}: the layers near the input barely learn.",
                    [
                        "Add normalization (BatchNorm or LayerNorm) to the blocks.",
                        "Use He initialization in front of ReLU-like activations, Xavier in front of tanh/sigmoid (Init.Auto).",
                        "Use a shallower network (or residual connections, where the architecture allows them).",
                    ]);
            }
            else if (ratio >= GradientRatio)
            {
                var first = FirstSnapshot(snapshots, s => GradientDepthRatio(s) is var (r, _, _) && r >= GradientRatio);
                yield return new DiagnosisFinding(DiagnosisKind.ExplodingGradients, first.Epoch, first.Step,
                    $"The RMS gradient of {input} is {ratio:G3}× that of {output}: gradients grow on their way to the input.",
                    [
                        "Clip gradients by global norm (TrainerOptions.ClipNorm).",
                        "Lower the learning rate.",
                    ]);
            }
        }
        var nonFinite = latest.Gradients.FirstOrDefault(g => !double.IsFinite(g.Norm));
        if (nonFinite is not null)
            yield return new DiagnosisFinding(DiagnosisKind.ExplodingGradients, latest.Epoch, latest.Step,
                $"The gradient of {nonFinite.Tensor} is not finite (norm {nonFinite.Norm}).",
                ["Clip gradients by global norm.", "Lower the learning rate.", "Turn on anomaly mode (TrainerOptions.DetectAnomalies) to find the first block that overflows."]);
    }

    private static MonitorSnapshot FirstSnapshot(IReadOnlyList<MonitorSnapshot> snapshots, Func<MonitorSnapshot, bool> holds)
    {
        // The start of the final run of snapshots where the condition holds.
        var first = snapshots.Count - 1;
        while (first > 0 && holds(snapshots[first - 1])) first--;
        return snapshots[first];
    }

    /// <summary>Per-element RMS gradient of the first weight tensor over that of the last (weights only, when named so).</summary>
    private static (double Ratio, string Input, string Output)? GradientDepthRatio(MonitorSnapshot snapshot)
    {
        var tensors = snapshot.Gradients.Where(g => g.Tensor.EndsWith(".Weight", StringComparison.Ordinal)).ToArray();
        if (tensors.Length < 2) tensors = snapshot.Gradients.ToArray();
        if (tensors.Length < 2) return null;
        static double Rms(GradientStatistics g) => Math.Sqrt(g.Std * g.Std + g.Mean * g.Mean);
        double input = Rms(tensors[0]), output = Rms(tensors[^1]);
        if (!(output > 0)) return null;
        return (input / output, tensors[0].Tensor, tensors[^1].Tensor);
    }

    private static DiagnosisFinding? UnstableGradients(TrainingHistory history)
    {
        var norms = history.GradientNorms.ToArray();
        var skip = norms.Length / 10;
        var tail = norms.Skip(skip).Where(n => double.IsFinite(n) && n > 0).ToArray();
        if (tail.Length < 20) return null;
        Array.Sort(tail);
        var median = tail[tail.Length / 2];
        var max = tail[^1];
        if (!(max >= GradientRatio * median)) return null;
        var at = Array.FindIndex(norms, skip, n => n == max);
        return new DiagnosisFinding(DiagnosisKind.UnstableGradients, EpochOfStep(history, at), at,
            $"The gradient norm reached {max:G3} at step {at}, {max / median:G3}× its median {median:G3}: it fluctuates by orders of magnitude.",
            [
                "Clip gradients by global norm (TrainerOptions.ClipNorm, 1.0 in the recipe).",
                "Add learning-rate warmup.",
                "Add batch normalization.",
            ]);
    }
}
