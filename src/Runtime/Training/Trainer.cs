using System.Diagnostics;

namespace DslNet;

/// <summary>
/// Trains any <see cref="INetwork"/> with the practical recipe of §7.10 (see <see cref="TrainerOptions"/> for the
/// defaults): epochs of shuffled mini-batches, AdamW, one-cycle stepped per optimizer step, clipping at norm 1.0,
/// optional accumulation, loss scaling, early stopping, checkpoints and callbacks, validation loss and metrics every
/// epoch, a progress display, and a <see cref="TrainingHistory"/> that plots and diagnoses itself. On a GPU,
/// <see cref="TrainerOptions.DeviceResident"/> keeps the data, the optimizer and clipping on the device.
/// </summary>
/// <example>
/// <code>
/// var model = new StreamRecMlp(seed: 42);
/// var trainer = new Trainer(model, new TrainerOptions { Epochs = 5, BatchSize = 512 });
/// var history = trainer.Fit(train, validation);
/// history.SavePlots("runs/streamrec");
/// Console.WriteLine(history.Diagnose());
/// </code>
/// </example>
/// <remarks>
/// <para>
/// One optimizer step is, in this order (the order the analyzers check):
/// <c>TrainStep(x, y[, scale])</c> per micro-batch → accumulate → unscale (loss scaling) → clip (the norm before
/// clipping is recorded) → optimizer step (skipped by the scaler on inf/NaN) → scaler update → schedule step.
/// With accumulation over N micro-batches, an epoch makes <c>floor(batches / N)</c> optimizer steps; micro-batches
/// left over at the end of an epoch are dropped (their training step still updated BatchNorm's running statistics).
/// </para>
/// <para>
/// The batch loop allocates nothing: batches are gathered into the data set's reused buffers, the history's step
/// series are sized before the first epoch, and the live progress line is formatted into a reused buffer. Per epoch,
/// the batch enumerator, validation metrics and the epoch's record allocate a little; a monitor interval or a
/// callback may allocate on the steps they act on.
/// </para>
/// <para>
/// Metrics on the validation set (inference mode, one <c>Predict</c> pass): the loss, computed from the logits in
/// double with the model's loss; for binary cross-entropy with one output also ROC AUC and accuracy (logit &gt; 0);
/// for cross-entropy accuracy (arg max); for MSE the loss only.
/// </para>
/// </remarks>
public sealed class Trainer
{
    public Trainer(INetwork model, TrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new TrainerOptions();
        Validate(options);
        Model = model;
        Options = options;
        Optimizer = options.DeviceResident
            ? DeviceResidentTraining.BuildOptimizer(model, options)
            : options.Optimizer?.Invoke(model.Parameters) ?? new AdamW(model.Parameters, lr: options.LearningRate, weightDecay: options.WeightDecay);
        if (!ReferenceEquals(Optimizer.Parameters, model.Parameters))
            throw new ArgumentException("The optimizer factory built an optimizer over a different parameter buffer than the model's.", nameof(options));
    }

    public INetwork Model { get; }

    public TrainerOptions Options { get; }

    /// <summary>Built once, in the constructor; its state carries over between <see cref="Fit"/> calls.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The schedule of the latest <see cref="Fit"/> (built per call: its horizon depends on the data).</summary>
    public ILearningRateScheduler? Schedule { get; private set; }

    /// <summary>The loss scaler of the latest <see cref="Fit"/> with <see cref="TrainerOptions.LossScaling"/>.</summary>
    public GradScaler? Scaler { get; private set; }

    /// <summary>The gradient synchronizer of the latest distributed <see cref="Fit"/> (its wait time is the communication a step did not hide).</summary>
    public GradientSynchronizer? Synchronizer { get; private set; }

