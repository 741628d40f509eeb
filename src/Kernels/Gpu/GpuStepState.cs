using ILGPU;

namespace DslNet.Kernels.Gpu;

/// <summary>The Adam scalars a schedule or the caller may change from one step to the next: kernel arguments, so a step
/// uploads nothing. <see cref="MaxNorm"/> below zero: no clipping. <see cref="UnscaleByDeviceScale"/> non-zero: the
/// gradients carry the network's device loss scale, divided out inside the update.</summary>
public readonly record struct AdamHyperparameters(
    double LearningRate, double Beta1, double Beta2, double Epsilon, double WeightDecay, double MaxNorm, float GradientScale,
    int UnscaleByDeviceScale);

/// <summary>
/// The step's scalar decisions, made on the device by one thread (the host only launches): whether the step counts or is
/// skipped (the backward kernels' overflow flag), the unscale and clipping factor, the bias corrections, and the loss
/// scaler's backoff or growth. The arithmetic is the host's, operation for operation and in the same precision, so a
/// run gives the same bits whether these scalars are decided here or on the host.
/// </summary>
public static class GpuStepState
{
    /// <summary>Index of the loss scale in a network's step-state cells (double: holds an fp32 scale exactly).</summary>
    public const int LossScaleCell = 0;

    /// <summary>Index of the loss scaler's clean-step count (double: holds an int exactly).</summary>
    public const int GrowthTrackerCell = 1;

    /// <summary>The device optimizer's steps taken (Adam's bias correction; double: exact to 2⁵³).</summary>
    public const int StepsCell = 2;

    /// <summary>The device optimizer's steps skipped because the gradients overflowed.</summary>
    public const int SkippedStepsCell = 3;

    /// <summary>The gradients' norm before clipping at the last clipped step (+∞ when its gradients overflowed).</summary>
    public const int GradientNormCell = 4;

    /// <summary>Cells before the per-step loss history (two per step: the loss sum and the overflow flag).</summary>
    public const int HistoryOffset = 5;

    /// <summary>
    /// Writes this step's <see cref="AdamCoefficients"/> into <paramref name="coefficients"/>[0]. squares[0] holds Σg²
    /// (<see cref="GpuOptimizers.SumOfSquares"/>) when clipping; stepState[<see cref="LossScaleCell"/>] is the scale the
    /// gradients carry. Mirrors the host's former sequence: factor = fp32(1/scale)·gradientScale; an overflowed step is
    /// counted as skipped and not clipped (its norm is +∞, as the norm of its non-finite gradients would be);
    /// ‖g‖ = √Σg²·factor; coefficient = maxNorm/(‖g‖ + 1e-6) when below 1.
    /// </summary>
    public static void PrepareAdamStep(Index1D index, ArrayView<AdamCoefficients> coefficients, ArrayView<double> squares,
        ArrayView<double> overflowFlag, ArrayView<double> stepState, AdamHyperparameters h)
    {
        double steps = stepState[StepsCell];
        float inverseScale = h.UnscaleByDeviceScale != 0 ? (float)(1.0 / stepState[LossScaleCell]) : 1f;
        float factor = inverseScale * h.GradientScale;
        bool overflowed = overflowFlag[0] != 0;
        if (overflowed) stepState[SkippedStepsCell] += 1;
        else stepState[StepsCell] = ++steps;
        if (h.MaxNorm >= 0 && !overflowed)
        {
            double norm = System.Math.Sqrt(squares[0]) * factor;
            stepState[GradientNormCell] = norm;
            double clip = h.MaxNorm / (norm + 1e-6);
            if (!(clip >= 1.0)) factor = (float)(factor * clip);
        }
        else if (h.MaxNorm >= 0)
        {
            stepState[GradientNormCell] = double.PositiveInfinity;
        }

        double correction1 = 1.0 - System.Math.Pow(h.Beta1, steps);
        double correction2Sqrt = System.Math.Sqrt(1.0 - System.Math.Pow(h.Beta2, steps));
        coefficients[0] = new AdamCoefficients(
            StepSize: (float)(h.LearningRate / correction1), Decay: (float)(1.0 - h.LearningRate * h.WeightDecay), L2: 0f,
            B1: (float)h.Beta1, OneMinusB1: (float)(1.0 - h.Beta1), B2: (float)h.Beta2, OneMinusB2: (float)(1.0 - h.Beta2),
            Correction2Sqrt: (float)correction2Sqrt, Epsilon: (float)h.Epsilon, GradientFactor: factor);
    }

    /// <summary>
    /// The loss scaler's end of step (PyTorch's <c>_amp_update_scale_</c>, fp32 arithmetic on the scale): on overflow the
    /// scale times <paramref name="backoffFactor"/> and the clean-step count reset, else the count grows and at
    /// <paramref name="growthInterval"/> the scale times <paramref name="growthFactor"/>.
    /// </summary>
    public static void UpdateLossScale(Index1D index, ArrayView<double> stepState, ArrayView<double> overflowFlag,
        float growthFactor, float backoffFactor, int growthInterval)
    {
        float scale = (float)stepState[LossScaleCell];
        int tracker = (int)stepState[GrowthTrackerCell];
        if (overflowFlag[0] != 0)
        {
            scale *= backoffFactor;
            tracker = 0;
        }
        else if (++tracker == growthInterval)
        {
            scale *= growthFactor;
            tracker = 0;
        }

        stepState[LossScaleCell] = scale;
        stepState[GrowthTrackerCell] = tracker;
    }

    /// <summary>Keeps a step's loss sum and overflow flag (sums[0], sums[1]) in slot <paramref name="slot"/> of the
    /// history, so the host can read many steps with one copy.</summary>
    public static void RecordStep(Index1D index, ArrayView<double> sums, ArrayView<double> stepState, int slot)
    {
        stepState[HistoryOffset + 2 * slot] = sums[0];
        stepState[HistoryOffset + 2 * slot + 1] = sums[1];
    }
}
