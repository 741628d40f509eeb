namespace DslNet;

/// <summary>Which parameters an optimizer's weight decay (L2 or decoupled) applies to.</summary>
public enum ParameterSelection
{
    /// <summary>
    /// Only <see cref="ParameterKind.Weight"/> views: biases and normalization scales and shifts
    /// (<see cref="ParameterKind.Bias"/>, <see cref="ParameterKind.NormScale"/>, <see cref="ParameterKind.NormShift"/>)
    /// are not decayed. The usual practice (two parameter groups in PyTorch, <c>weight_decay=0</c> for the second):
    /// decaying a bias or a BatchNorm γ only pulls the network towards a worse function, it does not limit capacity.
    /// </summary>
    WeightsOnly,

    /// <summary>Every parameter, like <c>torch.optim.X(model.parameters(), weight_decay=…)</c> with a single group.</summary>
    All,
}
