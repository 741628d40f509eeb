namespace DslNet;

/// <summary>
/// Updates a model's flat parameter buffer from its gradient buffer in one fused pass per <see cref="Step"/>.
/// Optimizer state lives in fp32 arrays of the same length, allocated once; a step allocates nothing.
/// </summary>
/// <remarks>
/// <para>
/// Parameter groups: by default (<see cref="ParameterSelection.WeightsOnly"/>) weight decay applies to the
/// <see cref="ParameterKind.Weight"/> views only, not to biases and normalization parameters — PyTorch's usual
/// two-group recipe. <see cref="ParameterSelection.All"/> gives <c>torch.optim</c> over <c>model.parameters()</c>
/// (one group, every parameter decayed). The groups are precomputed at construction as runs of contiguous
/// elements ("segments") of the flat buffer; a step walks the segments in order, so every element is still read
/// and written once, in one pass.
/// </para>
/// <para>
/// Scalars (learning rate, bias corrections) are computed in double and rounded to fp32 once per step; the
/// element-wise arithmetic is fp32, as in PyTorch for fp32 parameters.
/// </para>
/// <para>
/// State: <see cref="SaveState"/> / <see cref="LoadState"/> carry the step count, learning rate (and the
/// schedules' <see cref="InitialLearningRate"/>), momentum or β1, and every state tensor, so a restored optimizer
/// continues bit-identically. Hyperparameters fixed at construction (weight decay, β2, ε, …) are checked on load,
/// not overwritten: a mismatch throws instead of silently training a different recipe (PyTorch overwrites them
/// from the checkpoint's <c>param_groups</c>).
/// </para>
/// </remarks>
public abstract class Optimizer : IStateful
{
    private double _learningRate;
    private readonly ParameterSegment[] _segments;

