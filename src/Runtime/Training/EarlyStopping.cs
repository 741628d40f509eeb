namespace DslNet;

/// <summary>Whether a smaller or a larger monitored value is better.</summary>
public enum EarlyStoppingMode
{
    /// <summary>Lower is better (a loss).</summary>
    Min,

    /// <summary>Higher is better (AUC, accuracy).</summary>
    Max,
}

/// <summary>
/// Early stopping (§7.4.4): report the validation value once per epoch; training should stop when it has not
/// improved by more than <see cref="MinDelta"/> on the best for <see cref="Patience"/> reports in a row. The best
/// weights are kept as a copy of the flat <see cref="INetwork.Parameters"/> and <see cref="INetwork.RunningStatistics"/>
/// buffers (allocated once, on the first report), so restoring them is two block copies.
/// </summary>
/// <remarks>
/// An improvement is <c>value &lt; best − minDelta</c> (<see cref="EarlyStoppingMode.Min"/>) or
/// <c>value &gt; best + minDelta</c> (<see cref="EarlyStoppingMode.Max"/>), as in Keras and Lightning. A NaN value never
/// improves. Epochs are counted from 0 in report order. With <c>restoreBest</c>, <see cref="Report"/> restores the best
/// weights into the model itself when it returns true; call <see cref="RestoreBest"/> when training ends for
/// another reason (the last epoch), if the best weights are wanted then too. Optimizer state is not part of the copy.
/// </remarks>
public sealed class EarlyStopping : IStateful
{
    private float[]? _bestParameters;
    private float[]? _bestRunningStatistics;

    public EarlyStopping(int patience, double minDelta = 0, bool restoreBest = true, EarlyStoppingMode mode = EarlyStoppingMode.Min)
    {
        if (patience < 0)
            throw new ArgumentOutOfRangeException(nameof(patience), patience, "Patience must be non-negative.");
        if (!(minDelta >= 0.0) || double.IsInfinity(minDelta))
            throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "minDelta must be finite and non-negative.");
        if (!Enum.IsDefined(mode))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown early-stopping mode.");
        Patience = patience;
        MinDelta = minDelta;
        RestoreBestWeights = restoreBest;
        Mode = mode;
        BestValue = mode == EarlyStoppingMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    public int Patience { get; }
    public double MinDelta { get; }
    public bool RestoreBestWeights { get; }
    public EarlyStoppingMode Mode { get; }

    /// <summary>The best value reported so far (±∞ before any finite report).</summary>
    public double BestValue { get; private set; }

    /// <summary>The 0-based epoch (report) of <see cref="BestValue"/>; −1 before any improvement.</summary>
    public int BestEpoch { get; private set; } = -1;

    /// <summary>Reports so far.</summary>
    public int Epochs { get; private set; }

    /// <summary>Reports in a row without improvement.</summary>
    public int EpochsWithoutImprovement { get; private set; }

    /// <summary>Whether a report has asked to stop.</summary>
    public bool ShouldStop { get; private set; }

    /// <summary>Whether best weights have been kept.</summary>
    public bool HasBestWeights => _bestParameters is not null && BestEpoch >= 0;

    /// <summary>
    /// Records this epoch's validation value; keeps a copy of the weights when it is the best so far. Returns true
    /// when training should stop (then, with <c>restoreBest</c>, the best weights are already back in the model).
    /// </summary>
    public bool Report(double validationLoss, INetwork model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var epoch = Epochs++;
        if (IsImprovement(validationLoss))
        {
            BestValue = validationLoss;
            BestEpoch = epoch;
            EpochsWithoutImprovement = 0;
            if (RestoreBestWeights)
                Keep(model);
        }
        else
            EpochsWithoutImprovement++;

        ShouldStop = EpochsWithoutImprovement >= Patience && EpochsWithoutImprovement > 0;
        if (ShouldStop && RestoreBestWeights && HasBestWeights)
            RestoreBest(model);
        return ShouldStop;
    }