    /// <summary>Trains on <paramref name="train"/> for <see cref="TrainerOptions.Epochs"/> epochs, validating on <paramref name="validation"/> after each.</summary>
    /// <exception cref="ArgumentException">The data does not fit the model or its loss (wrong width, a label outside {0, 1} for BCE, a class out of range for cross-entropy, a NaN/∞ feature): the message names the set and the row.</exception>
    /// <exception cref="NumericalAnomalyException">With <see cref="TrainerOptions.DetectAnomalies"/>: the first block that produced NaN/∞.</exception>
    /// <remarks>With <see cref="TrainerOptions.Distributed"/> over several ranks, every rank calls Fit with the same (whole) data sets.</remarks>
    public TrainingHistory Fit(DataSet train, DataSet? validation = null)
    {
        if (Options.Distributed is not { IsDistributed: true } world) return FitCore(train, validation, null);
        try
        {
            var distributed = new DistributedTraining(world, Model, Options, Options.GradientBucketCapacity);
            Synchronizer = distributed.Synchronizer;
            return FitCore(train, validation, distributed);
        }
        catch (Exception e)
        {
            // The other ranks would wait forever in their next collective: end the job, saying why.
            world.Abort($"training failed: {e.GetType().Name}: {e.Message}");
            throw;
        }
    }

