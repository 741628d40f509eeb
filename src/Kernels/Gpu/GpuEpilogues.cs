using DslNet.Kernels.Cpu;
using ILGPU;

namespace DslNet.Kernels.Gpu;

/// <summary>C[row, column] = value, row-major with leading dimension <paramref name="Width"/>.</summary>
public readonly record struct StoreEpilogue<TOutput>(TOutput Output, int Width) : IGpuEpilogue
    where TOutput : struct, IDeviceTensor
{
    public void Store(int row, int column, float value) => Output.Store(row * Width + column, value);
}

/// <summary>C[row, column] += value: an input gradient added to a value's gradient that another consumer already wrote.</summary>
public readonly record struct AccumulateEpilogue<TOutput>(TOutput Output, int Width) : IGpuEpilogue
    where TOutput : struct, IDeviceTensor
{
    public void Store(int row, int column, float value)
    {
        int element = row * Width + column;
        Output.Store(element, Output.Load(element) + value);
    }
}

/// <summary>Training forward: pre = value + bias; when <paramref name="HasOutput"/> (no normalization follows),
/// output = dropout(activation(pre)) with the dropout element row·width + column.
/// The activation is applied to the fp32 sum, before pre is rounded to the storage precision.</summary>
public readonly record struct BiasActivationEpilogue<TActivations, TAct>(
    TActivations PreActivation, ArrayView<float> Bias, bool HasBias, TActivations Output, bool HasOutput,
    int Width, TAct Activation, GpuDropout Dropout) : IGpuEpilogue
    where TActivations : struct, IDeviceTensor
    where TAct : struct, IActivation
{
    public void Store(int row, int column, float value)
    {
        int element = row * Width + column;
        float pre = HasBias ? value + Bias[column] : value;
        PreActivation.Store(element, pre);
        if (HasOutput) Output.Store(element, Activation.Apply(pre) * Dropout.ScaleAt(element));
    }
}

/// <summary>Inference: output = activation((value + bias)·scale + shift), eval-mode BatchNorm folded into scale/shift.</summary>
public readonly record struct InferenceEpilogue<TOutput, TAct>(
    TOutput Output, ArrayView<float> Bias, bool HasBias, ArrayView<float> Scale, ArrayView<float> Shift, bool HasAffine,
    int Width, TAct Activation) : IGpuEpilogue
    where TOutput : struct, IDeviceTensor
    where TAct : struct, IActivation
{
    public void Store(int row, int column, float value)
    {
        float pre = HasBias ? value + Bias[column] : value;
        if (HasAffine) pre = pre * Scale[column] + Shift[column];
        Output.Store(row * Width + column, Activation.Apply(pre));
    }
}

/// <summary>Input gradient fused with the previous block's backward: gradient = value·mask·f'(previous pre-activation).</summary>
public readonly record struct ActivationBackwardEpilogue<TActivations, TAct>(
    TActivations Gradient, TActivations PreviousPreActivation, int Width, TAct Activation, GpuDropout Dropout) : IGpuEpilogue
    where TActivations : struct, IDeviceTensor
    where TAct : struct, IActivation
{
    public void Store(int row, int column, float value)
    {
        int element = row * Width + column;
        Gradient.Store(element, value * Dropout.ScaleAt(element) * Activation.Derivative(PreviousPreActivation.Load(element)));
    }
}
