using System.Runtime.InteropServices;
using DslNet.Kernels.Gpu;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace DslNet.Devices;

/// <summary>The sizes a generated network's device path needs, from its plan.</summary>
/// <remarks><paramref name="RowStatisticsPerRow"/>: LayerNorm/GroupNorm inverse standard deviations per row, kept in their
/// own fp32 buffer so the workspace can be 16-bit. <paramref name="LargestWeight"/>: the most elements of one weight
/// matrix, for the split weight-gradient GEMM's partial products. <paramref name="WidestLayer"/>: the most features of one
/// layer, for the batch-split column reductions' partials. <paramref name="WidestGemmRow"/>: the widest row of a GEMM's
/// result over the batch (a layer's units or inputs), for the library GEMM's product buffer. <paramref name="GemmColumnsPerRow"/>:
/// the im2col columns per batch row of the largest library-eligible convolution, for the columns buffer.</remarks>
public readonly record struct NetworkShape(
    int ParameterCount, int StatisticCount, int ScratchLength, int ActivationsPerRow, int InputSize, int OutputSize, int TargetsPerRow,
    int RowStatisticsPerRow = 0, int LargestWeight = 0, int WidestLayer = 0, int WidestGemmRow = 0, int GemmColumnsPerRow = 0)
{
    /// <summary>Floats per row of the widest batch-sized device buffer (the workspace, unless a convolution's columns are wider).</summary>
    public int WidestBufferPerRow =>
        Math.Max(Math.Max(Math.Max(ActivationsPerRow, RowStatisticsPerRow), Math.Max(InputSize, OutputSize)),
            Math.Max(TargetsPerRow, Math.Max(WidestGemmRow, GemmColumnsPerRow)));

    /// <summary>The most rows one device batch may hold: the kernels index every batch-sized buffer with 32-bit integers,
    /// so rows × <see cref="WidestBufferPerRow"/> must stay within <see cref="int.MaxValue"/> (an image model's workspace
    /// reaches that at a few thousand images).</summary>
    public int MaxRows => int.MaxValue / Math.Max(1, WidestBufferPerRow);
}

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
/// (host edits go back with <c>SyncToDevice()</c>). With <see cref="ReadbackInterval"/> above 1 the loss and the overflow
/// flag stay on the device too (read every that many steps, or when asked), and with a <see cref="DeviceDataSet"/> the
/// batch is gathered on the device: a step then copies nothing either way (see <see cref="Transfers"/>).</para>
/// <para><b>Precision</b>: in <see cref="DslNet.Precision.Fp16"/> and <see cref="DslNet.Precision.Bf16"/> the workspace
/// (activations and activation gradients) is 16-bit; parameters, gradients, running and row statistics, the loss and
/// the optimizer state are fp32 in every precision. The backward kernels raise an overflow flag when a gradient they
/// store is ±∞ or NaN; it comes back with the loss (<see cref="GradientsOverflowed"/>), no extra pass or copy.</para>
/// </remarks>
public abstract partial class DeviceNetwork : IDisposable
{
    private readonly NetworkShape _shape;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _parameters, _gradients, _statistics, _scratch, _splitPartials;
    private readonly MemoryBuffer1D<double, Stride1D.Dense>? _sums, _columnPartials;
    private MemoryBuffer1D<double, Stride1D.Dense>? _stepState;
    private MemoryBuffer1D<float, Stride1D.Dense>? _workspace, _rowStatistics, _inputs, _targets, _outputs, _gemmProduct, _gemmColumns;
    private MemoryBuffer1D<ushort, Stride1D.Dense>? _halfWorkspace;
    private readonly PTXBackend? _ptx;
    private readonly List<string> _compiledPtx = new();
    private readonly double[] _sum = new double[2];
    private int _capacity;
    private int _maxBatchRows;
    private DeviceGemm? _gemm;
    private string? _cuBlasUnavailable;
    private GemmPath? _lastGemmPath;
    private Action<KernelConfig, ArrayView<double>, ArrayView<double>>? _mergePartials;

