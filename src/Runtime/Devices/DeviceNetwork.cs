using System.Runtime.InteropServices;
using DslNet.Kernels.Gpu;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace DslNet.Devices;

/// <summary>The sizes a generated network's device path needs, from its plan.</summary>
public readonly record struct NetworkShape(
    int ParameterCount, int StatisticCount, int ScratchLength, int ActivationsPerRow, int InputSize, int OutputSize, int TargetsPerRow);

/// <summary>
/// The device side of a generated network: its flat buffers on the accelerator for the whole run, kernel loading,
/// and the host synchronisation. The generator derives one class per model that holds the model's kernels (with the
/// plan's shapes as constants) and launches them in order.
/// </summary>
/// <remarks>
/// <para>Two ways to train, chosen by the optimizer:</para>
/// <para><b>Host-synchronised</b> (any optimizer of <c>DslNet</c>, clipping, loss scaling, accumulation, checkpoints):
/// each <c>TrainStep</c> uploads the parameters and running statistics, runs forward, loss and backward on the device,
/// and downloads the gradients and running statistics; <c>Predict</c> uploads the parameters first. The host buffers
/// are always current. The transfers are parameter-sized (small beside a batch for an MLP).</para>
/// <para><b>Device-resident</b> (<see cref="DeviceAdamW"/>): the optimizer marks the network <see cref="IsResident"/>;
/// parameters, gradients, running statistics and optimizer state then stay on the device, a training step moves
/// only the batch in and the loss out, and the host buffers are a snapshot refreshed by <c>SyncToHost()</c>
/// (host edits go back with <c>SyncToDevice()</c>).</para>
/// </remarks>
public abstract class DeviceNetwork : IDisposable
{
    private readonly NetworkShape _shape;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _parameters, _gradients, _statistics, _scratch;
    private readonly MemoryBuffer1D<double, Stride1D.Dense>? _sums;
    private MemoryBuffer1D<float, Stride1D.Dense>? _workspace, _inputs, _targets, _outputs;
    private readonly PTXBackend? _ptx;
    private readonly List<string> _compiledPtx = new();
    private readonly double[] _sum = new double[2];
    private int _capacity;

