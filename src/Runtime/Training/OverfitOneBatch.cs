namespace DslNet;

/// <summary>
/// Step 2 of the debugging checklist (§7.8.5): with regularization off, train on one fixed batch until the loss is
/// near zero. A model and loss that are wired correctly can memorize a few dozen rows; if they cannot, the
/// architecture or the loss has a bug (or the batch contradicts itself: equal inputs with different labels).
/// </summary>
/// <remarks>
/// "Regularization off" means Adam without weight decay (<see cref="AdamW"/> with decay 0) and no clipping. Dropout
/// is compiled into the model's training step and stays as declared: check a model without dropout (or with a low
/// rate), since a high rate alone can keep the loss from reaching zero. By default the model (parameters,
/// running statistics, step count) is restored afterwards, so the same instance can go on to real training.
/// </remarks>
public static class OverfitOneBatch
{
    /// <param name="data">The batch is its first <paramref name="batchSize"/> rows.</param>
    /// <param name="targetFraction">Success when the loss falls to this fraction of its first value (2 % by default: "near zero" on any loss's scale).</param>
    /// <param name="restore">Put the model back as it was afterwards.</param>
    public static OverfitOneBatchResult Run(
        INetwork model,
        DataSet data,
        int batchSize = 32,
        int maxSteps = 1000,
        double learningRate = 1e-2,
        double targetFraction = 0.02,
        bool restore = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSteps);
        if (!(learningRate >= 0) || double.IsInfinity(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be finite and non-negative.");
        if (!(targetFraction > 0 && targetFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(targetFraction), targetFraction, "The target fraction must lie strictly between 0 and 1.");
        if (data.Columns != model.InputSize)
            throw new ArgumentException($"The data set has {data.Columns} feature columns; the model takes {model.InputSize} inputs.", nameof(data));
        if (data.Rows == 0)
            throw new ArgumentException("The data set is empty.", nameof(data));

        var rows = Math.Min(batchSize, data.Rows);
        var inputs = data.Features[..(rows * data.Columns)].ToArray();
        var labels = data.Labels[..rows].ToArray();
        var optimizer = new AdamW(model.Parameters, lr: learningRate, weightDecay: 0);
        var losses = new List<double>(maxSteps);

        var snapshot = restore ? new LrFinder.TrainingSnapshot(model, optimizer) : null;
        try
        {
            double target = double.NaN;
            for (var step = 0; step < maxSteps; step++)
            {
                var loss = (double)model.TrainStep(inputs, labels);
                losses.Add(loss);
                if (step == 0) target = targetFraction * loss;
                if (!double.IsFinite(loss) || loss <= target) break;
                optimizer.Step();
            }

            return new OverfitOneBatchResult(rows, losses.ToArray(), target, learningRate);
        }
        finally
        {
            snapshot?.Dispose();
        }
    }
}

/// <summary>The outcome of <see cref="OverfitOneBatch.Run"/>: whether the loss got near zero, and a verdict in words.</summary>
public sealed class OverfitOneBatchResult
{
    internal OverfitOneBatchResult(int rows, double[] losses, double targetLoss, double learningRate)
    {
        Rows = rows;
        Losses = losses;
        TargetLoss = targetLoss;
        LearningRate = learningRate;
        InitialLoss = losses[0];
        FinalLoss = losses[^1];
        BestLoss = losses.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Min();
        Succeeded = FinalLoss <= TargetLoss;
    }

    public bool Succeeded { get; }

    /// <summary>Rows in the batch.</summary>
    public int Rows { get; }

    /// <summary>Steps taken (training steps evaluated).</summary>
    public int Steps => Losses.Count;

    public IReadOnlyList<double> Losses { get; }
    public double InitialLoss { get; }
    public double FinalLoss { get; }
    public double BestLoss { get; }
    public double TargetLoss { get; }
    public double LearningRate { get; }

    /// <summary>The verdict: success, or "likely a model or loss bug" with the numbers.</summary>
    public string Message => Succeeded
        ? FormattableString.Invariant(
            $"Overfit one batch of {Rows} rows: loss {InitialLoss:G4} → {FinalLoss:G4} in {Steps} steps (target ≤ {TargetLoss:G4}). The model and the loss can fit data; go on with the checklist (§7.8.5).")
        : FormattableString.Invariant(
            $"Could not overfit one batch of {Rows} rows: loss {InitialLoss:G4} → {FinalLoss:G4} (best {BestLoss:G4}) after {Steps} steps at learning rate {LearningRate:G3}, target ≤ {TargetLoss:G4}. ") +
          "This is likely a model or loss bug (§7.8.5 step 2): check that the loss fits the outputs (logits for the cross-entropies), " +
          "that the labels belong to their inputs (no equal inputs with different labels), and that the architecture can represent the mapping; " +
          (double.IsFinite(FinalLoss) ? "a high dropout rate in the model also prevents it." : "the loss is not finite: lower the learning rate or turn on anomaly mode.");

    public override string ToString() => Message;
}
