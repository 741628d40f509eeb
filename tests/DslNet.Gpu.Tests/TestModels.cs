namespace DslNet.Gpu.Tests;

// Tiny models, one per layer kind, and a mini StreamRec: ILGPU's CPU accelerator is an emulator, so shapes stay small.
// Widths above 16 and not multiples of 16 exercise the GEMM's and the column kernels' edges.

[Network(Inputs = 16, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class MiniStreamRec
{
    [Dense(12, Bias = false), BatchNorm, Relu, Dropout(0.3)] public partial DenseBlock Hidden1 { get; }
    [Dense(8, Bias = false), BatchNorm, Relu, Dropout(0.3)] public partial DenseBlock Hidden2 { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}

[Network(Inputs = 5, Loss = Loss.MeanSquaredError)]
public sealed partial class DenseTanhMse
{
    [Dense(19), Tanh] public partial DenseBlock Hidden { get; }
    [Dense(2), Sigmoid] public partial DenseBlock Output { get; }
}

[Network(Inputs = 7, Loss = Loss.CrossEntropy)]
public sealed partial class LayerNormGelu
{
    [Dense(9), LayerNorm, Gelu] public partial DenseBlock Hidden { get; }
    [Dense(3)] public partial DenseBlock Output { get; }
}

[Network(Inputs = 6, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class GroupNormLeaky
{
    [Dense(8), GroupNorm(2), LeakyRelu(0.1), Dropout(0.25)] public partial DenseBlock Hidden { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}

[Network(Inputs = 4, Loss = Loss.MeanSquaredError)]
public sealed partial class DropoutChain
{
    [Dense(70), Relu, Dropout(0.5)] public partial DenseBlock Hidden1 { get; }
    [Dense(6), Gelu(Approximate = true), Dropout(0.2)] public partial DenseBlock Hidden2 { get; }
    [Dense(1), Sigmoid] public partial DenseBlock Output { get; }
}

/// <summary>Residual connections on the device: an identity skip around two blocks (the skip source's gradient
/// accumulates in the input-gradient GEMM's epilogue), a projection shortcut, a residual output block, and SiLU.</summary>
[Network(Inputs = 5, Loss = Loss.CrossEntropy)]
public sealed partial class ResidualSilu
{
    [Dense(6), Silu] public partial DenseBlock Stem { get; }
    [Dense(7, Bias = false), BatchNorm, Relu, Dropout(0.2)] public partial DenseBlock Branch { get; }
    [Dense(6), LayerNorm, Silu, Add(nameof(Stem))] public partial DenseBlock Unit { get; }
    [Dense(4), Tanh, Add(nameof(Unit), Projection = true)] public partial DenseBlock Down { get; }
    [Dense(3), Add(nameof(Down), Projection = true)] public partial DenseBlock Output { get; }
}

/// <summary>Pre-activation blocks on the device (norm → activation before each Dense): a LayerNorm of the network input,
/// BatchNorm and GroupNorm over a block's input with a skip reading that same input, dropout after a pre-activation
/// Dense, a projection shortcut, and a pre-activation output block. The output block's norm is a LayerNorm: a BatchNorm
/// there would cancel Wide's bias exactly, leaving that bias a gradient of rounding noise that AdamW turns into ±lr steps
/// which no two paths take alike.</summary>
[Network(Inputs = 5, Loss = Loss.CrossEntropy)]
public sealed partial class PreActivation
{
    [LayerNorm, Dense(6)] public partial DenseBlock Stem { get; }
    [BatchNorm, Relu, Dense(6), Dropout(0.2), Add(nameof(Stem))] public partial DenseBlock Unit { get; }
    [GroupNorm(2), Gelu, Dense(8), Add(nameof(Unit), Projection = true)] public partial DenseBlock Wide { get; }
    [LayerNorm, Silu, Dense(3)] public partial DenseBlock Output { get; }
}

/// <summary>Weights above the planner's library minimum (40·33 and 33·40 elements ≥ 1,024), so its GEMMs are
/// library-eligible: the cuBLAS path's epilogue kernels run on the CPU accelerator with the tiled kernel as the library.</summary>
[Network(Inputs = 40, Loss = Loss.BinaryCrossEntropyWithLogits)]
public sealed partial class WideLibraryGemms
{
    [Dense(33, Bias = false), BatchNorm, Relu, Dropout(0.2)] public partial DenseBlock Hidden1 { get; }
    [Dense(40), LayerNorm, Gelu] public partial DenseBlock Hidden2 { get; }
    [Dense(1)] public partial DenseBlock Output { get; }
}
