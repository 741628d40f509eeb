namespace DslNet;

/// <summary>What a schedule factory knows when <see cref="Trainer.Fit"/> builds the schedule.</summary>
/// <param name="StepsPerEpoch">Optimizer steps per epoch: batches per epoch ÷ accumulation steps, rounded up.</param>
/// <param name="TotalSteps">The horizon of a per-step schedule: <c>Epochs × StepsPerEpoch</c>.</param>
public readonly record struct ScheduleContext(int Epochs, int StepsPerEpoch, int TotalSteps);

/// <summary>
/// How <see cref="Trainer"/> trains. The defaults are the practical recipe of §7.10: AdamW with decoupled weight
/// decay 1e-2 (no decay on biases and normalization parameters), a one-cycle learning-rate schedule stepped once per
/// optimizer step over the whole run, gradients clipped to global norm 1.0, shuffled mini-batches, validation loss
/// and metrics every epoch. Every piece can be overridden.
/// </summary>
/// <remarks>
/// The recipe's other items live elsewhere: initialization (He before ReLU, Xavier before tanh/sigmoid) and
/// normalization and dropout are declared on the model (<c>Init.Auto</c>, <c>BatchNorm</c>, <c>Dropout</c>);
/// precision is the model's storage type, with <see cref="LossScaling"/> for fp16; monitoring is
/// <see cref="MonitorInterval"/> and <see cref="TrainingHistory.Diagnose"/>; early stopping on validation loss is
/// <see cref="EarlyStopping"/>.
/// </remarks>
public sealed class TrainerOptions
{
    /// <summary>Passes over the training set (default 10).</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Rows per mini-batch (default 512; with accumulation, per micro-batch).</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>Shuffle the training rows each epoch (default true); the order is fixed by (<see cref="Seed"/>, epoch).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Seed of the shuffling (default 0).</summary>
    public int Seed { get; init; }

    /// <summary>Drop the short last batch of each epoch (default false, like PyTorch's DataLoader).</summary>
    public bool DropLast { get; init; }

    /// <summary>
    /// The learning rate: the peak of the default one-cycle schedule and the rate the default optimizer is built
    /// with (default 1e-3). Use <see cref="LrFinder"/> to pick it.
    /// </summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Decoupled weight decay of the default AdamW (default 1e-2, the recipe's λ ≈ 10⁻²).</summary>
    public double WeightDecay { get; init; } = 1e-2;

    /// <summary>
    /// Builds the optimizer over the model's parameters. Default: <c>new AdamW(parameters, lr: LearningRate,
    /// weightDecay: WeightDecay)</c> (decay on weights only).
    /// </summary>
    public Func<ParameterBuffer, Optimizer>? Optimizer { get; init; }

    /// <summary>
    /// Builds the learning-rate schedule once the data is known; return null for a constant rate. Default
    /// <see cref="OneCycle"/> with the optimizer's rate as the peak. A schedule whose <see cref="ILearningRateScheduler.Unit"/>
    /// is <see cref="ScheduleUnit.Batch"/> is stepped after every optimizer step, an epoch schedule after every epoch.
    /// </summary>
    public Func<Optimizer, ScheduleContext, ILearningRateScheduler?> Schedule { get; init; } = OneCycle();

    /// <summary>Clip gradients to this global L2 norm before each optimizer step (default 1.0); null turns clipping off (the norm is still recorded).</summary>
    public double? ClipNorm { get; init; } = 1.0;

    /// <summary>Micro-batches per optimizer step (default 1): gradients are averaged over them (see <see cref="GradientAccumulator"/>).</summary>
    public int AccumulationSteps { get; init; } = 1;

    /// <summary>Dynamic loss scaling through a <see cref="GradScaler"/> (default off; for fp16 storage). Gradients are unscaled before clipping.</summary>
    public bool LossScaling { get; init; }

    /// <summary>Stop when validation loss stops improving (default none); needs a validation set. Its <c>restoreBest</c> puts the best epoch's weights back (when it stops, and at the end of a run it did not stop). Its state carries over between Fit calls.</summary>
    public EarlyStopping? EarlyStopping { get; init; }

    /// <summary>Save a checkpoint (model, optimizer, schedule, scaler, early stopping) to this path after every epoch; null (default) saves none.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>
    /// Continue the run saved in this checkpoint (written through <see cref="CheckpointPath"/> with the same model,
    /// data and options; Keras' <c>initial_epoch</c> with the state restored): model, optimizer, schedule, scaler and
    /// early stopping are restored and training goes on from the epoch after the saved one, up to
    /// <see cref="Epochs"/>, bit-identically to a run that was never interrupted. A corrupted file, or one that does
    /// not fit the model or these options, is refused before anything changes. The returned history holds the
    /// resumed epochs only. Distributed: every rank loads the file (put it where every rank can read it), then rank
    /// 0's state is broadcast. Null (default): start fresh.
    /// </summary>
    public string? ResumeFrom { get; init; }

    /// <summary>Hooks after every optimizer step and every epoch; any can stop training.</summary>
    public IReadOnlyList<ITrainerCallback> Callbacks { get; init; } = [];

    /// <summary>Gather the monitor's activation and gradient statistics every N training steps into the history (default 0: off).</summary>
    public int MonitorInterval { get; init; }

    /// <summary>Anomaly mode: check every block's output and gradient for NaN/∞ on every step and throw <see cref="NumericalAnomalyException"/> naming the first block (default off).</summary>
    public bool DetectAnomalies { get; init; }

    /// <summary>Stop at the first optimizer step whose loss is NaN or ∞ (default true): nothing after it can recover.</summary>
    public bool StopOnNonFiniteLoss { get; init; } = true;

