namespace DslNet;

/// <summary>One epoch of a <see cref="Trainer"/> run.</summary>
/// <param name="Epoch">1-based, as printed.</param>
/// <param name="TrainLoss">Mean training-mode loss over the epoch's batches (with dropout, weighted by rows).</param>
/// <param name="ValidationLoss">Inference-mode loss on the validation set; null without one.</param>
/// <param name="ValidationAuc">ROC AUC for binary cross-entropy with one output (null otherwise, or when the validation set holds one class).</param>
/// <param name="ValidationAccuracy">Accuracy for binary cross-entropy (logit &gt; 0) and cross-entropy (arg max); null for MSE.</param>
/// <param name="LearningRate">The learning rate of the epoch's last optimizer step.</param>
/// <param name="OptimizerSteps">Optimizer steps taken in the epoch (batches ÷ accumulation steps).</param>
/// <param name="TrainSeconds">Wall time of the batch loop.</param>
/// <param name="WallSeconds">Wall time of the whole epoch, validation and checkpoint included.</param>
/// <param name="SamplesPerSecond">Training rows per second of the batch loop.</param>
public sealed record EpochRecord(
    int Epoch,
    double TrainLoss,
    double? ValidationLoss,
    double? ValidationAuc,
    double? ValidationAccuracy,
    double LearningRate,
    int OptimizerSteps,
    double TrainSeconds,
    double WallSeconds,
    double SamplesPerSecond);

/// <summary>The monitor's statistics as gathered on one training step (see <see cref="NetworkMonitor"/>).</summary>
/// <param name="Step">The model's step the statistics were gathered on.</param>
/// <param name="Epoch">1-based epoch of that step.</param>
public sealed record MonitorSnapshot(
    long Step,
    int Epoch,
    IReadOnlyList<ActivationStatistics> Activations,
    IReadOnlyList<GradientStatistics> Gradients);

/// <summary>
/// What a training run did: per epoch (losses, validation metrics, time, throughput), per optimizer step (loss,
/// learning rate, momentum, gradient norm before clipping) and the monitor's statistics. It can plot itself
/// (<see cref="SavePlots"/>) and diagnose its own curves (<see cref="Diagnose"/>).
/// </summary>
/// <remarks>
/// <see cref="Trainer"/> fills one; tests and tools can build one by hand with <see cref="AddStep"/>,
/// <see cref="AddEpoch"/> and <see cref="AddSnapshot"/>. Step series are stored in arrays sized up front (the
/// trainer passes its step count), so recording a step allocates nothing.
/// </remarks>
public sealed partial class TrainingHistory
{
    private readonly List<EpochRecord> _epochs = [];
    private readonly List<MonitorSnapshot> _snapshots = [];
    private double[] _stepLosses;
    private double[] _learningRates;
    private double[] _momentums;
    private double[] _gradientNorms;
    private int _steps;

