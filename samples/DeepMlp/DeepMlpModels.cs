namespace DslNet.Samples.DeepMlp;

// 32 blocks of Dense(64) → BatchNorm (→ ReLU in every other block) between a stem and the output, with and without
// identity skips. Residual: 16 units of two blocks, y = x + bn(W₂·relu(bn(W₁·x))), ResNet's basic block as an MLP
// with the ReLU of the residual stream left out (pre-activation style), γ of each unit's second BatchNorm starting at 0
// (zero_init_residual) so every unit starts as the identity. Written out by hand: a [Network] class lists its blocks.

/// <summary>16 residual units of two blocks each (32 blocks), zero-initialized last γ.</summary>
[Network(Inputs = 128, Loss = Loss.BinaryCrossEntropyWithLogits, ResidualInit = ResidualInit.ZeroLastNorm)]
public sealed partial class ResidualDeepMlp
{
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Stem { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block01 { get; }
    [Dense(64, Bias = false), BatchNorm, Add(nameof(Stem))] public partial DenseBlock Block02 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block03 { get; }
    [Dense(64, Bias = false), BatchNorm, Add(nameof(Block02))] public partial DenseBlock Block04 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block05 { get; }
    [Dense(64, Bias = false), BatchNorm, Add(nameof(Block04))] public partial DenseBlock Block06 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block07 { get; }
    [Dense(64, Bias = false), BatchNorm, Add(nameof(Block06))] public partial DenseBlock Block08 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block09 { get; }
    [Dense(64, Bias = false), BatchNorm, Add(nameof(Block08))] public partial DenseBlock Block10 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block11 { get; }
    [Dense(64, Bias = false), BatchNorm, Add(nameof(Block10))] public partial DenseBlock Block12 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block13 { get; }
    [Dense(64, Bias = false), BatchNorm, Add(nameof(Block12))] public partial DenseBlock Block14 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block15 { get; }
    [Dense(64, Bias = false), BatchNorm, Add(nameof(Block14))] public partial DenseBlock Block16 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block17 { get; }
    [Dense(64, Bias = false), BatchNorm, Add(nameof(Block16))] public partial DenseBlock Block18 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block19 { get; }
    [Dense(64, Bias = false), BatchNorm, Add(nameof(Block18))] public partial DenseBlock Block20 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block21 { get; }
    [Dense(64, Bias = false), BatchNorm, Add(nameof(Block20))] public partial DenseBlock Block22 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block23 { get; }
    [Dense(64, Bias = false), BatchNorm, Add(nameof(Block22))] public partial DenseBlock Block24 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block25 { get; }
    [Dense(64, Bias = false), BatchNorm, Add(nameof(Block24))] public partial DenseBlock Block26 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block27 { get; }
    [Dense(64, Bias = false), BatchNorm, Add(nameof(Block26))] public partial DenseBlock Block28 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block29 { get; }
    [Dense(64, Bias = false), BatchNorm, Add(nameof(Block28))] public partial DenseBlock Block30 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block31 { get; }
    [Dense(64, Bias = false), BatchNorm, Add(nameof(Block30))] public partial DenseBlock Block32 { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}

/// <summary>The same 32 blocks without skips (default initialization).</summary>
[Network(Inputs = 128, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class PlainDeepMlp
{
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Stem { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block01 { get; }
    [Dense(64, Bias = false), BatchNorm] public partial DenseBlock Block02 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block03 { get; }
    [Dense(64, Bias = false), BatchNorm] public partial DenseBlock Block04 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block05 { get; }
    [Dense(64, Bias = false), BatchNorm] public partial DenseBlock Block06 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block07 { get; }
    [Dense(64, Bias = false), BatchNorm] public partial DenseBlock Block08 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block09 { get; }
    [Dense(64, Bias = false), BatchNorm] public partial DenseBlock Block10 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block11 { get; }
    [Dense(64, Bias = false), BatchNorm] public partial DenseBlock Block12 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block13 { get; }
    [Dense(64, Bias = false), BatchNorm] public partial DenseBlock Block14 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block15 { get; }
    [Dense(64, Bias = false), BatchNorm] public partial DenseBlock Block16 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block17 { get; }
    [Dense(64, Bias = false), BatchNorm] public partial DenseBlock Block18 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block19 { get; }
    [Dense(64, Bias = false), BatchNorm] public partial DenseBlock Block20 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block21 { get; }
    [Dense(64, Bias = false), BatchNorm] public partial DenseBlock Block22 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block23 { get; }
    [Dense(64, Bias = false), BatchNorm] public partial DenseBlock Block24 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block25 { get; }
    [Dense(64, Bias = false), BatchNorm] public partial DenseBlock Block26 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block27 { get; }
    [Dense(64, Bias = false), BatchNorm] public partial DenseBlock Block28 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block29 { get; }
    [Dense(64, Bias = false), BatchNorm] public partial DenseBlock Block30 { get; }
    [Dense(64, Bias = false), BatchNorm, Relu] public partial DenseBlock Block31 { get; }
    [Dense(64, Bias = false), BatchNorm] public partial DenseBlock Block32 { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}

/// <summary>Shared facts about the two models.</summary>
public static class DeepMlpModels
{
    /// <summary>Blocks between the stem and the output.</summary>
    public const int Depth = 32;

    /// <summary>The weight view of block <paramref name="depth"/> (1-based), e.g. <c>Block07.Weight</c>.</summary>
    public static string WeightName(int depth) => $"Block{depth:00}.Weight";
}
