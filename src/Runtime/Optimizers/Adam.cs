namespace DslNet;

/// <summary>
/// <c>torch.optim.Adam</c>: weight decay is classic L2, added to the gradient before the moments, so it is
/// rescaled by the adaptive denominator (use <see cref="AdamW"/> for decoupled decay). The decay applies to
/// <see cref="Optimizer.WeightDecayOn"/> (weights only by default; <see cref="ParameterSelection.All"/> for
/// PyTorch's single group).
/// </summary>
public sealed class Adam(
    ParameterBuffer parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0,
    ParameterSelection weightDecayOn = ParameterSelection.WeightsOnly)
    : AdamFamily(parameters, lr, beta1, beta2, eps, weightDecay, weightDecayOn, decoupled: false);
