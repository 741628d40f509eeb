using System.Runtime.CompilerServices;
namespace DslNet.Kernels.Cpu;

/// <summary>Training forward: C is the pre-activation; adds the bias, then output = dropout(act(C)) when there is
/// an output (no normalization follows).</summary>
internal readonly unsafe struct BiasActivationEpilogue<TAct>(float* bias, float* output, int width, TAct activation, Dropout dropout)
    : IGemmEpilogue
    where TAct : struct, IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Apply(float* tile, int ldc, int row, int column, int rows, int columns)
    {
        for (int r = 0; r < rows; r++)
        {
            float* pre = tile + (long)r * ldc;
            if (bias != null)
            {
                Elementwise.Add(pre, bias + column, columns);
            }

            if (output != null)
            {
                int element = (row + r) * width + column;
                Elementwise.Activate(pre, output + element, columns, activation);
                dropout.Apply(output + element, element, columns);
            }
        }
    }
}

/// <summary>Inference forward: C = act((C + bias) * scale + shift), with eval-mode BatchNorm folded into scale/shift.</summary>
internal readonly unsafe struct InferenceEpilogue<TAct>(float* bias, float* scale, float* shift, TAct activation) : IGemmEpilogue
    where TAct : struct, IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Apply(float* tile, int ldc, int row, int column, int rows, int columns)
    {
        float* b = bias == null ? null : bias + column;
        float* s = scale == null ? null : scale + column;
        float* h = shift == null ? null : shift + column;
        for (int r = 0; r < rows; r++)
        {
            Elementwise.BiasAffineActivate(tile + (long)r * ldc, b, s, h, columns, activation);
        }
    }
}

/// <summary>Fused input gradient: C = dL/dx of this block becomes the previous block's dL/dpre by applying its
/// dropout mask and activation derivative in place.</summary>
internal readonly unsafe struct ActivationBackwardEpilogue<TAct>(float* previousPre, int width, TAct activation, Dropout dropout)
    : IGemmEpilogue
    where TAct : struct, IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Apply(float* tile, int ldc, int row, int column, int rows, int columns)
    {
        for (int r = 0; r < rows; r++)
        {
            float* gradient = tile + (long)r * ldc;
            int element = (row + r) * width + column;
            dropout.Apply(gradient, element, columns);
            Elementwise.MultiplyDerivative(gradient, previousPre + element, columns, activation);
        }
    }
}