    /// <param name="stepCapacity">Optimizer steps to reserve room for (the series grow past it if needed).</param>
    public TrainingHistory(int stepCapacity = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepCapacity);
        stepCapacity = Math.Max(stepCapacity, 1);
        _stepLosses = new double[stepCapacity];
        _learningRates = new double[stepCapacity];
        _momentums = new double[stepCapacity];
        _gradientNorms = new double[stepCapacity];
    }

    /// <summary>The loss the run was trained with (picks the diagnosis's notion of "chance level").</summary>
    public Loss? Loss { get; init; }

    /// <summary>
    /// The loss of the best constant prediction on the training labels (entropy of the label distribution for
    /// BCE and cross-entropy, label variance for MSE): the level a model that learned nothing sits at. The
    /// diagnosis measures "high" and "near zero" against it; without it, against the first step's loss.
    /// </summary>
    public double? BaselineLoss { get; init; }

    /// <summary>
    /// The loss, on the validation labels, of the constant prediction fitted on the training labels (the training
    /// label prior, or mean for MSE): a model whose validation loss is no lower learned nothing that generalizes.
    /// Null without a validation set; the diagnosis then falls back to <see cref="BaselineLoss"/>.
    /// </summary>
    public double? ValidationBaselineLoss { get; init; }

    /// <summary>
    /// The number of classes when the training labels look like class indices (integers filling 0 … k−1, k ≤ 100),
    /// else null. With <see cref="DslNet.Loss.MeanSquaredError"/> that is a loss that does not fit its labels.
    /// </summary>
    public int? ClassLikeLabels { get; init; }

    /// <summary>Whether the training rows were shuffled each epoch (null: not known, e.g. a hand-built history).</summary>
    public bool? Shuffled { get; init; }

    /// <summary>The clipping threshold the run used (null: no clipping); drawn on the gradient-norm plot.</summary>
    public double? ClipNorm { get; init; }

    public IReadOnlyList<EpochRecord> Epochs => _epochs;

    /// <summary>Training loss per optimizer step (the mean over its micro-batches).</summary>
    public ReadOnlySpan<double> StepLosses => _stepLosses.AsSpan(0, _steps);

    /// <summary>The learning rate each optimizer step used.</summary>
    public ReadOnlySpan<double> LearningRates => _learningRates.AsSpan(0, _steps);

    /// <summary>The momentum (SGD's momentum, Adam's β1) each optimizer step used.</summary>
    public ReadOnlySpan<double> Momentums => _momentums.AsSpan(0, _steps);

    /// <summary>Global L2 norm of the (unscaled) gradients each optimizer step saw, before clipping.</summary>
    public ReadOnlySpan<double> GradientNorms => _gradientNorms.AsSpan(0, _steps);

    public int StepCount => _steps;

    /// <summary>Monitor statistics, one snapshot per gathering step (empty unless a monitor interval was set).</summary>
    public IReadOnlyList<MonitorSnapshot> MonitorSnapshots => _snapshots;

    /// <summary>Training loss per epoch.</summary>
    public double[] TrainLoss => _epochs.Select(e => e.TrainLoss).ToArray();

    /// <summary>Validation loss per epoch (NaN where there was none).</summary>
    public double[] ValidationLoss => _epochs.Select(e => e.ValidationLoss ?? double.NaN).ToArray();

    public bool HasValidation => _epochs.Any(e => e.ValidationLoss is not null);

    /// <summary>
    /// The 1-based epoch with the lowest validation loss (the lowest training loss without validation); 0 before
    /// any epoch.
    /// </summary>
    public int BestEpoch
    {
        get
        {
            var best = 0;
            var bestLoss = double.PositiveInfinity;
            var validation = HasValidation;
            foreach (var epoch in _epochs)
            {
                var loss = validation ? epoch.ValidationLoss ?? double.NaN : epoch.TrainLoss;
                if (loss < bestLoss)
                {
                    bestLoss = loss;
                    best = epoch.Epoch;
                }
            }
            return best;
        }
    }

    /// <summary>Why training stopped before its last epoch (early stopping, a callback, a non-finite loss); null if it ran to the end.</summary>
    public string? StopReason { get; set; }

    /// <summary>Wall time of the whole run.</summary>
    public TimeSpan WallTime { get; set; }

    /// <summary>Training rows per second over all epochs' batch loops.</summary>
    public double SamplesPerSecond
    {
        get
        {
            var seconds = _epochs.Sum(e => e.TrainSeconds);
            var rows = _epochs.Sum(e => e.SamplesPerSecond * e.TrainSeconds);
            return seconds > 0 ? rows / seconds : 0;
        }
    }

    /// <summary>Records one optimizer step; allocates nothing until the reserved capacity is used up.</summary>
    public void AddStep(double loss, double learningRate, double momentum, double gradientNorm)
    {
        if (_steps == _stepLosses.Length)
        {
            var capacity = _steps * 2;
            Array.Resize(ref _stepLosses, capacity);
            Array.Resize(ref _learningRates, capacity);
            Array.Resize(ref _momentums, capacity);
            Array.Resize(ref _gradientNorms, capacity);
        }
        _stepLosses[_steps] = loss;
        _learningRates[_steps] = learningRate;
        _momentums[_steps] = momentum;
        _gradientNorms[_steps] = gradientNorm;
        _steps++;
    }

    public void AddEpoch(EpochRecord epoch)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        _epochs.Add(epoch);
    }

    public void AddSnapshot(MonitorSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _snapshots.Add(snapshot);
    }

    /// <summary>The loss curves' story in the terms of the debugging playbook (§7.8): see <see cref="Diagnosis"/>.</summary>
    public Diagnosis Diagnose() => LossCurveDiagnosis.Diagnose(this);

    public override string ToString()
    {
        var text = new System.Text.StringBuilder();
        foreach (var e in _epochs)
            text.AppendLine(ProgressDisplay.FormatEpoch(e, _epochs.Count));
        if (StopReason is not null) text.AppendLine($"stopped: {StopReason}");
        if (_epochs.Count > 0) text.Append($"best epoch {BestEpoch}, {WallTime.TotalSeconds:0.0} s, {SamplesPerSecond:N0} samples/s");
        return text.ToString();
    }
}
