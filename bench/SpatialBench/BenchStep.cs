namespace DslNet.SpatialBench;

/// <summary>What a timed kernel call does, for the per-class sums of a profile.</summary>
internal enum OpClass
{
    ConvForward,
    ConvInputGradient,
    ConvWeightGradient,
    BatchNormForward,
    BatchNormBackward,
    AddRelu,
    Pooling,
}

/// <summary>One timed kernel call of a model's step; <paramref name="Flops"/> is 0 where GFLOP/s means nothing.</summary>
internal sealed record BenchStep(string Name, OpClass Class, long Flops, Action Run);