    protected DeviceNetwork(Device device, Precision precision, NetworkShape shape)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.IsCpu) throw new ArgumentException("The CPU device runs the generated C# path, not a device network.", nameof(device));
        if (precision != Precision.Fp32)
            throw new NotSupportedException($"{precision} on {device} is not implemented yet: device networks run in Precision.Fp32.");
        Device = device;
        Precision = precision;
        _shape = shape;
        if (device.Kind == DeviceKind.PtxCompileOnly)
        {
            var architecture = new CudaArchitecture(device.Index / 10, device.Index % 10);
            _ptx = new PTXBackend(Device.Context, new CudaCapabilityContext(architecture), architecture, CudaInstructionSet.ISA_80, null);
            return;
        }

        Accelerator = device.Acquire();
        _parameters = Accelerator.Allocate1D<float>(Math.Max(1, shape.ParameterCount));
        _gradients = Accelerator.Allocate1D<float>(Math.Max(1, shape.ParameterCount));
        _statistics = Accelerator.Allocate1D<float>(Math.Max(1, shape.StatisticCount));
        _scratch = Accelerator.Allocate1D<float>(Math.Max(1, shape.ScratchLength));
        _sums = Accelerator.Allocate1D<double>(2);
        _gradients.View.MemSetToZero();
    }

    public Device Device { get; }

    public Precision Precision { get; }

    /// <summary>The accelerator; null for <see cref="DeviceKind.PtxCompileOnly"/>.</summary>
    public Accelerator? Accelerator { get; }

    /// <summary>True while parameters, gradients and statistics are authoritative on the device (see remarks).</summary>
    public bool IsResident { get; set; }

    /// <summary>The PTX of every kernel loaded so far (only for <see cref="DeviceKind.PtxCompileOnly"/>).</summary>
    public IReadOnlyList<string> CompiledPtx => _compiledPtx;

    public ArrayView<float> ParameterView => Buffer(_parameters).View;

    public ArrayView<float> GradientView => Buffer(_gradients).View;

    // ── what the generated class implements ──

    protected abstract float TrainStepCore(int rows, float lossScale, ulong seed, long step);

    protected abstract void PredictCore(int rows);

    protected abstract float EvaluateLossCore(int rows);

    // ── the generated model's entry points ──

    public float TrainStep(ParameterBuffer parameters, TensorBuffer statistics, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets,
        int rows, float lossScale, ulong seed, long step)
    {
        if (!IsResident) UploadState(parameters, statistics);
        Stage(inputs, targets, rows);
        var loss = TrainStepCore(rows, lossScale, seed, step);
        if (!IsResident)
        {
            Copy(_gradients, parameters.Gradients.Span, toHost: true);
            Copy(_statistics, statistics.Span, toHost: true);
        }

        return loss;
    }

    public void Predict(ParameterBuffer parameters, TensorBuffer statistics, ReadOnlySpan<float> inputs, Span<float> outputs, int rows)
    {
        if (!IsResident) UploadState(parameters, statistics);
        Stage(inputs, ReadOnlySpan<float>.Empty, rows);
        PredictCore(rows);
        Copy(_outputs, outputs, toHost: true);
    }

    public float EvaluateLoss(ParameterBuffer parameters, TensorBuffer statistics, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int rows)
    {
        if (!IsResident) UploadState(parameters, statistics);
        Stage(inputs, targets, rows);
        return EvaluateLossCore(rows);
    }

    /// <summary>Copies parameters, gradients and running statistics from the device into the host buffers.</summary>
    public void SyncToHost(ParameterBuffer parameters, TensorBuffer statistics)
    {
        if (Accelerator is null) return;
        Copy(_parameters, parameters.Span, toHost: true);
        Copy(_gradients, parameters.Gradients.Span, toHost: true);
        Copy(_statistics, statistics.Span, toHost: true);
    }

    /// <summary>Copies parameters, gradients and running statistics from the host buffers to the device.</summary>
    public void SyncToDevice(ParameterBuffer parameters, TensorBuffer statistics)
    {
        if (Accelerator is null) return;
        UploadState(parameters, statistics);
        Copy(_gradients, parameters.Gradients.Span, toHost: false);
    }

    // ── helpers for the generated code ──

    /// <summary>Loads (or, for <see cref="DeviceKind.PtxCompileOnly"/>, compiles to PTX) an explicitly grouped kernel.</summary>
    protected Action<KernelConfig, NetworkViews> Load(Action<NetworkViews> kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        if (_ptx is not null)
        {
            var entry = EntryPointDescription.FromExplicitlyGroupedKernel(kernel.Method);
            if (_ptx.Compile(entry, KernelSpecialization.Empty) is PTXCompiledKernel compiled) _compiledPtx.Add(compiled.PTXAssembly);
            return static (_, _) => throw new DeviceUnavailableException("A PTX compile-only device runs nothing.");
        }

        return Accelerator!.LoadStreamKernel(kernel);
    }

    /// <summary>Views of every buffer for a launch over <paramref name="rows"/> rows.</summary>
    protected NetworkViews Views(int rows, ulong seed = 0, long step = 0, float lossScale = 1f) => new()
    {
        Parameters = Buffer(_parameters).View,
        Gradients = Buffer(_gradients).View,
        Statistics = Buffer(_statistics).View,
        Scratch = Buffer(_scratch).View,
        Workspace = Buffer(_workspace).View,
        Inputs = Buffer(_inputs).View,
        Targets = Buffer(_targets).View,
        Outputs = Buffer(_outputs).View,
        Sums = Buffer(_sums).View,
        Rows = rows,
        Capacity = _capacity,
        Seed = seed,
        Step = step,
        LossScale = lossScale,
    };

    /// <summary>Zeroes the reduction slots before a loss kernel.</summary>
    protected void ClearSums() => Buffer(_sums).View.MemSetToZero();

    /// <summary>Waits for the device and returns the first reduction slot (the loss sum).</summary>
    protected double ReadSum()
    {
        Buffer(_sums).View.CopyToCPU(ref _sum[0], 2);
        return _sum[0];
    }

    private void UploadState(ParameterBuffer parameters, TensorBuffer statistics)
    {
        Copy(_parameters, parameters.Span, toHost: false);
        Copy(_statistics, statistics.Span, toHost: false);
    }

    private void Stage(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int rows)
    {
        if (Accelerator is null) throw new DeviceUnavailableException("A PTX compile-only device runs nothing.");
        if (rows > _capacity)
        {
            _workspace?.Dispose();
            _inputs?.Dispose();
            _targets?.Dispose();
            _outputs?.Dispose();
            _capacity = rows;
            _workspace = Accelerator.Allocate1D<float>((long)rows * _shape.ActivationsPerRow);
            _inputs = Accelerator.Allocate1D<float>((long)rows * _shape.InputSize);
            _targets = Accelerator.Allocate1D<float>((long)rows * _shape.TargetsPerRow);
            _outputs = Accelerator.Allocate1D<float>((long)rows * _shape.OutputSize);
        }

        Copy(_inputs, inputs, toHost: false);
        if (!targets.IsEmpty) Copy(_targets, targets, toHost: false);
    }

    private static void Copy(MemoryBuffer1D<float, Stride1D.Dense>? buffer, ReadOnlySpan<float> host, bool toHost)
    {
        if (host.IsEmpty) return;
        var view = Buffer(buffer).View.SubView(0, host.Length);
        ref var first = ref MemoryMarshal.GetReference(host);
        if (toHost) view.CopyToCPU(ref first, host.Length);
        else view.CopyFromCPU(ref first, host.Length);
    }

    private static T Buffer<T>(T? buffer) where T : class =>
        buffer ?? throw new DeviceUnavailableException("A PTX compile-only device has no buffers.");

    public void Dispose()
    {
        foreach (var buffer in new MemoryBuffer?[] { _parameters, _gradients, _statistics, _scratch, _sums, _workspace, _inputs, _targets, _outputs })
            buffer?.Dispose();
        _ptx?.Dispose();
        GC.SuppressFinalize(this);
    }
}
