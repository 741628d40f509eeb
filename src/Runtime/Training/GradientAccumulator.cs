using System.Numerics;

namespace DslNet;

/// <summary>
/// Gradient accumulation: averages the gradients of <see cref="Steps"/> micro-batches so that one optimizer step
/// sees the gradient of their union. Call <see cref="Add"/> after each micro-batch's <c>TrainStep</c> (which
/// overwrites <see cref="ParameterBuffer.Gradients"/>); on the <see cref="Steps"/>-th call it writes the mean into
/// the gradients and returns true: clip, step the optimizer and the schedule then, once per <see cref="Steps"/>.
/// <code>
/// var accumulator = new GradientAccumulator(model.Parameters, steps: 4);
/// foreach (var batch in train.Batches(128, ...))          // micro-batches of B = 128: effective batch 512
/// {
///     model.TrainStep(batch.Features, batch.Labels);
///     if (!accumulator.Add()) continue;
///     GradClip.ByNorm(model.Gradients, 1.0);
///     optimizer.Step();
///     schedule.Step();                                    // per optimizer step, not per micro-batch
/// }
/// </code>
/// </summary>
/// <remarks>
/// <para>
/// The mean loss of a batch of N·B rows is the mean of the N micro-batch mean losses (equal micro-batches), so its
/// gradient is the mean of their gradients: for a network without BatchNorm, N micro-batches of B give the gradient
/// of one batch of N·B up to fp32 rounding. Make the micro-batches equal in size; a short last micro-batch would be
/// over-weighted by the plain mean. Dropout differs only in which masks are drawn (they are keyed by the model's step).
/// </para>
/// <para>
/// BatchNorm is different: in training mode it normalizes each micro-batch with that micro-batch's own mean and
/// variance (statistics over B rows, not N·B, so the gradients are those of a different, noisier function), and its
/// running mean and variance are updated N times per optimizer step with momentum applied each time, so they move
/// faster and track the B-row statistics. Accumulation equals the large batch only without BatchNorm (LayerNorm and
/// GroupNorm are per row and unaffected); with BatchNorm prefer the largest B that fits.
/// </para>
/// <para>
/// With loss scaling, accumulate the scaled gradients and let <see cref="GradScaler"/> unscale the mean once.
/// The running sum lives in a buffer of its own, allocated once; <see cref="Add"/> allocates nothing. The sum is kept
/// in fp32, like PyTorch's <c>.grad</c> accumulation; the mean divides by N (PyTorch's recipe divides each
/// micro-batch loss by N instead, which rounds differently at fp32 level).
/// </para>
/// </remarks>
public sealed class GradientAccumulator : IStateful
{
    private readonly ParameterBuffer _parameters;
    private readonly float[] _sum;

    public GradientAccumulator(ParameterBuffer parameters, int steps)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (steps <= 0)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"Expected a positive number of accumulation steps, but got {steps}.");
        _parameters = parameters;
        Steps = steps;
        _sum = steps == 1 ? [] : new float[parameters.Length];
    }

    /// <summary>N: micro-batches per optimizer step.</summary>
    public int Steps { get; }

    /// <summary>Micro-batches added since the last optimizer step (0 to N − 1).</summary>
    public int Pending { get; private set; }

    /// <summary>
    /// Adds the current gradients (one micro-batch's) to the running sum. On the N-th call writes the mean of the N
    /// into the gradients, resets, and returns true: time for one optimizer step. Otherwise returns false (the
    /// gradients buffer then holds the last micro-batch's gradients, not the mean).
    /// </summary>
    public bool Add()
    {
        if (Steps == 1) return true;
        var gradients = _parameters.Gradients.Span;
        if (Pending == 0)
            gradients.CopyTo(_sum);
        else if (Pending < Steps - 1)
            AddInto(_sum, gradients);
        else
        {
            Mean(_sum, gradients, Steps);
            Pending = 0;
            return true;
        }

        Pending++;
        return false;
    }

    /// <summary>Drops the micro-batches added so far (e.g. at the end of an epoch that did not fill the last group).</summary>
    public void Reset() => Pending = 0;

    public void SaveState(StateWriter state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Value("type", nameof(GradientAccumulator));
        state.Value("steps", (long)Steps);
        state.Value("pending", (long)Pending);
        if (Steps > 1)
            state.Tensor("sum", _sum);
    }

    public void LoadState(StateReader state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Int64("steps") != Steps)
            throw new InvalidDataException($"The saved GradientAccumulator averages {state.Text("steps")} micro-batches; this one {Steps}.");
        var pending = state.Int64("pending");
        if (pending < 0 || pending >= Steps)
            throw new InvalidDataException($"The saved GradientAccumulator has an invalid pending count {pending}.");
        if (Steps > 1)
            state.Tensor("sum", _sum);
        Pending = (int)pending;
    }

    private static void AddInto(Span<float> sum, ReadOnlySpan<float> values)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= sum.Length - Vector<float>.Count; i += Vector<float>.Count)
                (new Vector<float>(sum[i..]) + new Vector<float>(values[i..])).CopyTo(sum[i..]);
        for (; i < sum.Length; i++)
            sum[i] += values[i];
    }

    /// <summary><c>gradients = (sum + gradients) / n</c>: the last micro-batch joins the sum as the mean is written.</summary>
    private static void Mean(ReadOnlySpan<float> sum, Span<float> gradients, int n)
    {
        var divisor = (float)n;
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vDivisor = new Vector<float>(divisor);
            for (; i <= sum.Length - Vector<float>.Count; i += Vector<float>.Count)
                ((new Vector<float>(sum[i..]) + new Vector<float>(gradients[i..])) / vDivisor).CopyTo(gradients[i..]);
        }

        for (; i < sum.Length; i++)
            gradients[i] = (sum[i] + gradients[i]) / divisor;
    }
}