    private TrainingHistory FitCore(DataSet train, DataSet? validation, DistributedTraining? distributed)
    {
        ArgumentNullException.ThrowIfNull(train);
        var options = Options;
        var baseline = CheckData(train, "training set", nameof(train), Model);
        if (validation is not null) CheckData(validation, "validation set", nameof(validation), Model);
        if (options.EarlyStopping is not null && validation is null)
            throw new ArgumentException("Early stopping watches the validation loss: pass a validation set to Fit.", nameof(validation));
        // A bad path must fail now, not after the first epoch has trained.
        if (options.CheckpointPath is not null && (distributed?.World.IsRoot ?? true)) Checkpoint.CheckWritable(options.CheckpointPath);

        var batchesPerEpoch = distributed?.BatchesPerEpoch(train) ?? train.BatchesPerEpoch(options.BatchSize, options.DropLast);
        var accumulation = options.AccumulationSteps;
        var stepsPerEpoch = batchesPerEpoch / accumulation;
        if (stepsPerEpoch == 0)
            throw new ArgumentException(
                $"The training set gives {batchesPerEpoch} batch(es) of {options.BatchSize} per epoch, fewer than the {accumulation} micro-batches one optimizer step accumulates.",
                nameof(train));
        var totalSteps = checked(options.Epochs * stepsPerEpoch);

        var model = Model;
        var optimizer = Optimizer;
        var schedule = Schedule = options.Schedule(optimizer, new ScheduleContext(options.Epochs, stepsPerEpoch, totalSteps));
        var scaler = Scaler = options.LossScaling ? new GradScaler() : null;
        var accumulator = accumulation > 1 ? new GradientAccumulator(model.Parameters, accumulation) : null;
        var stopping = options.EarlyStopping;
        var constant = ConstantPrediction.Fit(model.Loss, train.Labels, model.OutputSize);
        var history = new TrainingHistory(totalSteps)
        {
            Loss = model.Loss,
            BaselineLoss = baseline,
            ValidationBaselineLoss = validation is null ? null : constant.LossOn(validation.Labels),
            ClassLikeLabels = ConstantPrediction.ClassLikeLabels(train.Labels),
            Shuffled = options.Shuffle,
            ClipNorm = options.ClipNorm,
        };
        var context = new TrainingContext(model, optimizer, schedule, history, options.Epochs, batchesPerEpoch);
        var isRoot = distributed?.World.IsRoot ?? true;
        var progress = isRoot ? ProgressDisplay.Create(options.Progress, options.ProgressWriter) : null;
        var validationOutputs = validation is null ? null : new float[validation.Rows * model.OutputSize];
        var checkpoint = (options.CheckpointPath is not null && isRoot) || options.ResumeFrom is not null
            ? BuildCheckpoint(model, optimizer, schedule, scaler, stopping)
            : null;
        var (localOutputs, outputCounts) = distributed is not null && validation is not null ? distributed.PredictionBuffers(validation) : ([], []);
        using var resident = options.DeviceResident ? new DeviceResidentTraining(model, (Devices.DeviceAdamW)optimizer, options, train) : null;
        var host = resident is null ? new HostTraining(model, optimizer, options, scaler, accumulator, distributed) : null;
        var firstEpoch = options.ResumeFrom is null ? 1 : Resume(checkpoint!, options.ResumeFrom, options.Epochs, progress);
        if (options.ResumeFrom is not null) resident?.UploadHostState();
        context.OptimizerStep = (long)(firstEpoch - 1) * stepsPerEpoch;
        distributed?.BroadcastState();
        distributed?.AttachHooks(overlapBackward: accumulator is null && options.OverlapCommunication);

        var monitor = model.Monitor;
        var (previousInterval, previousAnomalies) = (monitor.Interval, monitor.DetectAnomalies);
        monitor.Interval = options.MonitorInterval;
        monitor.DetectAnomalies = options.DetectAnomalies;
        var callbacks = Callbacks(options, history, monitor, isRoot ? checkpoint : null, progress);

        var runClock = Stopwatch.StartNew();
        try
        {
            for (var c = 0; c < callbacks.Count; c++) callbacks[c].OnTrainBegin(context);
            for (var epoch = firstEpoch; epoch <= options.Epochs && !context.StopRequested; epoch++)
            {
                context.StartEpoch(epoch);
                for (var c = 0; c < callbacks.Count; c++) callbacks[c].OnEpochBegin(context);
                // The batch loop: on the host, or on the device with the losses read back per window.
                var (epochLossSum, epochSteps) = resident is not null
                    ? resident.RunEpoch(train, epoch, context, callbacks, scaler, schedule)
                    : host!.RunEpoch(train, epoch, context, callbacks, schedule);

                var trainSeconds = context.EpochSeconds;
                var epochRows = context.SamplesDone;
                if (distributed is not null) (epochLossSum, epochRows) = distributed.CombineEpoch(epochLossSum, epochRows);
                var trainLoss = epochRows > 0 ? epochLossSum / epochRows : double.NaN;
                if (validation is not null)
                {
                    if (distributed is null) model.Predict(validation.Features, validationOutputs);
                    else distributed.Predict(validation, validationOutputs!, localOutputs, outputCounts);
                }
                var (validationLoss, auc, accuracy) = validation is null ? (null, null, null) : Validate(model, validation, validationOutputs!);
                if (schedule?.Unit == ScheduleUnit.Epoch) schedule.Step();

                var record = new EpochRecord(epoch, trainLoss, validationLoss, auc, accuracy,
                    epochSteps > 0 ? context.LearningRate : optimizer.LearningRate, epochSteps, trainSeconds,
                    context.EpochSeconds, trainSeconds > 0 ? epochRows / trainSeconds : 0);
                for (var c = 0; c < callbacks.Count; c++) callbacks[c].OnEpochEnd(context, record);
                if (distributed is not null && distributed.AnyStop(context.StopRequested))
                    context.RequestStop("a callback on another rank requested a stop");

                // The epoch's time includes validation and the callbacks (the checkpoint).
                history.AddEpoch(record with { WallSeconds = context.EpochSeconds });
            }

            history.StopReason = context.StopReason;
            for (var c = 0; c < callbacks.Count; c++) callbacks[c].OnTrainEnd(context);
            distributed?.BroadcastRunningStatistics();
        }
        finally
        {
            distributed?.DetachHooks();
            monitor.Interval = previousInterval;
            monitor.DetectAnomalies = previousAnomalies;
            history.WallTime = runClock.Elapsed;
        }

        return history;
    }

    /// <summary>Restores a saved run; returns the first epoch still to train. A file that cannot be resumed changes nothing.</summary>
    private static int Resume(Checkpoint checkpoint, string path, int epochs, ProgressDisplay? progress)
    {
        var saved = Checkpoint.ReadInfo(path).Data;
        if (!saved.Has("epoch"))
            throw new InvalidDataException($"{path}: the checkpoint has no 'epoch' entry: it was not written by Trainer (CheckpointPath), so it says nowhere where to resume.");
        var savedEpoch = saved.Int64("epoch");
        if (savedEpoch < 1 || savedEpoch >= epochs)
            throw new InvalidDataException($"{path}: the checkpoint was saved after epoch {savedEpoch}; resuming needs it to be between 1 and Epochs − 1 = {epochs - 1}.");

        CheckpointInfo info;
        try
        {
            info = checkpoint.Load(path);
        }
        catch (InvalidDataException e) when (!e.Message.Contains(path, StringComparison.Ordinal))
        {
            // A component refused its saved state (another schedule horizon, another optimizer): say which file.
            throw new InvalidDataException($"{path}: cannot resume this run from it: {e.Message}", e);
        }

        foreach (var warning in info.Warnings) progress?.Message($"warning: {warning}");
        progress?.Message($"resumed from {path} after epoch {savedEpoch}");
        return (int)savedEpoch + 1;
    }

