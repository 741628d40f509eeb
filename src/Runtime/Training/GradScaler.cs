using System.Numerics;

namespace DslNet;

/// <summary>
/// Dynamic loss scaling for fp16 training, <c>torch.cuda.amp.GradScaler</c>'s rule on flat buffers: the loss
/// gradient is multiplied by <see cref="Scale"/> so small fp16 gradients do not flush to zero; before the update
/// the gradients are divided by it again; a step whose gradients hold an inf or NaN (an overflow) is skipped and
/// the scale halved; after <c>growthInterval</c> clean steps in a row the scale doubles.
/// </summary>
/// <remarks>
/// The order of one training step is part of the API (the analyzer checks it):
/// <code>
/// model.TrainStep(x, y, scaler.Scale);        // gradients come out multiplied by the scale
/// scaler.Unscale(optimizer);                  // true gradients again; overflow recorded
/// GradClip.ByNorm(model.Gradients, 1.0);      // clip the TRUE gradients: unscale first, then clip
/// scaler.Step(optimizer);                     // optimizer.Step() unless inf/NaN was found
/// scaler.Update();                            // back off or grow the scale for the next step
/// schedule.Step();
/// </code>
/// Clipping before <see cref="Unscale"/> would compare the scaled norm (up to 65536× too large) with
/// <c>maxNorm</c> and shrink every step's gradients to almost nothing. Without clipping, <see cref="Step"/>
/// unscales by itself. With gradient accumulation, accumulate the scaled gradients and unscale once, on the
/// accumulated mean. The scale is fp32 and updated in fp32, like PyTorch's scale tensor; the unscale multiplies by
/// the fp32 reciprocal of the scale (PyTorch: <c>scale.double().reciprocal().float()</c>).
/// Unlike PyTorch, <see cref="Unscale"/> may be called again in the same step: it does nothing more and returns
/// the same answer (PyTorch raises). A disabled scaler has <see cref="Scale"/> 1, unscales nothing and always steps.
/// Found inf/NaN values are left in the gradients of a skipped step, as in PyTorch; the next TrainStep overwrites them.
/// <para>With a device optimizer (<see cref="Devices.IUnscalesOnDevice"/>) the scaler hands its scale and clean-step count
/// to the network's device cells at the first <see cref="Unscale"/>: the loss kernel reads the scale there, the update
/// divides it out, and <see cref="Update"/> backs off or grows it in a kernel. <see cref="Scale"/> and
/// <see cref="GrowthTracker"/> are then the host's copies, exact while every step's loss is read back and refreshed at
/// each read-back otherwise (the scale a lazily read step uses is the device's, whatever the host passes). While the
/// loss is read lazily, <see cref="Step"/> always hands the step to the optimizer, whose kernel skips an overflowed one,
/// and <see cref="Unscale"/>/<see cref="Step"/> answer true: the bits are those of per-step reading.</para>
/// </remarks>
public sealed class GradScaler : IStateful
{
    private float _scale;
    private int _growthTracker;

    // The device network holding the scale, once a device optimizer was unscaled (null: the scale lives here).
    private Devices.DeviceNetwork? _device;

    // Per-step state: which optimizers were unscaled in this step and whether theirs held inf/NaN. One optimizer is
    // the usual case; more are supported (each with its own gradients) without allocating after the first step.
    private readonly List<(Optimizer Optimizer, bool Finite, bool Stepped)> _thisStep = new(1);

    public GradScaler(double initScale = 65536, double growthFactor = 2, double backoffFactor = 0.5, int growthInterval = 2000, bool enabled = true)
    {
        if (!(initScale > 0.0) || float.IsInfinity((float)initScale))
            throw new ArgumentOutOfRangeException(nameof(initScale), initScale, "The initial scale must be positive and finite in fp32.");
        if (!(growthFactor > 1.0) || double.IsInfinity(growthFactor))
            throw new ArgumentOutOfRangeException(nameof(growthFactor), growthFactor, "The growth factor should be > 1.0.");
        if (!(backoffFactor > 0.0 && backoffFactor < 1.0))
            throw new ArgumentOutOfRangeException(nameof(backoffFactor), backoffFactor, "The backoff factor should be < 1.0 (and positive).");
        if (growthInterval <= 0)
            throw new ArgumentOutOfRangeException(nameof(growthInterval), growthInterval, "The growth interval should be a positive integer.");
        _scale = (float)initScale;
        GrowthFactor = growthFactor;
        BackoffFactor = backoffFactor;
        GrowthInterval = growthInterval;
        Enabled = enabled;
    }