    protected DeviceNetwork(Device device, Precision precision, NetworkShape shape)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.IsCpu) throw new ArgumentException("The CPU device runs the generated C# path, not a device network.", nameof(device));
        if (precision is not (Precision.Fp32 or Precision.Fp16 or Precision.Bf16))
            throw new ArgumentOutOfRangeException(nameof(precision), precision, "Device networks run in Fp32, Fp16 or Bf16.");
        Device = device;
        Precision = precision;
        _shape = shape;
        _maxBatchRows = shape.MaxRows;
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
        _sums = Accelerator.Allocate1D<double>(GpuLosses.SumsLength);
        _splitPartials = Accelerator.Allocate1D<float>(Math.Max(1, GpuGemm.PartialCapacity(shape.LargestWeight)));
        _columnPartials = Accelerator.Allocate1D<double>(Math.Max(1, (long)RowSplit.PartialsPerColumn * shape.WidestLayer));
        _gradients.View.MemSetToZero();
        AllocateStepState(Accelerator);
    }

    public Device Device { get; }

    public Precision Precision { get; }

    /// <summary>The accelerator; null for <see cref="DeviceKind.PtxCompileOnly"/>.</summary>
    public Accelerator? Accelerator { get; }

    /// <summary>Whether a gradient of the last <c>TrainStep</c> read back was ±∞ or NaN in its storage (an fp16 overflow
    /// under too high a loss scale, or a non-finite loss). Read with the loss, so it costs no extra synchronisation; with
    /// <see cref="ReadbackInterval"/> above 1 it is the last step of the latest read-back (see <see cref="ReadBack"/>).</summary>
    public bool GradientsOverflowed { get; private set; }

    /// <summary>The device-side overflow flag (non-zero: overflowed), for kernels that must skip a step on their own.</summary>
    public ArrayView<double> OverflowFlagView => Buffer(_sums).View.SubView(1, 1);

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
        return RunTrainStep(parameters, statistics, rows, lossScale, seed, step);
    }

    /// <summary>A training step on the batch a <see cref="DeviceDataSet"/> gathered into this network's input buffers.</summary>
    internal float TrainStepOnGathered(ParameterBuffer parameters, TensorBuffer statistics, int rows, float lossScale, ulong seed, long step)
    {
        if (!IsResident) UploadState(parameters, statistics);
        return RunTrainStep(parameters, statistics, rows, lossScale, seed, step);
    }

    private float RunTrainStep(ParameterBuffer parameters, TensorBuffer statistics, int rows, float lossScale, ulong seed, long step)
    {
        UploadLossScale(lossScale);
        // Host-synchronised training downloads the gradients every step anyway: only a resident network defers its loss.
        _deferring = IsResident && ReadbackInterval > 1;
        float loss;
        try
        {
            loss = TrainStepCore(rows, lossScale, seed, step);
        }
        finally
        {
            _deferring = false;
        }

        if (_pendingSteps == 0)
            ReadOneStep(loss, _sum[1] != 0);   // TrainStepCore ended with ReadSum: the flag came back with the loss
        else
            loss = RecordPending(rows);
        if (!IsResident)
        {
            Copy(_gradients, parameters.Gradients.Span, toHost: true);
            Copy(_statistics, statistics.Span, toHost: true);
        }

        return loss;
    }

    /// <summary>The sizes from the model's plan that the device buffers are allocated from.</summary>
    public NetworkShape Shape => _shape;

    /// <summary>
    /// The most rows one device batch holds: a training step with more is refused, and <c>Predict</c> and
    /// <c>EvaluateLoss</c> split larger inputs into batches of this many rows (as the CPU path's inference chunks).
    /// Starts at the model's 32-bit indexing limit (<see cref="NetworkShape.MaxRows"/>); set it lower to bound the device
    /// memory inference takes.
    /// </summary>
    public int MaxBatchRows
    {
        get => _maxBatchRows;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(MaxBatchRows));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, _shape.MaxRows, nameof(MaxBatchRows));
            _maxBatchRows = value;
        }
    }

    public void Predict(ParameterBuffer parameters, TensorBuffer statistics, ReadOnlySpan<float> inputs, Span<float> outputs, int rows)
    {
        if (!IsResident) UploadState(parameters, statistics);
        for (var start = 0; start < rows; start += _maxBatchRows)
        {
            var count = Math.Min(_maxBatchRows, rows - start);
            Stage(inputs.Slice(start * _shape.InputSize, count * _shape.InputSize), ReadOnlySpan<float>.Empty, count);
            PredictCore(count);
            Copy(_outputs, outputs.Slice(start * _shape.OutputSize, count * _shape.OutputSize), toHost: true);
        }
    }

    /// <summary>The mean loss over all rows: batches of at most <see cref="MaxBatchRows"/> weighted by their rows.</summary>
    public float EvaluateLoss(ParameterBuffer parameters, TensorBuffer statistics, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int rows)
    {
        if (!IsResident) UploadState(parameters, statistics);
        var sum = 0.0;
        for (var start = 0; start < rows; start += _maxBatchRows)
        {
            var count = Math.Min(_maxBatchRows, rows - start);
            Stage(inputs.Slice(start * _shape.InputSize, count * _shape.InputSize),
                targets.Slice(start * _shape.TargetsPerRow, count * _shape.TargetsPerRow), count);
            sum += (double)EvaluateLossCore(count) * count;
        }

        return (float)(sum / rows);
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
    /// <remarks><paramref name="lossScale"/> is the host's value of the step; the kernels read the scale from the device
    /// (<see cref="NetworkViews.LossScale"/>), where <c>TrainStep</c> put it or the device loss scaler keeps it.</remarks>
    protected NetworkViews Views(int rows, ulong seed = 0, long step = 0, float lossScale = 1f) => new()
    {
        Parameters = Buffer(_parameters).View,
        Gradients = Buffer(_gradients).View,
        Statistics = Buffer(_statistics).View,
        Scratch = Buffer(_scratch).View,
        Workspace = Buffer(_workspace).View,
        HalfWorkspace = Buffer(_halfWorkspace).View,
        RowStatistics = Buffer(_rowStatistics).View,
        SplitPartials = Buffer(_splitPartials).View,
        ColumnPartials = Buffer(_columnPartials).View,
        GemmProduct = Buffer(_gemmProduct).View,
        GemmColumns = Buffer(_gemmColumns).View,
        Inputs = Buffer(_inputs).View,
        Targets = Buffer(_targets).View,
        Outputs = Buffer(_outputs).View,
        Sums = Buffer(_sums).View,
        StepState = Buffer(_stepState).View,
        Rows = rows,
        Capacity = _capacity,
        Seed = seed,
        Step = step,
    };

    /// <summary>Zeroes the loss sum, the overflow flag and the loss's partial sums before a training step's loss kernel.</summary>
    protected void ClearSums() => Buffer(_sums).View.MemSetToZero();

    /// <summary>Zeroes only the loss's partial sums (evaluation), so the training step's overflow flag survives until the
    /// optimizer; the merge in <see cref="ReadSum"/> overwrites the loss sum itself.</summary>
    protected void ClearLossSum() => GpuLosses.Partials(Buffer(_sums).View).MemSetToZero();

    /// <summary>Merges the loss kernel's partial sums into the loss sum (<see cref="GroupPartials.Merge"/>: a fixed order),
    /// then waits for the device and returns the loss sum; the overflow flag comes with it. In a training step with a
    /// <see cref="ReadbackInterval"/> above 1 it waits for nothing: the sum and the flag are kept in the device's loss
    /// history (read back later) and the result is NaN, which <c>TrainStep</c> does not use.</summary>
    protected double ReadSum()
    {
        var sums = Buffer(_sums).View;
        MergePartials(GpuLosses.Partials(sums), sums.SubView(GpuLosses.LossSumCell, 1));
        if (_deferring)
        {
            KeepStepOnDevice();
            return double.NaN;
        }

        Buffer(_sums).View.CopyToCPU(ref _sum[0], 2);
        Transfers.CountDeviceToHost();
        return _sum[0];
    }

    /// <summary>result[0] = Σ slots, added on the device in a fixed order (<see cref="GroupPartials.Merge"/>, one group).</summary>
    internal void MergePartials(ArrayView<double> slots, ArrayView<double> result)
    {
        _mergePartials ??= Accelerator!.LoadStreamKernel<ArrayView<double>, ArrayView<double>>(GroupPartials.Merge);
        _mergePartials(GroupPartials.MergeConfig, slots, result);
    }

    private void UploadState(ParameterBuffer parameters, TensorBuffer statistics)
    {
        Copy(_parameters, parameters.Span, toHost: false);
        Copy(_statistics, statistics.Span, toHost: false);
    }

    private void Stage(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int rows)
    {
        EnsureCapacity(rows);
        Copy(_inputs, inputs, toHost: false);
        if (!targets.IsEmpty) Copy(_targets, targets, toHost: false);
    }

    /// <summary>The input and target buffers of a batch of <paramref name="rows"/> rows, for a device-side gather.</summary>
    internal (ArrayView<float> Inputs, ArrayView<float> Targets) BatchBuffers(int rows)
    {
        EnsureCapacity(rows);
        return (Buffer(_inputs).View.SubView(0, (long)rows * _shape.InputSize), Buffer(_targets).View.SubView(0, (long)rows * _shape.TargetsPerRow));
    }

    private void EnsureCapacity(int rows)
    {
        if (Accelerator is null) throw new DeviceUnavailableException("A PTX compile-only device runs nothing.");
        if (rows > _maxBatchRows)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows,
                $"A device batch of {rows:N0} rows is more than this model's {_maxBatchRows:N0} (MaxBatchRows; the kernels index "
                + $"its widest buffer, {_shape.WidestBufferPerRow:N0} floats per row, with 32-bit integers): train with smaller batches.");
        }

        if (rows > _capacity)
        {
            _workspace?.Dispose();
            _halfWorkspace?.Dispose();
            _rowStatistics?.Dispose();
            _inputs?.Dispose();
            _targets?.Dispose();
            _outputs?.Dispose();
            _gemmProduct?.Dispose();
            _gemmColumns?.Dispose();
            _capacity = rows;
            // One workspace at full size, in the storage precision; the other a one-element stand-in for the kernels' views.
            var activations = (long)rows * _shape.ActivationsPerRow;
            _workspace = Accelerator.Allocate1D<float>(Precision == Precision.Fp32 ? activations : 1);
            _halfWorkspace = Accelerator.Allocate1D<ushort>(Precision == Precision.Fp32 ? 1 : activations);
            _rowStatistics = Accelerator.Allocate1D<float>(Math.Max(1, (long)rows * _shape.RowStatisticsPerRow));
            _inputs = Accelerator.Allocate1D<float>((long)rows * _shape.InputSize);
            _targets = Accelerator.Allocate1D<float>((long)rows * _shape.TargetsPerRow);
            _outputs = Accelerator.Allocate1D<float>((long)rows * _shape.OutputSize);
            // The library GEMM's product: a batch-sized result or a weight gradient, whichever is larger (fp32 only).
            var product = Math.Max((long)rows * _shape.WidestGemmRow, _shape.LargestWeight);
            _gemmProduct = Accelerator.Allocate1D<float>(Precision == Precision.Fp32 ? Math.Max(1, product) : 1);
            // A library-eligible convolution's im2col columns (or col2im's input), sized once for the batch (fp32 only).
            _gemmColumns = Accelerator.Allocate1D<float>(Precision == Precision.Fp32 ? Math.Max(1, (long)rows * _shape.GemmColumnsPerRow) : 1);
        }
    }

    private void Copy(MemoryBuffer1D<float, Stride1D.Dense>? buffer, ReadOnlySpan<float> host, bool toHost)
    {
        if (host.IsEmpty) return;
        var view = Buffer(buffer).View.SubView(0, host.Length);
        ref var first = ref MemoryMarshal.GetReference(host);
        if (toHost)
        {
            view.CopyToCPU(ref first, host.Length);
            Transfers.CountDeviceToHost();
        }
        else
        {
            view.CopyFromCPU(ref first, host.Length);
            Transfers.CountHostToDevice();
        }
    }

    private static T Buffer<T>(T? buffer) where T : class =>
        buffer ?? throw new DeviceUnavailableException("A PTX compile-only device has no buffers.");

    public void Dispose()
    {
        foreach (var buffer in new MemoryBuffer?[]
                 {
                     _parameters, _gradients, _statistics, _scratch, _splitPartials, _sums, _columnPartials, _stepState, _workspace, _halfWorkspace,
                     _rowStatistics, _inputs, _targets, _outputs, _gemmProduct, _gemmColumns,
                 })
            buffer?.Dispose();
        _gemm?.Dispose();
        _ptx?.Dispose();
        GC.SuppressFinalize(this);
    }
}
