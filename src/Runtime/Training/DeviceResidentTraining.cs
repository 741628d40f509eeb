using DslNet.Devices;

namespace DslNet;

/// <summary>
/// The batch loop of <see cref="TrainerOptions.DeviceResident"/>: the training set on the device (or the host gather for
/// an augmenting set), <see cref="DeviceAdamW"/> with clipping and the loss scaler there, the losses and gradient norms
/// read back every <see cref="TrainerOptions.ReadbackInterval"/> steps and at the end of an epoch. At each read-back the
/// window's steps go into the history and through the callbacks in order, as the host loop records them step by step.
/// </summary>
internal sealed class DeviceResidentTraining : IDisposable
{
    private readonly INetwork _model;
    private readonly IDeviceModel _deviceModel;
    private readonly DeviceNetwork _network;
    private readonly DeviceAdamW _optimizer;
    private readonly TrainerOptions _options;
    private readonly DeviceDataSet? _data;
    private readonly PendingStep[] _pending;
    private readonly int _previousInterval;
    private int _pendingCount;
    private bool _hostIsStale;

    // What the host knows of a step when it is taken; its loss and norm arrive at the read-back.
    private readonly record struct PendingStep(int Rows, double LearningRate, double Momentum);

    public DeviceResidentTraining(INetwork model, DeviceAdamW optimizer, TrainerOptions options, DataSet train)
    {
        _model = model;
        _deviceModel = (IDeviceModel)model;
        _network = _deviceModel.DeviceNetwork!;
        _optimizer = optimizer;
        _options = options;
        _pending = new PendingStep[options.ReadbackInterval];
        _data = train.AugmentsBatches ? null : new DeviceDataSet(train, model);
        _optimizer.KeepNormHistory(options.ReadbackInterval);
        _previousInterval = _network.ReadbackInterval;
        _network.ReadbackInterval = options.ReadbackInterval;
        UploadHostState();
    }

