namespace DslNet.Samples.CreditScoring;

/// <summary>
/// The scoring model: 11 standardized borrower features → 64 → 32 → one default logit, ReLU, He initialization
/// (<c>Init.Auto</c>), no normalization and no dropout, so weight decay is the only regularizer being compared.
/// </summary>
[Network(Inputs = BorrowerData.FeatureCount, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class CreditMlp
{
    [Dense(64), Relu] public partial DenseBlock Hidden1 { get; }
    [Dense(32), Relu] public partial DenseBlock Hidden2 { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}
