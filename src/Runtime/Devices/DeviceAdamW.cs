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
/// <para>Loss scaling: with a <see cref="GradScaler"/>, <c>scaler.Unscale</c>/<c>scaler.Step</c> hand the unscale to this
/// optimizer (<see cref="IUnscalesOnDevice"/>): the factor 1/scale is folded into the update's gradient factor with the
/// clipping coefficient, and the overflow answer is the network's flag, already read back with the loss.</para>
/// <para>The update kernel itself skips every element when the network's overflow flag is set, so a step whose gradients
/// hold ±∞ or NaN never reaches the weights or the moments, and <see cref="Optimizer.StepCount"/> does not advance
/// (as if <c>Step</c> had not been called, which is what <see cref="GradScaler.Step"/> does). Unlike PyTorch's AdamW
/// without a scaler, this holds in every precision: a non-finite gradient skips the step instead of poisoning the
/// weights with NaN (see <see cref="SkippedSteps"/>).</para>
/// </remarks>
public sealed class DeviceAdamW : Optimizer, IUnscalesOnDevice, IDisposable
{
    private readonly DeviceNetwork? _network;
    private readonly AdamW? _host;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _m, _v, _decayed;
    private readonly MemoryBuffer1D<double, Stride1D.Dense>? _sums;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, AdamCoefficients>? _step;
    private readonly Action<KernelConfig, ArrayView<float>, int, ArrayView<double>>? _sumOfSquares;
    private readonly double[] _sum = new double[2];
    private double _beta1;
    private float _inverseScale = 1f;

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
        _sums = accelerator.Allocate1D<double>(2);
        _step = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, AdamCoefficients>(GpuOptimizers.AdamStep);
        _sumOfSquares = accelerator.LoadStreamKernel<ArrayView<float>, int, ArrayView<double>>(GpuOptimizers.SumOfSquares);
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

    /// <summary>The gradients' total norm before clipping at the last step (NaN without clipping), unscaled when a
    /// <see cref="GradScaler"/> unscaled them.</summary>
    public double LastGradientNorm { get; private set; } = double.NaN;

    /// <summary>Steps whose update the kernel skipped because the network's gradients overflowed.</summary>
    public long SkippedSteps { get; private set; }

    bool IUnscalesOnDevice.GradientsOnDevice => _host is null;

    bool IUnscalesOnDevice.UnscaleOnDevice(float inverseScale)
    {
        if (_host is not null) throw new InvalidOperationException("A CPU network's gradients are unscaled on the host.");
        _inverseScale = inverseScale;
        return !_network!.GradientsOverflowed;
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

        _inverseScale *= gradientScale;
        Step();
    }

    public override void Step()
    {
        if (_host is not null)
        {
            if (ClipNorm is { } max) LastGradientNorm = GradClip.ByNorm(Gradients, max);
            _host.LearningRate = LearningRate;
            _host.Step();
            StepCount++;
            return;
        }

        var network = _network!;
        network.IsResident = true;
        var n = Parameters.Length;
        // The unscale (GradScaler) and the clipping coefficient become one factor applied inside the update.
        var factor = _inverseScale;
        _inverseScale = 1f;
        var overflowed = network.GradientsOverflowed;
        if (overflowed) SkippedSteps++;
        else StepCount++;
        if (ClipNorm is { } maxNorm && !overflowed)
        {
            _sums!.View.MemSetToZero();
            _sumOfSquares!(GpuOptimizers.ReductionConfig(n), network.GradientView, n, _sums.View);
            _sums.View.CopyToCPU(ref _sum[0], 2);
            // PyTorch clips the unscaled gradients: ‖g/s‖ = ‖g‖·(1/s), with 1/s rounded to fp32 as in its unscale.
            LastGradientNorm = Math.Sqrt(_sum[0]) * factor;
            var coefficient = maxNorm / (LastGradientNorm + 1e-6);
            if (!(coefficient >= 1.0)) factor = (float)(factor * coefficient);
        }

        var biasCorrection1 = 1.0 - Math.Pow(_beta1, StepCount);
        var biasCorrection2Sqrt = Math.Sqrt(1.0 - Math.Pow(Beta2, StepCount));
        var c = new AdamCoefficients(
            StepSize: (float)(LearningRate / biasCorrection1), Decay: (float)(1.0 - LearningRate * WeightDecay), L2: 0f,
            B1: (float)_beta1, OneMinusB1: (float)(1.0 - _beta1), B2: (float)Beta2, OneMinusB2: (float)(1.0 - Beta2),
            Correction2Sqrt: (float)biasCorrection2Sqrt, Epsilon: (float)Eps, GradientFactor: factor);
        // Launched even on a step known to have overflowed: the kernel's own check is what keeps the state bit-identical.
        _step!(n, network.ParameterView, network.GradientView, _m!.View, _v!.View, _decayed!.View, network.OverflowFlagView, c);
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
    }

    private float[] Download(MemoryBuffer1D<float, Stride1D.Dense>? buffer, ReadOnlySpan<float> host)
    {
        if (buffer is null) return host.ToArray();
        var values = new float[Parameters.Length];
        buffer.View.CopyToCPU(values);
        return values;
    }

    public void Dispose()
    {
        _m?.Dispose();
        _v?.Dispose();
        _decayed?.Dispose();
        _sums?.Dispose();
    }
}
