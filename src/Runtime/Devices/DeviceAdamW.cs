using DslNet.Kernels.Gpu;
using ILGPU;
using ILGPU.Runtime;

namespace DslNet.Devices;

/// <summary>
/// <see cref="AdamW"/> as one fused kernel over the device's flat buffers, with optional global-norm clipping
/// (<c>clip_grad_norm_</c> over every parameter, one reduction) folded into the same pass. Its first step makes the
/// network device-resident (<see cref="DeviceNetwork.IsResident"/>): from then on parameters, gradients, running
/// statistics and the moments stay on the device and the host buffers are refreshed only by <c>model.SyncToHost()</c>.
/// Schedulers drive it like any <see cref="Optimizer"/>. On a CPU network it falls back to <see cref="AdamW"/>'s pass.
/// </summary>
/// <remarks>
/// <para>A step launches kernels only: the gradient norm (one reduction), a one-thread kernel that decides the step's
/// scalars on the device (skip or count the step, the unscale and clipping factor, the bias corrections from the step
/// count kept there: <see cref="GpuStepState.PrepareAdamStep"/>), and the update. Nothing is read back, so with the
/// network's <see cref="DeviceNetwork.ReadbackInterval"/> above 1 and a <see cref="DeviceDataSet"/> a whole training step
/// copies nothing. The arithmetic is the former host code's, in the same precisions, so the results are unchanged.</para>
/// <para>Loss scaling: with a <see cref="GradScaler"/>, <c>scaler.Unscale</c>/<c>scaler.Step</c> hand the unscale to this
/// optimizer (<see cref="IUnscalesOnDevice"/>), and the scaler keeps its scale on the device: the factor 1/scale is folded
/// into the update's gradient factor with the clipping coefficient, and the scale backs off or grows in a kernel.</para>
/// <para>The update kernel itself skips every element when the network's overflow flag is set, so a step whose gradients
/// hold ±∞ or NaN never reaches the weights or the moments, and <see cref="Optimizer.StepCount"/> does not advance
/// (as if <c>Step</c> had not been called, which is what <see cref="GradScaler.Step"/> does). <see cref="Optimizer.StepCount"/>
/// is the host's copy: exact after every step the host knows the overflow flag of, else refreshed at each read-back of the
/// network. Unlike PyTorch's AdamW without a scaler, this holds in every precision: a non-finite gradient skips the step
/// instead of poisoning the weights with NaN (see <see cref="SkippedSteps"/>).</para>
/// </remarks>
public sealed class DeviceAdamW : Optimizer, IUnscalesOnDevice, IDisposable
{
    private readonly DeviceNetwork? _network;
    private readonly AdamW? _host;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _m, _v, _decayed;
    private readonly MemoryBuffer1D<double, Stride1D.Dense>? _sums;
    private readonly MemoryBuffer1D<AdamCoefficients, Stride1D.Dense>? _coefficients;
    private MemoryBuffer1D<double, Stride1D.Dense>? _normHistory;
    private double[] _readNorms = [];
    private int _keptNorms;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>,
        ArrayView<AdamCoefficients>>? _step;
    private readonly Action<Index1D, ArrayView<AdamCoefficients>, ArrayView<double>, ArrayView<double>, ArrayView<double>, AdamHyperparameters>? _prepare;
    private readonly Action<KernelConfig, ArrayView<float>, int, ArrayView<double>>? _sumOfSquares;
    private double _beta1;
    private long _skippedSteps;
    private double _hostNorm = double.NaN;
    private float _gradientScale = 1f;
    private bool _unscaleByDeviceScale;

    public DeviceAdamW(IDeviceModel model, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2,
        double? clipNorm = null, ParameterSelection weightDecayOn = ParameterSelection.WeightsOnly)
        : base((model ?? throw new ArgumentNullException(nameof(model))).Parameters, lr, weightDecayOn)
    {
        Beta1 = beta1;
        Beta2 = CheckDecayRate(beta2, nameof(beta2));
        Eps = CheckNonNegative(eps, nameof(eps));
        WeightDecay = CheckNonNegative(weightDecay, nameof(weightDecay));
        if (clipNorm is { } c) CheckNonNegative(c, nameof(clipNorm));
        ClipNorm = clipNorm;
        _network = model.DeviceNetwork;
        if (_network?.Accelerator is not { } accelerator)
        {
            _host = new AdamW(Parameters, lr, beta1, beta2, eps, weightDecay, weightDecayOn);
            return;
        }

        var n = Parameters.Length;
        _m = accelerator.Allocate1D<float>(n);
        _v = accelerator.Allocate1D<float>(n);
        _m.View.MemSetToZero();
        _v.View.MemSetToZero();
        var decayed = new float[n];
        foreach (var segment in Segments)
            if (segment.Decayed) decayed.AsSpan(segment.Range).Fill(1f);
        _decayed = accelerator.Allocate1D(decayed);
        // [0] Σg², then one partial sum per group of the reduction (each overwritten by every launch: no clearing per step).
        _sums = accelerator.Allocate1D<double>(1 + GroupPartials.Groups(n));
        _sums.View.MemSetToZero();
        _coefficients = accelerator.Allocate1D<AdamCoefficients>(1);
        _step = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<double>, ArrayView<AdamCoefficients>>(GpuOptimizers.AdamStep);
        _prepare = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<AdamCoefficients>, ArrayView<double>, ArrayView<double>, ArrayView<double>,
            AdamHyperparameters>(GpuStepState.PrepareAdamStep);
        _sumOfSquares = accelerator.LoadStreamKernel<ArrayView<float>, int, ArrayView<double>>(GpuOptimizers.SumOfSquares);
        // A fresh optimizer on this network: its counters on the device start at zero (one copy, at construction).
        _network.WriteCells(GpuStepState.StepsCell, [0, 0, double.NaN]);
        _network.ReadBackCompleted += RefreshCounters;
    }