    private static Checkpoint BuildCheckpoint(INetwork model, Optimizer optimizer, ILearningRateScheduler? schedule, GradScaler? scaler, EarlyStopping? stopping)
    {
        var checkpoint = new Checkpoint(model).With("optimizer", optimizer);
        if (schedule is not null) checkpoint.With("schedule", schedule);
        if (scaler is not null) checkpoint.With("scaler", scaler);
        if (stopping is not null) checkpoint.With("early_stopping", stopping);
        return checkpoint;
    }

    /// <summary>
    /// The run's callbacks in the order they are called: the stop on a non-finite loss and the monitor's snapshots,
    /// the user's, then early stopping, the checkpoint (which saves early stopping's count of this epoch) and the
    /// progress display (last, so an epoch's line shows its whole time).
    /// </summary>
    private static List<ITrainerCallback> Callbacks(
        TrainerOptions options, TrainingHistory history, NetworkMonitor monitor, Checkpoint? checkpoint, ProgressDisplay? progress)
    {
        var callbacks = new List<ITrainerCallback>();
        if (options.StopOnNonFiniteLoss) callbacks.Add(new NonFiniteLossStop());
        if (options.MonitorInterval > 0) callbacks.Add(new MonitorSnapshots(monitor, history));
        callbacks.AddRange(options.Callbacks);
        if (options.EarlyStopping is { } stopping) callbacks.Add(new EarlyStoppingCallback(stopping));
        if (options.CheckpointPath is { } path && checkpoint is not null) callbacks.Add(new CheckpointCallback(checkpoint, path));
        if (progress is not null) callbacks.Add(new ProgressCallback(progress));
        return callbacks;
    }

    /// <summary>Inference-mode loss and metrics over the whole set, from the outputs of one Predict pass.</summary>
    private static (double? Loss, double? Auc, double? Accuracy) Validate(INetwork model, DataSet data, float[] outputs)
    {
        var labels = data.Labels;
        switch (model.Loss)
        {
            case Loss.BinaryCrossEntropyWithLogits:
            {
                var loss = Metrics.LogLoss(outputs, labels);
                double? auc = null;
                if (HasBothClasses(labels) && !HasNaN(outputs))
                    auc = Metrics.RocAuc(outputs, labels);
                return (loss, auc, Metrics.Accuracy(outputs, labels));
            }
            case Loss.CrossEntropy:
                return CrossEntropy(outputs, labels, model.OutputSize);
            default:
            {
                double sum = 0;
                for (var i = 0; i < labels.Length; i++)
                {
                    double d = outputs[i] - labels[i];
                    sum += d * d;
                }
                return (sum / labels.Length, null, null);
            }
        }
    }

    private static bool HasNaN(ReadOnlySpan<float> values)
    {
        foreach (var v in values) if (float.IsNaN(v)) return true;
        return false;
    }

    private static bool HasBothClasses(ReadOnlySpan<float> labels)
    {
        bool positive = false, negative = false;
        foreach (var label in labels)
        {
            if (label >= 0.5f) positive = true;
            else negative = true;
            if (positive && negative) return true;
        }
        return false;
    }

