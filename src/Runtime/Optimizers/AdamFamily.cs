namespace DslNet;

/// <summary>
/// What <see cref="Adam"/> and <see cref="AdamW"/> share: the moments, β1/β2/ε, the fused update and the saved
/// state. They differ only in where the weight decay goes: into the gradient (coupled L2) or onto the weights.
/// </summary>
public abstract class AdamFamily : Optimizer
{
    private readonly float[] _firstMoment;
    private readonly float[] _secondMoment;
    private readonly bool _decoupled;
    private double _beta1;

    private protected AdamFamily(
        ParameterBuffer parameters, double lr, double beta1, double beta2, double eps, double weightDecay,
        ParameterSelection weightDecayOn, bool decoupled)
        : base(parameters, lr, weightDecayOn)
    {
        Beta1 = beta1;
        Beta2 = CheckDecayRate(beta2, nameof(beta2));
        Eps = CheckNonNegative(eps, nameof(eps));
        WeightDecay = CheckNonNegative(weightDecay, nameof(weightDecay));
        _decoupled = decoupled;
        _firstMoment = new float[parameters.Length];
        _secondMoment = new float[parameters.Length];
    }

    public double Beta1
    {
        get => _beta1;
        set => _beta1 = CheckDecayRate(value, nameof(Beta1));
    }

    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }

    /// <summary>β1, the momentum one-cycle schedules cycle.</summary>
    public override double Momentum
    {
        get => Beta1;
        set => Beta1 = value;
    }

    /// <summary>PyTorch's <c>exp_avg</c>.</summary>
    public ReadOnlySpan<float> FirstMoment => _firstMoment;

    /// <summary>PyTorch's <c>exp_avg_sq</c>.</summary>
    public ReadOnlySpan<float> SecondMoment => _secondMoment;

    public override void Step() => Step(gradientScale: 1f);

    /// <inheritdoc/>
    public override void Step(float gradientScale)
    {
        StepCount++;
        AdamUpdate.Step(Segments, Parameters.Data, Gradients.Data, _firstMoment, _secondMoment, StepCount,
            LearningRate, _beta1, Beta2, Eps,
            l2WeightDecay: _decoupled ? 0.0 : WeightDecay,
            decoupledWeightDecay: _decoupled ? WeightDecay : 0.0,
            gradientScale);
    }

    protected override void SaveStateCore(StateWriter state)
    {
        state.Value("beta2", Beta2);
        state.Value("eps", Eps);
        state.Value("weight_decay", WeightDecay);
        state.Tensor("exp_avg", _firstMoment);
        state.Tensor("exp_avg_sq", _secondMoment);
    }

    protected override void LoadStateCore(StateReader state)
    {
        Expect(state, "beta2", Beta2);
        Expect(state, "eps", Eps);
        Expect(state, "weight_decay", WeightDecay);
        state.Tensor("exp_avg", _firstMoment);
        state.Tensor("exp_avg_sq", _secondMoment);
    }
}