    public double Beta1
    {
        get => _beta1;
        set => _beta1 = CheckDecayRate(value, nameof(Beta1));
    }

    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }

    /// <summary>Clip the gradients' global 2-norm to this before each update (null: no clipping).</summary>
    public double? ClipNorm { get; }

    /// <summary>The gradients' total norm before clipping at the last clipped step (NaN without clipping), unscaled when a
    /// <see cref="GradScaler"/> unscaled them. On a device the norm stays there: reading this waits for the device (one
    /// copy), like PyTorch's <c>.item()</c>.</summary>
    public double LastGradientNorm
    {
        get
        {
            if (_host is not null) return _hostNorm;
            _network!.RefreshCells();
            return _network.Cell(GpuStepState.GradientNormCell);
        }
    }

    /// <summary>Steps whose update the kernel skipped because the network's gradients overflowed (as of the latest step whose
    /// flag the host knows, or the latest read-back).</summary>
    public long SkippedSteps => _skippedSteps;

    bool IUnscalesOnDevice.GradientsOnDevice => _host is null;

    DeviceNetwork IUnscalesOnDevice.Network => _network ?? throw new InvalidOperationException("A CPU network has no device.");

    bool IUnscalesOnDevice.UnscaleOnDevice()
    {
        if (_host is not null) throw new InvalidOperationException("A CPU network's gradients are unscaled on the host.");
        _unscaleByDeviceScale = true;
        // Unknown until a read-back when the loss is read lazily: the update kernel then decides (it skips on overflow).
        return !_network!.OverflowKnownOnHost || !_network.GradientsOverflowed;
    }

    public override double Momentum
    {
        get => Beta1;
        set
        {
            Beta1 = value;
            if (_host is not null) _host.Beta1 = value;
        }
    }

    /// <summary>
    /// <see cref="Step()"/> with the gradients multiplied by <paramref name="gradientScale"/>; on the device the factor
    /// joins the update kernel's gradient factor (with the unscale and clipping coefficient), so the device gradients
    /// are read once and never rewritten.
    /// </summary>
    public override void Step(float gradientScale)
    {
        if (_host is not null)
        {
            base.Step(gradientScale);
            return;
        }

        _gradientScale *= gradientScale;
        Step();
    }

    public override void Step()
    {
        if (_host is not null)
        {
            if (ClipNorm is { } max) _hostNorm = GradClip.ByNorm(Gradients, max);
            _host.LearningRate = LearningRate;
            _host.Step();
            StepCount++;
            return;
        }

        var network = _network!;
        network.IsResident = true;
        var n = Parameters.Length;
        // The host's copy of the counters, where the host knows the flag; otherwise refreshed at the next read-back.
        if (network.OverflowKnownOnHost)
        {
            if (network.GradientsOverflowed) _skippedSteps++;
            else StepCount++;
        }

        // The unscale (GradScaler), a caller's gradient scale and the clipping coefficient become one factor applied
        // inside the update; PyTorch clips the unscaled gradients: ‖g/s‖ = ‖g‖·(1/s), 1/s rounded to fp32 as in its unscale.
        var hyperparameters = new AdamHyperparameters(LearningRate, _beta1, Beta2, Eps, WeightDecay, ClipNorm ?? -1.0, _gradientScale,
            _unscaleByDeviceScale ? 1 : 0);
        _gradientScale = 1f;
        _unscaleByDeviceScale = false;
        if (ClipNorm is not null)
        {
            // Per-group partial sums merged in a fixed order (no float atomics: the same norm, to the bit, every run).
            var partials = _sums!.View.SubView(1, _sums.Length - 1);
            _sumOfSquares!(GpuOptimizers.ReductionConfig(n), network.GradientView, n, partials);
            network.MergePartials(partials, _sums.View.SubView(0, 1));
        }

        _prepare!(1, _coefficients!.View, _sums!.View, network.OverflowFlagView, network.StepStateView, hyperparameters);
        // Launched even on a step that overflowed: the kernel's own check is what keeps the state bit-identical.
        _step!(n, network.ParameterView, network.GradientView, _m!.View, _v!.View, _decayed!.View, network.OverflowFlagView, _coefficients.View);
        KeepNorm(network);
    }

    /// <summary>
    /// From now on each step's gradient norm (before clipping; +∞ on an overflowed step) is also kept in a device history
    /// of <paramref name="capacity"/> slots, read with one copy by <see cref="ReadNormHistory"/>: the per-step norms of a
    /// run that reads its losses lazily (Trainer's device-resident mode). Needs <see cref="ClipNorm"/> (+∞ clips nothing).
    /// </summary>
    internal void KeepNormHistory(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        if (_network?.Accelerator is not { } accelerator) throw new InvalidOperationException("A CPU network keeps no device norm history.");
        if (ClipNorm is null) throw new InvalidOperationException("The gradient norm is computed only when clipping: pass clipNorm (+∞ clips nothing).");
        _normHistory?.Dispose();
        _normHistory = accelerator.Allocate1D<double>(capacity);
        _readNorms = new double[capacity];
        _keptNorms = 0;
    }

    /// <summary>Stops keeping the norm history (the end of a device-resident Fit) and frees it.</summary>
    internal void StopNormHistory()
    {
        _normHistory?.Dispose();
        _normHistory = null;
        _keptNorms = 0;
    }

    /// <summary>The norms kept since the last read, in step order (one copy, waits for the device); valid until the next read.</summary>
    internal ReadOnlySpan<double> ReadNormHistory()
    {
        var count = _keptNorms;
        if (count == 0) return ReadOnlySpan<double>.Empty;
        _normHistory!.View.SubView(0, count).CopyToCPU(ref _readNorms[0], count);
        _network!.Transfers.CountDeviceToHost();
        _keptNorms = 0;
        return _readNorms.AsSpan(0, count);
    }

    // A device-to-device copy of one cell on the kernels' stream: no host transfer, no wait.
    private void KeepNorm(DeviceNetwork network)
    {
        if (_normHistory is null) return;
        if (_keptNorms == _normHistory.Length)
            throw new InvalidOperationException($"The norm history holds {_normHistory.Length} steps: read it (ReadNormHistory) before the next step.");
        var target = _normHistory.View.SubView(_keptNorms++, 1).AsContiguous();
        network.StepStateView.SubView(GpuStepState.GradientNormCell, 1).CopyTo(network.Accelerator!.DefaultStream, target);
    }

    private void RefreshCounters()
    {
        StepCount = (long)_network!.Cell(GpuStepState.StepsCell);
        _skippedSteps = (long)_network.Cell(GpuStepState.SkippedStepsCell);
    }

    public override void SaveState(StateWriter state)
    {
        if (_network is not null && !_network.OverflowKnownOnHost) _network.ReadBack();
        base.SaveState(state);
    }

    public override void LoadState(StateReader state)
    {
        base.LoadState(state);
        _network?.WriteCells(GpuStepState.StepsCell, [StepCount]);
    }

    protected override void SaveStateCore(StateWriter state)
    {
        state.Value("beta2", Beta2);
        state.Value("eps", Eps);
        state.Value("weight_decay", WeightDecay);
        state.Tensor("exp_avg", Download(_m, _host is null ? default : _host.FirstMoment));
        state.Tensor("exp_avg_sq", Download(_v, _host is null ? default : _host.SecondMoment));
    }

    protected override void LoadStateCore(StateReader state)
    {
        Expect(state, "beta2", Beta2);
        Expect(state, "eps", Eps);
        Expect(state, "weight_decay", WeightDecay);
        if (_host is not null) throw new NotSupportedException("Restore a CPU network's optimizer with AdamW.");
        var m = new float[Parameters.Length];
        var v = new float[Parameters.Length];
        state.Tensor("exp_avg", m);
        state.Tensor("exp_avg_sq", v);
        _m!.View.CopyFromCPU(m);
        _v!.View.CopyFromCPU(v);
        _network!.Transfers.CountHostToDevice();
        _network.Transfers.CountHostToDevice();
    }

    private float[] Download(MemoryBuffer1D<float, Stride1D.Dense>? buffer, ReadOnlySpan<float> host)
    {
        if (buffer is null) return host.ToArray();
        var values = new float[Parameters.Length];
        buffer.View.CopyToCPU(values);
        _network!.Transfers.CountDeviceToHost();
        return values;
    }

    public void Dispose()
    {
        _m?.Dispose();
        _v?.Dispose();
        _decayed?.Dispose();
        _sums?.Dispose();
        _coefficients?.Dispose();
        _normHistory?.Dispose();
        if (_network is not null && _host is null) _network.ReadBackCompleted -= RefreshCounters;
    }
}