    /// <summary>Copies the best weights (and running statistics) back into <paramref name="model"/>.</summary>
    /// <exception cref="InvalidOperationException">Nothing kept (no improvement yet, or <c>restoreBest: false</c>).</exception>
    public void RestoreBest(INetwork model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!HasBestWeights)
            throw new InvalidOperationException(
                RestoreBestWeights ? "No best weights yet: no report has improved on the start." : "This EarlyStopping was built with restoreBest: false and keeps no weights.");
        CheckShape(model);
        _bestParameters.AsSpan().CopyTo(model.Parameters.Span);
        _bestRunningStatistics.AsSpan().CopyTo(model.RunningStatistics.Span);
    }

    public void SaveState(StateWriter state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Value("type", nameof(EarlyStopping));
        state.Value("patience", (long)Patience);
        state.Value("min_delta", MinDelta);
        state.Value("mode", Mode.ToString());
        state.Value("restore_best", RestoreBestWeights);
        state.Value("best_value", BestValue);
        state.Value("best_epoch", (long)BestEpoch);
        state.Value("epochs", (long)Epochs);
        state.Value("wait", (long)EpochsWithoutImprovement);
        state.Value("should_stop", ShouldStop);
        state.Value("has_best_weights", _bestParameters is not null);
        if (_bestParameters is not null)
        {
            state.Value("best_parameters_length", (long)_bestParameters.Length);
            state.Value("best_running_statistics_length", (long)_bestRunningStatistics!.Length);
            state.Tensor("best_parameters", _bestParameters);
            state.Tensor("best_running_statistics", _bestRunningStatistics);
        }
    }

    public void LoadState(StateReader state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Int64("patience") != Patience || state.Double("min_delta") != MinDelta || state.Text("mode") != Mode.ToString()
            || state.Boolean("restore_best") != RestoreBestWeights)
            throw new InvalidDataException(
                $"The saved EarlyStopping (patience {state.Text("patience")}, minDelta {state.Text("min_delta")}, mode {state.Text("mode")}, restoreBest {state.Text("restore_best")}) " +
                $"differs from this one (patience {Patience}, minDelta {MinDelta:R}, mode {Mode}, restoreBest {RestoreBestWeights}).");
        float[]? parameters = null, statistics = null;
        if (state.Boolean("has_best_weights"))
        {
            parameters = Reuse(_bestParameters, state.Int64("best_parameters_length"));
            statistics = Reuse(_bestRunningStatistics, state.Int64("best_running_statistics_length"));
            state.Tensor("best_parameters", parameters);
            state.Tensor("best_running_statistics", statistics);
        }

        BestValue = state.Double("best_value");
        BestEpoch = (int)state.Int64("best_epoch");
        Epochs = (int)state.Int64("epochs");
        EpochsWithoutImprovement = (int)state.Int64("wait");
        ShouldStop = state.Boolean("should_stop");
        _bestParameters = parameters;
        _bestRunningStatistics = statistics;
    }

    private bool IsImprovement(double value) =>
        Mode == EarlyStoppingMode.Min ? value < BestValue - MinDelta : value > BestValue + MinDelta;

    private void Keep(INetwork model)
    {
        if (_bestParameters is null)
        {
            _bestParameters = new float[model.Parameters.Length];
            _bestRunningStatistics = new float[model.RunningStatistics.Length];
        }

        CheckShape(model);
        model.Parameters.Span.CopyTo(_bestParameters);
        model.RunningStatistics.Span.CopyTo(_bestRunningStatistics);
    }

    private void CheckShape(INetwork model)
    {
        if (model.Parameters.Length != _bestParameters!.Length || model.RunningStatistics.Length != _bestRunningStatistics!.Length)
            throw new ArgumentException(
                $"This EarlyStopping keeps weights of a network with {_bestParameters.Length} parameters and {_bestRunningStatistics!.Length} running statistics; " +
                $"this one has {model.Parameters.Length} and {model.RunningStatistics.Length}.",
                nameof(model));
    }

    private static float[] Reuse(float[]? buffer, long length)
    {
        if (length < 0 || length > int.MaxValue)
            throw new InvalidDataException($"Invalid saved buffer length {length}.");
        return buffer is not null && buffer.Length == length ? buffer : new float[length];
    }
}
