namespace DslNet.Kernels.Cpu;

/// <summary>LayerNorm over the features of each row (GroupNorm with one group); invStd[rows]. Training and inference.</summary>
public static class LayerNorm
{
    /// <summary>values: in z, out x̂; output = dropout(activation(gamma*x̂ + beta)).</summary>
    public static void Forward<TAct>(Span<float> values, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> invStd,
        Span<float> output, int rows, int features, float eps, TAct activation, Dropout dropout)
        where TAct : struct, IActivation =>
        GroupNorm.Forward(values, gamma, beta, invStd, output, rows, features, 1, eps, activation, dropout);

    /// <summary>gradient: in dL/doutput, out dL/dz; gammaGradient and betaGradient overwritten.</summary>
    public static void Backward<TAct>(Span<float> gradient, ReadOnlySpan<float> normalized, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, ReadOnlySpan<float> invStd, Span<float> gammaGradient, Span<float> betaGradient,
        int rows, int features, TAct activation, Dropout dropout)
        where TAct : struct, IActivation =>
        GroupNorm.Backward(gradient, normalized, gamma, beta, invStd, gammaGradient, betaGradient, rows, features, 1, activation, dropout);
}
