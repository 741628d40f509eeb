namespace DslNet;

/// <summary>One block's outputs over the batch of the step they were gathered on.</summary>
/// <param name="FractionZero">Fraction of output values that are exactly zero (ReLU's inactive side, and dropout).</param>
/// <param name="DeadUnits">Fraction of units that were zero for every row of the batch: dead ReLUs, not dropout.</param>
/// <param name="FractionSaturated">Fraction in the flat tails of tanh (|y| &gt; 0.99) or sigmoid (y &lt; 0.01 or y &gt; 0.99); 0 for other activations.</param>
public sealed record ActivationStatistics(
    string Block,
    long Step,
    double Mean,
    double Std,
    double FractionZero,
    double DeadUnits,
    double FractionSaturated);

/// <summary>One parameter tensor's gradient after a step's backward pass.</summary>
public sealed record GradientStatistics(
    string Tensor,
    long Step,
    double Mean,
    double Std,
    double Norm,
    double MaxAbs,
    double FractionZero);
