using DslNet.Kernels.Gpu;
using ILGPU;
using ILGPU.Runtime;

namespace DslNet.Devices;

/// <summary>One mini-batch of a <see cref="DeviceDataSet"/> epoch: <see cref="Count"/> rows from position
/// <see cref="Start"/> of the epoch's row order, which lives on the device.</summary>
public readonly record struct DeviceBatch(int Start, int Count);

/// <summary>
/// A training set uploaded to a device network's accelerator once, whose shuffled mini-batches are gathered there by a
/// kernel: with a device-resident optimizer (<see cref="DeviceAdamW"/>) and a <see cref="DeviceNetwork.ReadbackInterval"/>
/// above 1, a training step copies nothing between host and device. The row order of an epoch is the host's
/// (<see cref="DataSet.Batches"/>'s Fisher–Yates order of (seed, epoch)), computed on the host and uploaded once per
/// epoch, so the batches, and the run, are the host-gathered ones.
/// </summary>
/// <example>
/// <code>
/// using var data = new DeviceDataSet(train, model);
/// foreach (var batch in data.Batches(4096, shuffle: true, seed: 1, epoch: e))
/// {
///     data.TrainStep(batch, scaler.Scale);   // gather and train on the device
///     scaler.Step(optimizer);
///     scaler.Update();
/// }
/// </code>
/// </example>
/// <remarks>Image augmentation runs in the host gather only: an augmented data set is refused. One label per row, as a
/// <see cref="DataSet"/> holds them, so the model's loss is cross-entropy or has one output.</remarks>
public sealed class DeviceDataSet : IDisposable
{
    private readonly DataSet _data;
    private readonly INetwork _model;
    private readonly DeviceNetwork _network;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _features, _labels;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _order;
    private readonly int[] _hostOrder;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, ArrayView<float>, ArrayView<float>> _gather;

    public DeviceDataSet(DataSet data, INetwork model)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(model);
        _network = (model as IDeviceModel)?.DeviceNetwork
                   ?? throw new ArgumentException("The model runs on the CPU: a device data set needs a model constructed on a device.", nameof(model));
        var accelerator = _network.Accelerator
                          ?? throw new DeviceUnavailableException("A PTX compile-only device runs nothing, so it holds no data set.");
        if (data.Columns != model.InputSize)
            throw new ArgumentException($"The data set has {data.Columns} feature columns; the model takes {model.InputSize} inputs.", nameof(data));
        if (model.Loss != Loss.CrossEntropy && model.OutputSize != 1)
            throw new ArgumentException($"A data set holds one label per row, which fits {model.Loss} only with one output; the model has {model.OutputSize}.", nameof(model));
        if (data.AugmentsBatches)
            throw new ArgumentException("The data set augments its images while gathering batches, which only the host gather does: train it with DataSet.Batches.", nameof(data));
        if ((long)data.Rows * data.Columns > int.MaxValue)
            throw new ArgumentException($"The data set holds {(long)data.Rows * data.Columns:N0} values; the device gather indexes at most {int.MaxValue:N0}.", nameof(data));

        _data = data;
        _model = model;
        _features = accelerator.Allocate1D(data.Features.ToArray());
        _labels = accelerator.Allocate1D(data.Labels.ToArray());
        _network.Transfers.CountHostToDevice();
        _network.Transfers.CountHostToDevice();
        _hostOrder = new int[data.Rows];
        _order = accelerator.Allocate1D<int>(Math.Max(1, data.Rows));
        _gather = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, ArrayView<float>, ArrayView<float>>(
            GpuGather.GatherRows);
    }

    public int Rows => _data.Rows;

    public int Columns => _data.Columns;

    /// <summary>As <see cref="DataSet.BatchesPerEpoch"/>.</summary>
    public int BatchesPerEpoch(int batchSize, bool dropLast = false) => _data.BatchesPerEpoch(batchSize, dropLast);

    /// <summary>
    /// One epoch of mini-batches, the same rows in the same order as <see cref="DataSet.Batches"/> with the same arguments.
    /// Starting the enumeration uploads the epoch's row order (one copy per epoch); each batch is gathered by
    /// <see cref="TrainStep"/>.
    /// </summary>
    public IEnumerable<DeviceBatch> Batches(int batchSize, bool shuffle, int seed = 0, int epoch = 0, bool dropLast = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return EnumerateBatches(batchSize, shuffle, seed, epoch, dropLast);
    }

    private IEnumerable<DeviceBatch> EnumerateBatches(int batchSize, bool shuffle, int seed, int epoch, bool dropLast)
    {
        DataSet.EpochOrder(_hostOrder, shuffle, seed, epoch);
        _order.View.SubView(0, _hostOrder.Length).CopyFromCPU(_hostOrder);
        _network.Transfers.CountHostToDevice();
        var batches = BatchesPerEpoch(batchSize, dropLast);
        for (var b = 0; b < batches; b++)
        {
            var start = b * batchSize;
            yield return new DeviceBatch(start, Math.Min(batchSize, Rows - start));
        }
    }

    /// <summary>
    /// Gathers <paramref name="batch"/> into the network's input and target buffers with one kernel and runs the model's
    /// training step on it (its step count and seed key the dropout masks, as <c>model.TrainStep</c> does). Returns the
    /// loss as <c>TrainStep</c> does: NaN on a step whose loss is still on the device (<see cref="DeviceNetwork.ReadbackInterval"/>).
    /// </summary>
    public float TrainStep(DeviceBatch batch, float lossScale = 1f)
    {
        if (batch.Count <= 0 || batch.Start < 0 || batch.Start + batch.Count > Rows)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"The batch must lie within the data set's {Rows} rows.");
        var (inputs, targets) = _network.BatchBuffers(batch.Count);
        _gather(batch.Count * Columns, _features.View, _labels.View, _order.View, batch.Start, Columns, inputs, targets);
        var step = _model.StepCount;
        _model.StepCount = step + 1;
        return _network.TrainStepOnGathered(_model.Parameters, _model.RunningStatistics, batch.Count, lossScale, _model.Seed, step);
    }

    public void Dispose()
    {
        _features.Dispose();
        _labels.Dispose();
        _order.Dispose();
    }
}
