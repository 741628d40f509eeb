using DslNet.Kernels.Cpu;
using ILGPU;

namespace DslNet.Kernels.Gpu;

/// <summary>C[row, column] = value, row-major with leading dimension <paramref name="Width"/>.</summary>
public readonly record struct StoreEpilogue(ArrayView<float> Output, int Width) : IGpuEpilogue
{
    public void Store(int row, int column, float value) => Output[row * Width + column] = value;
}

/// <summary>Training forward: pre = value + bias; when <paramref name="HasOutput"/> (no normalization follows),
/// output = dropout(activation(pre)) with the dropout element row·width + column.</summary>
public readonly record struct BiasActivationEpilogue<TAct>(
    ArrayView<float> PreActivation, ArrayView<float> Bias, bool HasBias, ArrayView<float> Output, bool HasOutput,
    int Width, TAct Activation, GpuDropout Dropout) : IGpuEpilogue
    where TAct : struct, IActivation
{
    public void Store(int row, int column, float value)
    {
        int element = row * Width + column;
        float pre = HasBias ? value + Bias[column] : value;
        PreActivation[element] = pre;
        if (HasOutput) Output[element] = Activation.Apply(pre) * Dropout.ScaleAt(element);
    }
}

/// <summary>Inference: output = activation((value + bias)·scale + shift), eval-mode BatchNorm folded into scale/shift.</summary>
public readonly record struct InferenceEpilogue<TAct>(
    ArrayView<float> Output, ArrayView<float> Bias, bool HasBias, ArrayView<float> Scale, ArrayView<float> Shift, bool HasAffine,
    int Width, TAct Activation) : IGpuEpilogue
    where TAct : struct, IActivation
{
    public void Store(int row, int column, float value)
    {
        float pre = HasBias ? value + Bias[column] : value;
        if (HasAffine) pre = pre * Scale[column] + Shift[column];
        Output[row * Width + column] = Activation.Apply(pre);
    }
}

/// <summary>Input gradient fused with the previous block's backward: gradient = value·mask·f'(previous pre-activation).</summary>
public readonly record struct ActivationBackwardEpilogue<TAct>(
    ArrayView<float> Gradient, ArrayView<float> PreviousPreActivation, int Width, TAct Activation, GpuDropout Dropout) : IGpuEpilogue
    where TAct : struct, IActivation
{
    public void Store(int row, int column, float value)
    {
        int element = row * Width + column;
        Gradient[element] = value * Dropout.ScaleAt(element) * Activation.Derivative(PreviousPreActivation[element]);
    }
}
