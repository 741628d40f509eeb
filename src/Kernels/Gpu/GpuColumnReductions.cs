using DslNet.Kernels.Cpu;
using ILGPU;

namespace DslNet.Kernels.Gpu;

/// <summary>
/// Per-feature reductions over the batch that scale with it: BatchNorm's batch statistics, the normalization's
/// gamma/beta gradients and bias gradients. Each is a partial kernel in <see cref="RowSplit"/> shape (a chunk of rows
/// per group, statistics in double) and a merge kernel that combines the chunks per feature in chunk order, so the
/// result does not depend on scheduling. Then an elementwise kernel applies the result where the layer needs it.
/// </summary>
/// <remarks>Numerics: the CPU path (<see cref="Cpu.BatchNorm"/>) takes mean and variance in two passes over all rows in
/// double. Here each chunk takes its mean and M2 (sum of squared deviations) in two passes in double and the chunks are
/// merged with Chan et al.'s parallel formula, also in double; the two agree to double rounding, far below the fp32 of
/// the stored results.</remarks>
public static class GpuColumnReductions
{
    /// <summary>Chunk statistics of BatchNorm's input: mean and M2 of each feature over this group's rows.</summary>
    public static void BatchStatisticsPartials<TValues>(TValues values, ArrayView<double> partials, int rows, int features)
        where TValues : struct, IDeviceTensor
    {
        int j = Grid.IdxX * ColumnGroup.Columns + Group.IdxX, lane = Group.IdxY, split = Grid.IdxY;
        bool active = j < features;
        var (begin, end) = RowSplit.Chunk(rows, split);
        double sum = 0;
        for (int i = begin + lane; active && i < end; i += ColumnGroup.RowLanes) sum += values.Load(i * features + j);
        sum = GpuReduce.SumOverRowLanes(sum);
        double mean = end > begin ? sum / (end - begin) : 0;
        double squares = 0;
        for (int i = begin + lane; active && i < end; i += ColumnGroup.RowLanes)
        {
            double d = values.Load(i * features + j) - mean;
            squares += d * d;
        }

        squares = GpuReduce.SumOverRowLanes(squares);
        if (!active || lane != 0) return;
        partials[RowSplit.PartialOffset(features, split, 0, j)] = mean;
        partials[RowSplit.PartialOffset(features, split, 1, j)] = squares;
    }

    /// <summary>Merges the chunks' (mean, M2) in chunk order (Chan's update); saves invStd, updates the running statistics
    /// (unbiased variance, as PyTorch) and leaves the batch mean in the merged slot for <see cref="BatchNormApply"/>.</summary>
    public static void BatchStatisticsMerge(ArrayView<double> partials, ArrayView<float> runningMean, ArrayView<float> runningVariance,
        ArrayView<float> invStd, int rows, int features, float momentum, float eps)
    {
        int j = Grid.GlobalIndex.X;
        if (j >= features) return;
        double count = 0, mean = 0, m2 = 0;
        for (int split = 0; split < RowSplit.Splits(rows); split++)
        {
            var (begin, end) = RowSplit.Chunk(rows, split);
            if (end <= begin) continue;
            double chunkCount = end - begin, total = count + chunkCount;
            double delta = partials[RowSplit.PartialOffset(features, split, 0, j)] - mean;
            mean += delta * chunkCount / total;
            m2 += partials[RowSplit.PartialOffset(features, split, 1, j)] + delta * delta * count * chunkCount / total;
            count = total;
        }

        invStd[j] = (float)(1.0 / System.Math.Sqrt(m2 / rows + eps));
        runningMean[j] = (float)((1.0 - momentum) * runningMean[j] + momentum * mean);
        runningVariance[j] = (float)((1.0 - momentum) * runningVariance[j] + momentum * (m2 / (rows - 1)));
        partials[RowSplit.MergedOffset(features, 0, j)] = mean;
    }