    public bool Enabled { get; }
    public double GrowthFactor { get; }
    public double BackoffFactor { get; }
    public int GrowthInterval { get; }

    /// <summary>The factor to pass to <c>model.TrainStep(x, y, lossScale)</c>; 1 when disabled.</summary>
    public float Scale => !Enabled ? 1.0f : _device is null ? _scale : (float)_device.Cell(Kernels.Gpu.GpuStepState.LossScaleCell);

    /// <summary>Clean steps in a row since the last growth or backoff (PyTorch's <c>_growth_tracker</c>).</summary>
    public int GrowthTracker => _device is null ? _growthTracker : (int)_device.Cell(Kernels.Gpu.GpuStepState.GrowthTrackerCell);

    /// <summary>Whether any optimizer unscaled in this step (since the last <see cref="Update"/>) found inf or NaN.</summary>
    public bool FoundInfinite
    {
        get
        {
            foreach (var entry in _thisStep)
                if (!entry.Finite) return true;
            return false;
        }
    }

    /// <summary>
    /// Divides <paramref name="optimizer"/>'s gradients by <see cref="Scale"/> in one pass and records whether any is
    /// inf or NaN; returns true when all are finite. Call it before clipping or inspecting gradients. Once per step:
    /// a second call (before <see cref="Update"/>) changes nothing and returns the first answer.
    /// </summary>
    public bool Unscale(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var index = Find(optimizer);
        if (index >= 0)
        {
            if (_thisStep[index].Stepped)
                throw new InvalidOperationException("Unscale() is being called after Step() in this step; call Update() first.");
            return _thisStep[index].Finite;
        }

        // A device optimizer unscales inside its own update, by the scale in the device's cells, and answers from the
        // backward kernels' overflow flag where the host has it.
        var finite = !Enabled || (optimizer is Devices.IUnscalesOnDevice { GradientsOnDevice: true } device
            ? UnscaleOnDevice(device)
            : UnscaleInPlace(optimizer.Gradients.Span, (float)(1.0 / (double)_scale)));
        _thisStep.Add((optimizer, finite, false));
        return finite;
    }

    /// <summary>
    /// Unscales (if <see cref="Unscale"/> was not called in this step) and calls <c>optimizer.Step()</c> unless the
    /// gradients hold inf or NaN; a skipped step leaves the parameters and the optimizer's state untouched.
    /// Returns whether the optimizer stepped.
    /// </summary>
    public bool Step(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var finite = Unscale(optimizer);
        var index = Find(optimizer);
        if (_thisStep[index].Stepped)
            throw new InvalidOperationException("Step() has already been called since the last Update().");
        _thisStep[index] = (optimizer, finite, true);
        if (!finite) return false;
        optimizer.Step();
        return true;
    }

    /// <summary>
    /// Ends the step: on inf/NaN the scale is multiplied by the backoff factor and the clean-step count reset;
    /// otherwise the count grows and, at <see cref="GrowthInterval"/>, the scale is multiplied by the growth factor.
    /// </summary>
    public void Update()
    {
        if (Enabled)
        {
            if (_thisStep.Count == 0)
                throw new InvalidOperationException("Update() needs a Step() or Unscale() in this step: nothing recorded whether the gradients were finite.");
            // PyTorch's _amp_update_scale_ (fp32 arithmetic on the scale), in a kernel when the device holds the scale.
            if (_device is not null)
                _device.UpdateLossScale((float)GrowthFactor, (float)BackoffFactor, GrowthInterval);
            else if (FoundInfinite)
            {
                _scale *= (float)BackoffFactor;
                _growthTracker = 0;
            }
            else if (++_growthTracker == GrowthInterval)
            {
                _scale *= (float)GrowthFactor;
                _growthTracker = 0;
            }
        }

        _thisStep.Clear();
    }

