using DslNet.Kernels.Cpu;
using ILGPU;

namespace DslNet.Kernels.Gpu;

/// <summary>
/// Normalization on the device, with the CPU path's numerics (<see cref="Cpu.BatchNorm"/>, <see cref="Cpu.GroupNorm"/>):
/// statistics summed in double, two-pass, then normalized in fp32 and fused with the block's activation and dropout.
/// Activations and their gradients come in the network's storage (<see cref="IDeviceTensor"/>), widened to fp32 on
/// load; statistics, saved inverse std and parameter gradients are fp32 in every precision.
/// BatchNorm kernels run in <see cref="ColumnGroup"/> shape (a group owns whole feature columns, so statistics and
/// normalization are one kernel); LayerNorm/GroupNorm in <see cref="RowGroup"/> shape, one group per (row, group).
/// </summary>
public static class GpuNorm
{
    /// <summary>values: in z, out x̂. output = dropout(activation(gamma·x̂ + beta)); running statistics updated
    /// (unbiased variance), invStd saved for backward.</summary>
    public static void BatchNormForward<TActivations, TAct>(TActivations values, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> runningMean, ArrayView<float> runningVariance, ArrayView<float> invStd, TActivations output,
        int rows, int features, float momentum, float eps, TAct activation, GpuDropout dropout)
        where TActivations : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        int j = Grid.IdxX * ColumnGroup.Columns + Group.IdxX, lane = Group.IdxY;
        bool active = j < features;
        double sum = 0;
        for (int i = lane; active && i < rows; i += ColumnGroup.RowLanes) sum += values.Load(i * features + j);
        double mean = GpuReduce.SumOverRowLanes(sum) / rows;
        double squares = 0;
        for (int i = lane; active && i < rows; i += ColumnGroup.RowLanes)
        {
            double d = values.Load(i * features + j) - mean;
            squares += d * d;
        }

        squares = GpuReduce.SumOverRowLanes(squares);
        if (!active) return;
        float inv = (float)(1.0 / System.Math.Sqrt(squares / rows + eps));
        if (lane == 0)
        {
            invStd[j] = inv;
            runningMean[j] = (float)((1.0 - momentum) * runningMean[j] + momentum * mean);
            runningVariance[j] = (float)((1.0 - momentum) * runningVariance[j] + momentum * (squares / (rows - 1)));
        }

        float meanF = (float)mean, g = gamma[j], b = beta[j];
        for (int i = lane; i < rows; i += ColumnGroup.RowLanes)
        {
            int e = i * features + j;
            float x = (values.Load(e) - meanF) * inv;
            values.Store(e, x);
            output.Store(e, activation.Apply(g * x + b) * dropout.ScaleAt(e));
        }
    }

    /// <summary>gradient: in dL/doutput, out dL/dz. Column pass: dropout mask and f'(gamma·x̂ + beta) applied in place,
    /// gamma/beta gradients overwritten; with <paramref name="batchNorm"/> also BatchNorm's input gradient
    /// gamma·invStd·(g − mean(g) − x̂·mean(g·x̂)). For LayerNorm/GroupNorm, <see cref="GroupNormInputGradient"/> follows.</summary>
    public static void ParameterGradients<TActivations, TAct>(TActivations gradient, TActivations normalized, ArrayView<float> gamma,
        ArrayView<float> beta, ArrayView<float> invStd, Fp32Tensor gammaGradient, Fp32Tensor betaGradient,
        int rows, int features, bool batchNorm, TAct activation, GpuDropout dropout)
        where TActivations : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        int j = Grid.IdxX * ColumnGroup.Columns + Group.IdxX, lane = Group.IdxY;
        bool active = j < features;
        float g = active ? gamma[j] : 0f, b = active ? beta[j] : 0f;
        double dBeta = 0, dGamma = 0;
        for (int i = lane; active && i < rows; i += ColumnGroup.RowLanes)
        {
            int e = i * features + j;
            float x = normalized.Load(e);
            float dy = gradient.Load(e) * dropout.ScaleAt(e) * activation.Derivative(g * x + b);
            gradient.Store(e, dy);
            dBeta += dy;
            dGamma += (double)dy * x;
        }

        dBeta = GpuReduce.SumOverRowLanes(dBeta);
        dGamma = GpuReduce.SumOverRowLanes(dGamma);
        if (!active) return;
        if (lane == 0)
        {
            gammaGradient.Store(j, (float)dGamma);
            betaGradient.Store(j, (float)dBeta);
        }

        if (!batchNorm) return;
        float scale = g * invStd[j], meanDBeta = (float)(dBeta / rows), meanDGamma = (float)(dGamma / rows);
        for (int i = lane; i < rows; i += ColumnGroup.RowLanes)
        {
            int e = i * features + j;
            gradient.Store(e, (gradient.Load(e) - meanDBeta - normalized.Load(e) * meanDGamma) * scale);
        }
    }

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

    /// <summary>After <see cref="ParameterGradients{TAct}"/>: dz = invStd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), dx̂ = g·gamma,
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

    /// <summary>sums[j] = Σ_i values[i·columns + j] in double (bias gradients), <see cref="ColumnGroup"/> shape.</summary>
    public static void ColumnSums<TValues>(TValues values, Fp32Tensor sums, int rows, int columns)
        where TValues : struct, IDeviceTensor
    {
        int j = Grid.IdxX * ColumnGroup.Columns + Group.IdxX, lane = Group.IdxY;
        bool active = j < columns;
        double sum = 0;
        for (int i = lane; active && i < rows; i += ColumnGroup.RowLanes) sum += values.Load(i * columns + j);
        sum = GpuReduce.SumOverRowLanes(sum);
        if (active && lane == 0) sums.Store(j, (float)sum);
    }
}
