namespace DslNet;

/// <summary>
/// Updates a model's flat parameter buffer from its gradient buffer in one fused pass per <see cref="Step"/>.
/// Optimizer state lives in fp32 arrays of the same length, allocated once; a step allocates nothing.
/// </summary>
/// <remarks>
/// Like <c>torch.optim</c> over <c>model.parameters()</c>: one parameter group, so weight decay (where an
/// optimizer has it) applies to every parameter, biases and normalization parameters included.
/// Scalars (learning rate, bias corrections) are computed in double and rounded to fp32 once per step; the
/// element-wise arithmetic is fp32, as in PyTorch for fp32 parameters.
/// </remarks>
public abstract class Optimizer
{
    private double _learningRate;

    protected Optimizer(ParameterBuffer parameters, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters;
        LearningRate = learningRate;
    }

    /// <summary>The buffer this optimizer updates; it reads <see cref="ParameterBuffer.Gradients"/>.</summary>
    public ParameterBuffer Parameters { get; }

    public TensorBuffer Gradients => Parameters.Gradients;

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
    /// SGD's momentum or Adam's β1: the "momentum" that one-cycle schedules cycle against the learning rate.
    /// </summary>
    public abstract double Momentum { get; set; }

    /// <summary>Number of <see cref="Step"/> calls so far (Adam's t after the step).</summary>
    public long StepCount { get; protected set; }

    /// <summary>Applies one update from the current gradients.</summary>
    public abstract void Step();

    /// <summary>Sets every gradient to zero (for accumulation loops; a model's TrainStep overwrites them anyway).</summary>
    public void ZeroGrad() => Gradients.Clear();

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
}