    /// <summary>Progress output (default <see cref="ProgressMode.Auto"/>: a live line on a terminal, plain per-epoch lines when redirected).</summary>
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    /// <summary>Where progress goes (default the console); giving a writer makes <see cref="ProgressMode.Auto"/> print plain lines.</summary>
    public TextWriter? ProgressWriter { get; init; }

    /// <summary>
    /// Data-parallel training over the ranks of an MPI job (default null: this process alone), as with PyTorch's
    /// DistributedDataParallel: rank 0's model is broadcast at the start; each rank trains on its shard of every
    /// batch (<see cref="BatchSize"/> is the global batch, split evenly over the ranks; the shards follow
    /// <see cref="DataShard"/>); gradients are averaged before clipping and the optimizer step; losses and validation
    /// metrics are combined over all ranks (AUC over all predictions); progress and checkpoints come from rank 0
    /// only; stops are decided once for all ranks; an exception on any rank ends the job through MPI_Abort with its
    /// message. Pass <c>DistributedContext.FromEnvironment()</c>: a world of one without mpirun.
    /// </summary>
    public DistributedContext? Distributed { get; init; }

    /// <summary>Floats per allreduce bucket when <see cref="Distributed"/> (default <see cref="GradientSynchronizer.DefaultBucketCapacity"/>).</summary>
    public int GradientBucketCapacity { get; init; } = GradientSynchronizer.DefaultBucketCapacity;

    /// <summary>
    /// When <see cref="Distributed"/> (default true): each bucket's allreduce starts during the backward pass, as soon
    /// as its blocks' gradients are final, so communication overlaps the rest of backward (DDP's gradient hooks).
    /// False hands every gradient over after the backward pass (to measure what the overlap saves). Either way the
    /// numbers are the same; gradient accumulation and device models always hand over at the end.
    /// </summary>
    public bool OverlapCommunication { get; init; } = true;

    /// <summary>
    /// Device-resident training for a model constructed on a device (default false), PyTorch's loop with the data, the
    /// optimizer, clipping and the loss scaler on the GPU and <c>loss.item()</c> read now and then. The Trainer builds a
    /// <see cref="Devices.DeviceAdamW"/> (<see cref="LearningRate"/>, <see cref="WeightDecay"/>, <see cref="ClipNorm"/>),
    /// uploads the training set once (<see cref="Devices.DeviceDataSet"/>; an augmenting set keeps the host gather and
    /// copies each batch in) and reads the losses and gradient norms back every <see cref="ReadbackInterval"/> steps and
    /// at the end of each epoch: no host round trip per step. The history is the same per-step record as without it;
    /// callbacks see each step at the read-back after it (a stop they request takes effect there). Parameters and
    /// running statistics are copied to the host at the end of every epoch (for checkpoints and early stopping) and
    /// after training. Not with <see cref="Optimizer"/> (it is always AdamW), <see cref="AccumulationSteps"/> above 1,
    /// <see cref="Distributed"/>, <see cref="MonitorInterval"/> or <see cref="DetectAnomalies"/>: each needs the
    /// gradients on the host every step.
    /// </summary>
    public bool DeviceResident { get; init; }

    /// <summary>The default <see cref="ReadbackInterval"/>: long enough to hide the wait for the device on a GPU.</summary>
    public const int DefaultReadbackInterval = 50;

    /// <summary>With <see cref="DeviceResident"/>: training steps per read-back of their losses and norms (default
    /// <see cref="DefaultReadbackInterval"/>; 1 waits for the device every step).</summary>
    public int ReadbackInterval { get; init; } = DefaultReadbackInterval;

    /// <summary>
    /// One-cycle (§7.5.5) over the whole run, stepped per optimizer step: the rate rises from peak/25 to the peak in
    /// the first 30 % of the steps and anneals (cosine) to peak/25/10⁴, β1 or momentum cycling 0.95 → 0.85 → 0.95.
    /// </summary>
    /// <param name="maxLr">The peak; null takes the optimizer's learning rate.</param>
    public static Func<Optimizer, ScheduleContext, ILearningRateScheduler?> OneCycle(double? maxLr = null, double pctStart = 0.3, double divFactor = 25, double finalDivFactor = 1e4) =>
        (optimizer, context) => new OneCycleLR(optimizer, maxLr ?? optimizer.LearningRate, context.TotalSteps, pctStart, divFactor, finalDivFactor);

    /// <summary>
    /// Linear warmup over the first <paramref name="warmupFraction"/> of the steps, then cosine annealing to
    /// <paramref name="etaMin"/> over the rest (§7.5.3–7.5.4), both per optimizer step; the peak is the optimizer's rate.
    /// </summary>
    public static Func<Optimizer, ScheduleContext, ILearningRateScheduler?> WarmupCosine(double warmupFraction = 0.05, double etaMin = 0)
    {
        if (!(warmupFraction >= 0 && warmupFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(warmupFraction), warmupFraction, "The warmup fraction must lie in [0, 1).");
        return (optimizer, context) =>
        {
            var warmup = (int)Math.Round(warmupFraction * context.TotalSteps);
            var cosine = new CosineAnnealingLR(optimizer, tMax: Math.Max(1, context.TotalSteps - warmup), etaMin: etaMin, unit: ScheduleUnit.Batch);
            return warmup > 0 ? new LinearWarmup(optimizer, warmup, cosine) : cosine;
        };
    }

    /// <summary>No schedule: the optimizer's rate stays as built.</summary>
    public static Func<Optimizer, ScheduleContext, ILearningRateScheduler?> ConstantLearningRate { get; } = (_, _) => null;
}