    /// <summary>values: in z, out x̂ = (z − mean)·invStd; output = dropout(activation(gamma·x̂ + beta)). Grid-stride
    /// (<see cref="GpuElementwise.Config"/>).</summary>
    public static void BatchNormApply<TActivations, TAct>(TActivations values, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<double> partials, ArrayView<float> invStd, TActivations output, int rows, int features, TAct activation, GpuDropout dropout)
        where TActivations : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        int count = rows * features;
        for (int e = Grid.GlobalIndex.X; e < count; e += Grid.DimX * Group.DimX)
        {
            int j = e % features;
            float x = (values.Load(e) - (float)partials[RowSplit.MergedOffset(features, 0, j)]) * invStd[j];
            values.Store(e, x);
            output.Store(e, activation.Apply(gamma[j] * x + beta[j]) * dropout.ScaleAt(e));
        }
    }

    /// <summary>gradient: in dL/doutput, out dy = dL/doutput·mask·f'(gamma·x̂ + beta) (stored in place); per chunk,
    /// Σdy (beta's gradient) and Σdy·x̂ (gamma's) in double.</summary>
    public static void NormParameterPartials<TActivations, TAct>(TActivations gradient, TActivations normalized, ArrayView<float> gamma,
        ArrayView<float> beta, ArrayView<double> partials, int rows, int features, TAct activation, GpuDropout dropout)
        where TActivations : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        int j = Grid.IdxX * ColumnGroup.Columns + Group.IdxX, lane = Group.IdxY, split = Grid.IdxY;
        bool active = j < features;
        var (begin, end) = RowSplit.Chunk(rows, split);
        float g = active ? gamma[j] : 0f, b = active ? beta[j] : 0f;
        double dBeta = 0, dGamma = 0;
        for (int i = begin + lane; active && i < end; i += ColumnGroup.RowLanes)
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
        if (!active || lane != 0) return;
        partials[RowSplit.PartialOffset(features, split, 0, j)] = dBeta;
        partials[RowSplit.PartialOffset(features, split, 1, j)] = dGamma;
    }

    /// <summary>gamma/beta gradients = the chunks' sums added in chunk order (overwritten); the means over the batch,
    /// Σdy/rows and Σdy·x̂/rows, left in the merged slots for <see cref="BatchNormInputGradient"/>.</summary>
    public static void NormParameterMerge(ArrayView<double> partials, Fp32Tensor gammaGradient, Fp32Tensor betaGradient, int rows, int features)
    {
        int j = Grid.GlobalIndex.X;
        if (j >= features) return;
        double dBeta = 0, dGamma = 0;
        for (int split = 0; split < RowSplit.Splits(rows); split++)
        {
            dBeta += partials[RowSplit.PartialOffset(features, split, 0, j)];
            dGamma += partials[RowSplit.PartialOffset(features, split, 1, j)];
        }

        betaGradient.Store(j, (float)dBeta);
        gammaGradient.Store(j, (float)dGamma);
        partials[RowSplit.MergedOffset(features, 0, j)] = dBeta / rows;
        partials[RowSplit.MergedOffset(features, 1, j)] = dGamma / rows;
    }

    /// <summary>BatchNorm's input gradient, elementwise: dz = gamma·invStd·(dy − mean(dy) − x̂·mean(dy·x̂)).</summary>
    public static void BatchNormInputGradient<TActivations>(TActivations gradient, TActivations normalized, ArrayView<float> gamma,
        ArrayView<float> invStd, ArrayView<double> partials, int rows, int features)
        where TActivations : struct, IDeviceTensor
    {
        int count = rows * features;
        for (int e = Grid.GlobalIndex.X; e < count; e += Grid.DimX * Group.DimX)
        {
            int j = e % features;
            float meanDBeta = (float)partials[RowSplit.MergedOffset(features, 0, j)];
            float meanDGamma = (float)partials[RowSplit.MergedOffset(features, 1, j)];
            gradient.Store(e, (gradient.Load(e) - meanDBeta - normalized.Load(e) * meanDGamma) * (gamma[j] * invStd[j]));
        }
    }

    /// <summary>Per chunk, Σ values[i·columns + j] over its rows in double (a bias gradient's partial sums).</summary>
    public static void ColumnSumPartials<TValues>(TValues values, ArrayView<double> partials, int rows, int columns)
        where TValues : struct, IDeviceTensor
    {
        int j = Grid.IdxX * ColumnGroup.Columns + Group.IdxX, lane = Group.IdxY, split = Grid.IdxY;
        bool active = j < columns;
        var (begin, end) = RowSplit.Chunk(rows, split);
        double sum = 0;
        for (int i = begin + lane; active && i < end; i += ColumnGroup.RowLanes) sum += values.Load(i * columns + j);
        sum = GpuReduce.SumOverRowLanes(sum);
        if (active && lane == 0) partials[RowSplit.PartialOffset(columns, split, 0, j)] = sum;
    }

    /// <summary>sums[j] = the chunks' partial sums added in chunk order.</summary>
    public static void ColumnSumMerge(ArrayView<double> partials, Fp32Tensor sums, int rows, int columns)
    {
        int j = Grid.GlobalIndex.X;
        if (j >= columns) return;
        double sum = 0;
        for (int split = 0; split < RowSplit.Splits(rows); split++) sum += partials[RowSplit.PartialOffset(columns, split, 0, j)];
        sums.Store(j, (float)sum);
    }
}
