using System.Runtime.InteropServices;
using DslNet.Kernels.Gpu;
using ILGPU;
using ILGPU.Runtime;

namespace DslNet.Devices;

/// <summary>
/// The step state a device network keeps on the device (<see cref="GpuStepState"/>'s cells): the loss scale and the
/// scaler's clean-step count, the device optimizer's counters, and the losses and overflow flags of the steps not yet
/// read back. The host reads them all with one copy, every <see cref="ReadbackInterval"/> steps or when asked.
/// </summary>
/// <remarks>
/// <para>While every step is read back (<see cref="ReadbackInterval"/> 1, or host-synchronised training) the host knows each
/// step's overflow flag, and the scaler and the optimizer mirror the device's decisions on the host with the same
/// arithmetic, so nothing else is read. With a longer interval the decisions are the device's alone (the update kernel
/// skips an overflowed step, the scale backs off in a kernel) and the host's copies are refreshed at each read-back:
/// the same bits as per-step reading, without the per-step wait.</para>
/// </remarks>
public abstract partial class DeviceNetwork
{
    private const int FixedCells = GpuStepState.HistoryOffset;

    private double[] _cells = new double[FixedCells + 2];
    private int[] _pendingRows = new int[1];
    private float[] _readLosses = new float[1];
    private int _readbackInterval = 1;
    private int _pendingSteps;
    private int _lastReadCount;
    private bool _deferring;
    private float _uploadedScale = float.NaN;
    private Action<Index1D, ArrayView<double>, ArrayView<double>, int>? _recordStep;
    private Action<Index1D, ArrayView<double>, ArrayView<double>, float, float, int>? _updateLossScale;

    /// <summary>Host↔device copies made so far by this network and the tools on it (a test hook; reset it freely).</summary>
    public DeviceTransfers Transfers { get; } = new();