    protected Optimizer(ParameterBuffer parameters, double learningRate, ParameterSelection weightDecayOn = ParameterSelection.WeightsOnly)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!Enum.IsDefined(weightDecayOn))
            throw new ArgumentOutOfRangeException(nameof(weightDecayOn), weightDecayOn, "Unknown parameter selection.");
        Parameters = parameters;
        LearningRate = learningRate;
        WeightDecayOn = weightDecayOn;
        _segments = BuildSegments(parameters, weightDecayOn);
    }

    /// <summary>The buffer this optimizer updates; it reads <see cref="ParameterBuffer.Gradients"/>.</summary>
    public ParameterBuffer Parameters { get; }

    public TensorBuffer Gradients => Parameters.Gradients;

    /// <summary>Which parameters weight decay applies to (when the optimizer has a non-zero decay).</summary>
    public ParameterSelection WeightDecayOn { get; }

    /// <summary>The learning rate of the next <see cref="Step"/>; schedulers set it.</summary>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0.0) || double.IsInfinity(value))
                throw new ArgumentOutOfRangeException(nameof(LearningRate), value, "The learning rate must be finite and non-negative.");
            _learningRate = value;
        }
    }

    /// <summary>
    /// PyTorch's <c>initial_lr</c>: the base rate every schedule on this optimizer scales. The first schedule
    /// constructed sets it from <see cref="LearningRate"/> (OneCycleLR sets it to <c>maxLr / divFactor</c>), so
    /// schedules built one after another for a <see cref="SequentialLR"/> share the same base even though each
    /// constructor writes its own step-0 rate. Null until a schedule is attached.
    /// </summary>
    public double? InitialLearningRate { get; set; }

    /// <summary>
    /// SGD's momentum or Adam's β1: the "momentum" that one-cycle schedules cycle against the learning rate.
    /// </summary>
    public abstract double Momentum { get; set; }

    /// <summary>Number of <see cref="Step"/> calls so far (Adam's t after the step).</summary>
    public long StepCount { get; protected set; }

    /// <summary>Applies one update from the current gradients.</summary>
    public abstract void Step();

    /// <summary>
    /// Applies one update from the current gradients multiplied by <paramref name="gradientScale"/>: the same
    /// update, bit for bit, as multiplying every gradient in place and calling <see cref="Step()"/>. Adam and AdamW
    /// fold the factor into their single pass and leave the gradients unchanged, which is how clipping
    /// (<see cref="GradClip.NormCoefficient"/>) costs one read of the gradients instead of a read and a rewrite;
    /// other optimizers multiply in place first.
    /// </summary>
    public virtual void Step(float gradientScale)
    {
        if (gradientScale != 1f) GradClip.Scale(Gradients.Span, gradientScale);
        Step();
    }

    /// <summary>Sets every gradient to zero (for accumulation loops; a model's TrainStep overwrites them anyway).</summary>
    public void ZeroGrad() => Gradients.Clear();

    /// <summary>Whether weight decay applies to <paramref name="view"/> under <see cref="WeightDecayOn"/>.</summary>
    public bool IsDecayed(TensorView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return IsDecayed(view.Kind, WeightDecayOn);
    }

    /// <summary>
    /// The runs of the flat buffer, in order, each wholly decayed or not: a step calls its kernel once per run with
    /// the run's decay. Elements no view covers count as weights.
    /// </summary>
    private protected ParameterSegment[] Segments => _segments;

    public virtual void SaveState(StateWriter state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Value("type", GetType().Name);
        state.Value("parameter_count", (long)Parameters.Length);
        state.Value("weight_decay_on", WeightDecayOn.ToString());
        state.Value("step", StepCount);
        state.Value("lr", LearningRate);
        state.Value("has_initial_lr", InitialLearningRate.HasValue);
        if (InitialLearningRate is { } initial)
            state.Value("initial_lr", initial);
        state.Value("momentum", Momentum);
        SaveStateCore(state);
    }

    public virtual void LoadState(StateReader state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Expect(state, "type", GetType().Name);
        Expect(state, "parameter_count", Parameters.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Expect(state, "weight_decay_on", WeightDecayOn.ToString());
        // Validate everything before changing anything, so a failed load leaves the optimizer as it was.
        var step = state.Int64("step");
        var lr = state.Double("lr");
        double? initial = state.Boolean("has_initial_lr") ? state.Double("initial_lr") : null;
        var momentum = state.Double("momentum");
        LoadStateCore(state);
        StepCount = step;
        LearningRate = lr;
        InitialLearningRate = initial;
        Momentum = momentum;
    }

    /// <summary>Writes the derived optimizer's tensors and fixed hyperparameters.</summary>
    protected abstract void SaveStateCore(StateWriter state);

    /// <summary>Checks the fixed hyperparameters and reads the tensors (<see cref="Expect(StateReader, string, double)"/>).</summary>
    protected abstract void LoadStateCore(StateReader state);

    /// <summary>Throws <see cref="InvalidDataException"/> unless the saved value equals this optimizer's.</summary>
    protected static void Expect(StateReader state, string name, double value)
    {
        var saved = state.Double(name);
        if (!saved.Equals(value))
            throw new InvalidDataException($"The saved optimizer has {name} = {saved:R}; this one has {value:R}. Construct it with the same hyperparameters.");
    }

    protected static void Expect(StateReader state, string name, string value)
    {
        var saved = state.Text(name);
        if (saved != value)
            throw new InvalidDataException($"The saved optimizer has {name} = {saved}; this one has {value}.");
    }

    /// <summary>Throws unless <paramref name="value"/> lies in [0, 1), the range of a decay rate.</summary>
    protected static double CheckDecayRate(double value, string name)
    {
        if (!(value >= 0.0 && value < 1.0))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must lie in [0, 1).");
        return value;
    }

    protected static double CheckNonNegative(double value, string name)
    {
        if (!(value >= 0.0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and non-negative.");
        return value;
    }

    private static bool IsDecayed(ParameterKind kind, ParameterSelection selection) =>
        selection == ParameterSelection.All
        || kind is not (ParameterKind.Bias or ParameterKind.NormScale or ParameterKind.NormShift);

    private static ParameterSegment[] BuildSegments(ParameterBuffer parameters, ParameterSelection selection)
    {
        var decayed = new bool[parameters.Length];
        Array.Fill(decayed, true);
        foreach (var view in parameters.Views)
            if (!IsDecayed(view.Kind, selection))
                decayed.AsSpan(view.Offset, view.Length).Fill(false);

        var segments = new List<ParameterSegment>();
        for (var start = 0; start < decayed.Length;)
        {
            var end = start + 1;
            while (end < decayed.Length && decayed[end] == decayed[start]) end++;
            segments.Add(new ParameterSegment(start, end - start, decayed[start]));
            start = end;
        }

        return segments.ToArray();
    }
}

/// <summary>A run of <paramref name="Length"/> elements of a flat buffer from <paramref name="Start"/>, decayed or not.</summary>
internal readonly record struct ParameterSegment(int Start, int Length, bool Decayed)
{
    public Range Range => new(Start, Start + Length);
}