    /// <summary>Mean cross-entropy (log-softmax in double) and arg-max accuracy.</summary>
    private static (double?, double?, double?) CrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<float> labels, int classes)
    {
        double sum = 0;
        var correct = 0;
        for (var row = 0; row < labels.Length; row++)
        {
            var z = logits.Slice(row * classes, classes);
            var best = 0;
            double max = z[0];
            for (var k = 1; k < classes; k++)
                if (z[k] > max)
                {
                    max = z[k];
                    best = k;
                }
            double exp = 0;
            for (var k = 0; k < classes; k++) exp += Math.Exp(z[k] - max);
            var target = (int)labels[row];
            sum += max + Math.Log(exp) - z[target];
            if (best == target) correct++;
        }
        return (sum / labels.Length, null, (double)correct / labels.Length);
    }

    /// <summary>
    /// Checks the data against the model and its loss, with errors naming the set and the row; returns the loss
    /// of the best constant prediction on its labels (the diagnosis's baseline).
    /// </summary>
    internal static double CheckData(DataSet data, string name, string parameter, INetwork model)
    {
        if (data.Columns != model.InputSize)
            throw new ArgumentException($"The {name} has {data.Columns} feature columns; the model takes {model.InputSize} inputs.", parameter);
        if (data.Rows == 0)
            throw new ArgumentException($"The {name} is empty.", parameter);
        var loss = model.Loss;
        if (loss != Loss.CrossEntropy && model.OutputSize != 1)
            throw new ArgumentException(
                $"The model has {model.OutputSize} outputs, but a data set holds one label per row, which fits {loss} only with one output.", parameter);

        var features = data.Features;
        for (var i = 0; i < features.Length; i++)
            if (!float.IsFinite(features[i]))
                throw new ArgumentException(
                    $"The {name}'s row {i / data.Columns} (0-based) has {features[i]} in column '{data.FeatureNames[i % data.Columns]}'; features must be finite.", parameter);

        var labels = data.Labels;
        switch (loss)
        {
            case Loss.BinaryCrossEntropyWithLogits:
            {
                double positives = 0;
                for (var row = 0; row < labels.Length; row++)
                {
                    var label = labels[row];
                    if (label != 0f && label != 1f)
                        throw new ArgumentException(
                            $"The {name}'s row {row} (0-based) has label {label} in '{data.LabelName}', but binary cross-entropy needs labels 0 or 1.", parameter);
                    positives += label;
                }
                var p = positives / labels.Length;
                return Entropy(p) + Entropy(1 - p);
            }
            case Loss.CrossEntropy:
            {
                var counts = new long[model.OutputSize];
                for (var row = 0; row < labels.Length; row++)
                {
                    var label = labels[row];
                    if (!(label >= 0 && label < model.OutputSize) || label != MathF.Floor(label))
                        throw new ArgumentException(
                            $"The {name}'s row {row} (0-based) has label {label} in '{data.LabelName}', but cross-entropy over {model.OutputSize} classes needs a class index 0 to {model.OutputSize - 1}.", parameter);
                    counts[(int)label]++;
                }
                var rows = (double)labels.Length;
                return counts.Sum(c => Entropy(c / rows));
            }
            default:
            {
                double sum = 0;
                for (var row = 0; row < labels.Length; row++)
                {
                    if (!float.IsFinite(labels[row]))
                        throw new ArgumentException($"The {name}'s row {row} (0-based) has label {labels[row]} in '{data.LabelName}'; labels must be finite.", parameter);
                    sum += labels[row];
                }
                var mean = sum / labels.Length;
                double squares = 0;
                foreach (var label in labels) squares += (label - mean) * (label - mean);
                return squares / labels.Length;
            }
        }
    }

    private static double Entropy(double p) => p > 0 ? -p * Math.Log(p) : 0;

    private static void Validate(TrainerOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Epochs, nameof(options.Epochs));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize, nameof(options.BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.AccumulationSteps, nameof(options.AccumulationSteps));
        ArgumentOutOfRangeException.ThrowIfNegative(options.MonitorInterval, nameof(options.MonitorInterval));
        if (options.ClipNorm is { } clip && !(clip > 0))
            throw new ArgumentOutOfRangeException(nameof(options.ClipNorm), clip, "The clipping norm must be positive (null turns clipping off).");
        ArgumentNullException.ThrowIfNull(options.Schedule, nameof(options.Schedule));
        ArgumentNullException.ThrowIfNull(options.Callbacks, nameof(options.Callbacks));
    }
}