    /// <summary>
    /// Every how many training steps a device-resident network reads its losses and overflow flags back (1, the default:
    /// every step, and <c>TrainStep</c> returns each step's loss). Above 1, <c>TrainStep</c> waits for nothing: it returns
    /// NaN except on every <see cref="ReadbackInterval"/>-th step, which reads the whole window (<see cref="ReadBack"/>
    /// returns it) and returns its own loss. 50 to 100 hides the wait on a GPU; host-synchronised training (a host
    /// optimizer) ignores it, since it downloads the gradients each step anyway. Changing it reads back pending steps.
    /// </summary>
    public int ReadbackInterval
    {
        get => _readbackInterval;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(ReadbackInterval));
            if (value == _readbackInterval) return;
            if (_pendingSteps > 0) ReadBack();
            _readbackInterval = value;
            if (Accelerator is { } accelerator && FixedCells + 2 * value > _cells.Length) ResizeStepState(accelerator, value);
        }
    }

    /// <summary>Training steps whose loss is still on the device.</summary>
    public int PendingSteps => _pendingSteps;

    /// <summary>The loss of the latest step read back (see <see cref="ReadBack"/>; reading this property does not read).</summary>
    public float LastLoss { get; private set; } = float.NaN;

    /// <summary>The losses of the latest read-back, in step order (a full window after a <c>TrainStep</c> that returned a
    /// number with <see cref="ReadbackInterval"/> above 1; that step's loss alone when it read its loss itself); valid
    /// until the next read-back.</summary>
    public ReadOnlySpan<float> LastReadLosses => _readLosses.AsSpan(0, _lastReadCount);

    /// <summary>Steps whose overflow flag was found set so far, read each step or at read-backs (whoever stepped on them).</summary>
    public long OverflowedSteps { get; private set; }

    /// <summary>Whether the host holds the overflow flag of the latest step (no step is waiting to be read back).</summary>
    public bool OverflowKnownOnHost => _pendingSteps == 0;

    /// <summary>Told after each read-back, with the fresh cells (the device optimizer refreshes its counters).</summary>
    internal event Action? ReadBackCompleted;

    /// <summary>
    /// Reads the pending steps' losses and overflow flags and the step state (scale, optimizer counters) with one copy,
    /// waiting for the device; returns the losses in step order (valid until the next training step). Call it where a
    /// loss is needed: a log line, the end of an epoch, a callback.
    /// </summary>
    public ReadOnlySpan<float> ReadBack()
    {
        if (Accelerator is null) return ReadOnlySpan<float>.Empty;
        var count = _pendingSteps;
        ReadCells(FixedCells + 2 * count);
        var overflowed = false;
        for (var k = 0; k < count; k++)
        {
            // TrainStepCore's own division: the mean loss over rows × targets per row (rows for cross-entropy, whose
            // target is one class index; rows × outputs otherwise), in double, then fp32.
            _readLosses[k] = (float)(_cells[FixedCells + 2 * k] / ((double)_pendingRows[k] * _shape.TargetsPerRow));
            overflowed = _cells[FixedCells + 2 * k + 1] != 0;
            if (overflowed && k < count - 1) OverflowedSteps++;
        }

        _pendingSteps = 0;
        _lastReadCount = count;
        if (count > 0) ReadStep(_readLosses[count - 1], overflowed);
        ReadBackCompleted?.Invoke();
        return _readLosses.AsSpan(0, count);
    }

    /// <summary>The device step-state cells as of the latest read (see <see cref="GpuStepState"/> for the indices).</summary>
    internal double Cell(int index) => _cells[index];

    /// <summary>Reads the fixed cells now (one copy, waits for the device): the current scale and optimizer counters.</summary>
    internal void RefreshCells() => ReadCells(FixedCells);

    /// <summary>Writes fixed cells from the host (a loss scaler or optimizer restoring its state).</summary>
    internal void WriteCells(int first, ReadOnlySpan<double> values)
    {
        if (Accelerator is null) return;
        values.CopyTo(_cells.AsSpan(first));
        StepStateView.SubView(first, values.Length).CopyFromCPU(ref MemoryMarshal.GetReference(values), values.Length);
        Transfers.CountHostToDevice();
    }

    /// <summary>The step-state cells on the device, for the device optimizer's kernels.</summary>
    internal ArrayView<double> StepStateView => Buffer(_stepState).View;

    // ── the loss scale ──

    /// <summary>True once a <see cref="GradScaler"/> keeps its scale on this device: the kernels then use the device's scale
    /// and the <c>lossScale</c> a training step passes (the scaler's host copy) is not uploaded.</summary>
    internal bool LossScaleOnDevice { get; private set; }

    /// <summary>Hands the scale and clean-step count to the device (one copy); from now on the device owns them.</summary>
    internal void AdoptLossScale(float scale, int growthTracker)
    {
        WriteCells(GpuStepState.LossScaleCell, [scale, growthTracker]);
        _uploadedScale = scale;
        LossScaleOnDevice = true;
    }

    /// <summary>The scaler's end of step in a kernel; mirrored on the host when the host knows the step's overflow flag.</summary>
    internal void UpdateLossScale(float growthFactor, float backoffFactor, int growthInterval)
    {
        _updateLossScale ??= Accelerator!.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, float, float, int>(
            GpuStepState.UpdateLossScale);
        _updateLossScale(1, StepStateView, OverflowFlagView, growthFactor, backoffFactor, growthInterval);
        if (!OverflowKnownOnHost) return;
        // The kernel's arithmetic on the host's copy: no read needed to know the next step's scale.
        var scale = (float)_cells[GpuStepState.LossScaleCell];
        var tracker = (int)_cells[GpuStepState.GrowthTrackerCell];
        if (GradientsOverflowed)
        {
            scale *= backoffFactor;
            tracker = 0;
        }
        else if (++tracker == growthInterval)
        {
            scale *= growthFactor;
            tracker = 0;
        }

        _cells[GpuStepState.LossScaleCell] = scale;
        _cells[GpuStepState.GrowthTrackerCell] = tracker;
    }

    private void UploadLossScale(float lossScale)
    {
        if (LossScaleOnDevice || lossScale.Equals(_uploadedScale)) return;
        WriteCells(GpuStepState.LossScaleCell, [lossScale]);
        _uploadedScale = lossScale;
    }

    // ── deferred losses ──

    /// <summary>A step that read its own loss and flag back (nothing deferred): a read-back of that one step.</summary>
    private void ReadOneStep(float loss, bool overflowed)
    {
        _readLosses[0] = loss;
        _lastReadCount = 1;
        ReadStep(loss, overflowed);
    }

    /// <summary>The latest step's loss and flag are on the host now.</summary>
    private void ReadStep(float loss, bool overflowed)
    {
        LastLoss = loss;
        GradientsOverflowed = overflowed;
        if (overflowed) OverflowedSteps++;
    }

    /// <summary>Keeps the step's loss sum and overflow flag in the next history slot (a one-thread kernel, no copy).</summary>
    private void KeepStepOnDevice()
    {
        _recordStep ??= Accelerator!.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, int>(GpuStepState.RecordStep);
        _recordStep(1, Buffer(_sums).View, StepStateView, _pendingSteps);
        _pendingSteps++;
    }

    /// <summary>After a deferred step: remembers its rows (the loss's divisor) and reads the window back once it is full.</summary>
    private float RecordPending(int rows)
    {
        _pendingRows[_pendingSteps - 1] = rows;
        return _pendingSteps < _readbackInterval ? float.NaN : ReadBack()[^1];
    }

    private void ReadCells(int count)
    {
        StepStateView.SubView(0, count).CopyToCPU(ref _cells[0], count);
        Transfers.CountDeviceToHost();
    }

    private void AllocateStepState(Accelerator accelerator)
    {
        _stepState = accelerator.Allocate1D<double>(_cells.Length);
        _stepState.View.MemSetToZero();
        // The scale starts at 1 (no scaling) until a step passes another.
        WriteCells(GpuStepState.LossScaleCell, [1.0]);
        _uploadedScale = 1f;
    }

    private void ResizeStepState(Accelerator accelerator, int interval)
    {
        var cells = FixedCells + 2 * interval;
        var resized = accelerator.Allocate1D<double>(cells);
        resized.View.MemSetToZero();
        Buffer(_stepState).View.SubView(0, FixedCells).CopyTo(resized.View.SubView(0, FixedCells));
        _stepState!.Dispose();
        _stepState = resized;
        Array.Resize(ref _cells, cells);
        _pendingRows = new int[interval];
        _readLosses = new float[interval];
    }
}
