using DslNet.Kernels.Cpu;
using ILGPU;

namespace DslNet.Kernels.Gpu;

/// <summary>
/// Normalization on the device, with the CPU path's numerics (<see cref="Cpu.BatchNorm"/>, <see cref="Cpu.GroupNorm"/>):
/// statistics summed in double, two-pass, then normalized in fp32 and fused with the block's activation and dropout.
/// Activations and their gradients come in the network's storage (<see cref="IDeviceTensor"/>), widened to fp32 on
/// load; statistics, saved inverse std and parameter gradients are fp32 in every precision.
/// BatchNorm's batch statistics and every per-feature gradient reduction are in <see cref="GpuColumnReductions"/> (split
/// over the batch); LayerNorm/GroupNorm here run in <see cref="RowGroup"/> shape, one group per (row, group).
/// </summary>
public static class GpuNorm
{
    /// <summary>Eval-mode BatchNorm as a per-feature affine map (one thread per feature, 1-D groups).</summary>
    public static void InferenceAffine(int features, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> runningMean,
        ArrayView<float> runningVariance, float eps, ArrayView<float> scale, ArrayView<float> shift)
    {
        int j = Grid.GlobalIndex.X;
        if (j >= features) return;
        double s = gamma[j] / System.Math.Sqrt((double)runningVariance[j] + eps);
        scale[j] = (float)s;
        shift[j] = (float)(beta[j] - runningMean[j] * s);
    }

    /// <summary>Eval-mode BatchNorm applied out of place, grid-stride (<see cref="GpuElementwise.Config"/>): output =
    /// activation(input·scale + shift) per feature, scale and shift from <see cref="InferenceAffine"/> (a pre-activation
    /// block's input normalization, which no GEMM epilogue can absorb).</summary>
    public static void BatchNormInference<TInput, TOutput, TAct>(TInput input, TOutput output, ArrayView<float> scale, ArrayView<float> shift,
        int count, int features, TAct activation)
        where TInput : struct, IDeviceTensor
        where TOutput : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        for (int e = Grid.GlobalIndex.X; e < count; e += Grid.DimX * Group.DimX)
        {
            int j = e % features;
            output.Store(e, activation.Apply(input.Load(e) * scale[j] + shift[j]));
        }
    }

    /// <summary>LayerNorm (groups = 1) / GroupNorm forward for the (row, group) of this group: values in z, out x̂;
    /// invStd[row·groups + group]; output = dropout(activation(gamma·x̂ + beta)).</summary>
    public static void GroupNormForward<TActivations, TOutput, TAct>(TActivations values, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> invStd, TOutput output, int features, int groups, float eps, bool hasOutput, TAct activation, GpuDropout dropout)
        where TActivations : struct, IDeviceTensor
        where TOutput : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        int index = Grid.IdxX, lane = Group.IdxX;
        int row = index / groups, width = features / groups, first = index % groups * width;
        int start = row * features + first;
        double sum = 0;
        for (int c = lane; c < width; c += RowGroup.Size) sum += values.Load(start + c);
        double mean = GpuReduce.SumOverGroup(sum) / width;
        double squares = 0;
        for (int c = lane; c < width; c += RowGroup.Size)
        {
            double d = values.Load(start + c) - mean;
            squares += d * d;
        }

        double variance = GpuReduce.SumOverGroup(squares) / width;
        float inv = (float)(1.0 / System.Math.Sqrt(variance + eps)), meanF = (float)mean;
        if (lane == 0) invStd[index] = inv;
        for (int c = lane; c < width; c += RowGroup.Size)
        {
            int e = start + c;
            float x = (values.Load(e) - meanF) * inv;
            values.Store(e, x);
            if (hasOutput) output.Store(e, activation.Apply(gamma[first + c] * x + beta[first + c]) * dropout.ScaleAt(e));
        }
    }

    /// <summary>After <see cref="GpuColumnReductions.NormParameterPartials"/> and its merge: dz = invStd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), dx̂ = g·gamma,
    /// the means over the (row, group) of this group.</summary>
    public static void GroupNormInputGradient<TActivations>(TActivations gradient, TActivations normalized, ArrayView<float> gamma,
        ArrayView<float> invStd, int features, int groups)
        where TActivations : struct, IDeviceTensor
    {
        int index = Grid.IdxX, lane = Group.IdxX;
        int row = index / groups, width = features / groups, first = index % groups * width;
        int start = row * features + first;
        double sumD = 0, sumDx = 0;
        for (int c = lane; c < width; c += RowGroup.Size)
        {
            float d = gradient.Load(start + c) * gamma[first + c];
            sumD += d;
            sumDx += (double)d * normalized.Load(start + c);
        }

        float meanD = (float)(GpuReduce.SumOverGroup(sumD) / width);
        float meanDx = (float)(GpuReduce.SumOverGroup(sumDx) / width);
        float inv = invStd[index];
        for (int c = lane; c < width; c += RowGroup.Size)
        {
            int e = start + c;
            float d = gradient.Load(e) * gamma[first + c];
            gradient.Store(e, (d - meanD - normalized.Load(e) * meanDx) * inv);
        }
    }
}
