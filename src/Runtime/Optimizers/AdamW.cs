namespace DslNet;

/// <summary>
/// <c>torch.optim.AdamW</c>: weight decay is decoupled from the gradient (Loshchilov and Hutter):
/// each step first shrinks the parameters by <c>1 − lr·wd</c>, then takes a plain Adam step. The decay applies to
/// <see cref="Optimizer.WeightDecayOn"/> (weights only by default; <see cref="ParameterSelection.All"/> for
/// PyTorch's single group).
/// </summary>
public sealed class AdamW(
    ParameterBuffer parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2,
    ParameterSelection weightDecayOn = ParameterSelection.WeightsOnly)
    : AdamFamily(parameters, lr, beta1, beta2, eps, weightDecay, weightDecayOn, decoupled: true);