    /// <summary>For <see cref="Trainer"/>'s constructor: refuses a model off the device and the options this mode cannot
    /// honour, then builds the device optimizer.</summary>
    public static DeviceAdamW BuildOptimizer(INetwork model, TrainerOptions options)
    {
        if (model is not IDeviceModel { DeviceNetwork.Accelerator: not null } deviceModel)
            throw new ArgumentException("DeviceResident trains a model constructed on a device (new Model(seed, Device.Cuda())); this one runs on the CPU.",
                nameof(model));
        static void Refuse(bool condition, string what)
        {
            if (condition)
                throw new ArgumentException($"DeviceResident cannot be combined with {what}: it needs the gradients on the host every step.", nameof(options));
        }

        Refuse(options.Optimizer is not null, "an Optimizer factory (the device optimizer is always AdamW)");
        Refuse(options.AccumulationSteps > 1, "AccumulationSteps above 1");
        Refuse(options.Distributed is { IsDistributed: true }, "Distributed");
        Refuse(options.MonitorInterval > 0, "MonitorInterval");
        Refuse(options.DetectAnomalies, "DetectAnomalies");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.ReadbackInterval, nameof(options.ReadbackInterval));
        // Without clipping the norm is still recorded: clipping at +∞ computes it and changes nothing.
        return new DeviceAdamW(deviceModel, lr: options.LearningRate, weightDecay: options.WeightDecay,
            clipNorm: options.ClipNorm ?? double.PositiveInfinity);
    }

    /// <summary>One epoch's optimizer steps; returns the sum of loss × rows and the steps taken.</summary>
    public (double LossSum, int Steps) RunEpoch(DataSet train, int epoch, TrainingContext context, List<ITrainerCallback> callbacks,
        GradScaler? scaler, ILearningRateScheduler? schedule)
    {
        var options = _options;
        var totals = (LossSum: 0.0, Steps: 0);
        if (_data is not null)
        {
            foreach (var batch in _data.Batches(options.BatchSize, options.Shuffle, options.Seed, epoch - 1, options.DropLast))
            {
                _data.TrainStep(batch, scaler?.Scale ?? 1f);
                if (Step(batch.Count, context, callbacks, scaler, schedule, ref totals)) break;
            }
        }
        else
        {
            foreach (var batch in train.Batches(options.BatchSize, options.Shuffle, options.Seed, epoch - 1, options.DropLast))
            {
                _model.TrainStep(batch.Features, batch.Labels, scaler?.Scale ?? 1f);
                if (Step(batch.Count, context, callbacks, scaler, schedule, ref totals)) break;
            }
        }

        ReadWindow(context, callbacks, ref totals);
        // Checkpoints and early stopping read the host's parameters and statistics.
        SyncToHost();
        return totals;
    }

    /// <summary>After a training step: the optimizer step, the schedule, and a read-back when the window is full.
    /// True when a callback asked to stop.</summary>
    private bool Step(int rows, TrainingContext context, List<ITrainerCallback> callbacks, GradScaler? scaler,
        ILearningRateScheduler? schedule, ref (double LossSum, int Steps) totals)
    {
        _pending[_pendingCount++] = new PendingStep(rows, _optimizer.LearningRate, _optimizer.Momentum);
        _hostIsStale = true;
        if (scaler is null)
        {
            _optimizer.Step();
        }
        else
        {
            scaler.Step(_optimizer);
            scaler.Update();
        }

        if (schedule?.Unit == ScheduleUnit.Batch) schedule.Step();
        if (_pendingCount == _pending.Length) ReadWindow(context, callbacks, ref totals);
        return context.StopRequested;
    }

    /// <summary>Reads the pending steps' losses (the network read them itself when its window filled, or each step with a
    /// window of 1) and norms, and records each step as the host loop does.</summary>
    private void ReadWindow(TrainingContext context, List<ITrainerCallback> callbacks, ref (double LossSum, int Steps) totals)
    {
        if (_pendingCount == 0) return;
        var losses = _network.PendingSteps > 0 ? _network.ReadBack() : _network.LastReadLosses;
        var norms = _optimizer.ReadNormHistory();
        if (losses.Length != _pendingCount || norms.Length != _pendingCount)
            throw new InvalidOperationException($"Read {losses.Length} losses and {norms.Length} norms for {_pendingCount} pending steps.");
        // Every step taken is recorded; once a callback asks to stop, the window's later steps (taken before the
        // request could be seen) reach no callback, as no step after a stop reaches one in the host loop.
        for (var k = 0; k < _pendingCount; k++)
        {
            var step = _pending[k];
            double loss = losses[k];
            var notify = !context.StopRequested;
            context.MicroBatchDone(step.Rows, loss);
            if (notify)
                for (var c = 0; c < callbacks.Count; c++) callbacks[c].OnMicroBatchEnd(context);
            totals.LossSum += loss * step.Rows;
            totals.Steps++;
            context.OptimizerStepDone(loss, step.LearningRate, step.Momentum, norms[k]);
            if (notify)
                for (var c = 0; c < callbacks.Count; c++) callbacks[c].OnBatchEnd(context);
        }

        _pendingCount = 0;
    }

    private void SyncToHost()
    {
        if (!_hostIsStale) return;
        _deviceModel.SyncToHost();
        _hostIsStale = false;
    }

    /// <summary>The host's parameters and running statistics to the device (at the start, and after a resume restored
    /// them on the host); from here on the device's copy is the one that trains.</summary>
    public void UploadHostState()
    {
        _network.SyncToDevice(_model.Parameters, _model.RunningStatistics);
        _network.IsResident = true;
    }

    /// <summary>Ends the run: the host holds the final state (unless a callback has changed it since, as early
    /// stopping's restore does: then the host's copy wins), the next use of the model uploads it, the network reads
    /// every step again as before.</summary>
    public void Dispose()
    {
        try
        {
            SyncToHost();
        }
        finally
        {
            _network.IsResident = false;
            _network.ReadbackInterval = _previousInterval;
            _optimizer.StopNormHistory();
            _data?.Dispose();
        }
    }
}
