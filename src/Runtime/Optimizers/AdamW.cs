namespace DslNet;

/// <summary>
/// <c>torch.optim.AdamW</c>: weight decay is decoupled from the gradient (Loshchilov and Hutter):
/// each step first shrinks the parameters by <c>1 − lr·wd</c>, then takes a plain Adam step. The decay applies to
/// <see cref="Optimizer.WeightDecayOn"/> (weights only by default; <see cref="ParameterSelection.All"/> for
/// PyTorch's single group).
/// </summary>
public sealed class AdamW : Optimizer
{
    private readonly float[] _firstMoment;
    private readonly float[] _secondMoment;
    private double _beta1;

    public AdamW(
        ParameterBuffer parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2,
        ParameterSelection weightDecayOn = ParameterSelection.WeightsOnly)
        : base(parameters, lr, weightDecayOn)
    {
        Beta1 = beta1;
        Beta2 = CheckDecayRate(beta2, nameof(beta2));
        Eps = CheckNonNegative(eps, nameof(eps));
        WeightDecay = CheckNonNegative(weightDecay, nameof(weightDecay));
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

    public override void Step()
    {
        StepCount++;
        AdamUpdate.Step(Segments, Parameters.Span, Gradients.Span, _firstMoment, _secondMoment, StepCount,
            LearningRate, _beta1, Beta2, Eps, l2WeightDecay: 0.0, decoupledWeightDecay: WeightDecay);
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
