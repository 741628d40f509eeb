namespace DslNet;

/// <summary>What a named view of a flat buffer holds; optimizers use it to group parameters.</summary>
public enum ParameterKind
{
    Weight,
    Bias,
    NormScale,
    NormShift,
    RunningMean,
    RunningVariance,
}