    /// <summary>Sets the scale (PyTorch's <c>update(new_scale)</c>); the clean-step count is kept, as in PyTorch.</summary>
    public void SetScale(float scale)
    {
        if (!(scale > 0.0f) || float.IsInfinity(scale))
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be positive and finite.");
        _scale = scale;
        if (_device is { OverflowKnownOnHost: false }) _device.ReadBack();   // the clean-step count the device has now
        _device?.AdoptLossScale(scale, GrowthTracker);
        _thisStep.Clear();
    }

    public void SaveState(StateWriter state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (_device is { OverflowKnownOnHost: false }) _device.ReadBack();
        state.Value("type", nameof(GradScaler));
        state.Value("scale", (double)Scale);
        state.Value("growth_factor", GrowthFactor);
        state.Value("backoff_factor", BackoffFactor);
        state.Value("growth_interval", (long)GrowthInterval);
        state.Value("growth_tracker", (long)GrowthTracker);
    }

    /// <summary>Restores the scale and clean-step count (PyTorch's <c>load_state_dict</c> also restores the factors; here they must match).</summary>
    public void LoadState(StateReader state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Double("growth_factor") != GrowthFactor || state.Double("backoff_factor") != BackoffFactor || state.Int64("growth_interval") != GrowthInterval)
            throw new InvalidDataException(
                $"The saved GradScaler (growth {state.Text("growth_factor")}, backoff {state.Text("backoff_factor")}, interval {state.Text("growth_interval")}) " +
                $"differs from this one (growth {GrowthFactor:R}, backoff {BackoffFactor:R}, interval {GrowthInterval}).");
        var scale = (float)state.Double("scale");
        var tracker = state.Int64("growth_tracker");
        if (!(scale > 0.0f) || float.IsInfinity(scale) || tracker < 0 || tracker >= GrowthInterval)
            throw new InvalidDataException($"The saved GradScaler has an invalid scale {scale} or growth tracker {tracker}.");
        _scale = scale;
        _growthTracker = (int)tracker;
        _device?.AdoptLossScale(scale, _growthTracker);
        _thisStep.Clear();
    }

    private bool UnscaleOnDevice(Devices.IUnscalesOnDevice optimizer)
    {
        if (_device is null)
        {
            // The first device step: the scale and clean-step count move to the device, which keeps them from now on.
            _device = optimizer.Network;
            _device.AdoptLossScale(_scale, _growthTracker);
        }
        else if (!ReferenceEquals(_device, optimizer.Network))
        {
            throw new InvalidOperationException("This GradScaler keeps its scale on another device network; use one scaler per device network.");
        }

        return optimizer.UnscaleOnDevice();
    }

    private int Find(Optimizer optimizer)
    {
        for (var i = 0; i < _thisStep.Count; i++)
            if (ReferenceEquals(_thisStep[i].Optimizer, optimizer)) return i;
        return -1;
    }

    /// <summary>
    /// <c>g *= inverse</c> over the buffer, and whether every (scaled) input is finite, as PyTorch checks it:
    /// <c>x·0</c> is 0 for finite x and NaN for ±∞ and NaN, so a running sum of <c>x·0</c> is NaN exactly when some
    /// value is not finite.
    /// </summary>
    internal static bool UnscaleInPlace(Span<float> values, float inverse)
    {
        var i = 0;
        var probe = 0.0f;
        if (Vector.IsHardwareAccelerated)
        {
            var vInverse = new Vector<float>(inverse);
            var vProbe = Vector<float>.Zero;
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var value = new Vector<float>(values[i..]);
                (value * vInverse).CopyTo(values[i..]);
                vProbe += value * Vector<float>.Zero;
            }

            probe = Vector.Sum(vProbe);
        }

        for (; i < values.Length; i++)
        {
            var value = values[i];
            values[i] = value * inverse;
            probe += value * 0.0f;
        }

        return !float.IsNaN(probe);
    }
}
