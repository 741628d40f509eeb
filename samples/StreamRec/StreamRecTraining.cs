using System.Diagnostics;
using System.Globalization;
using DslNet.Kernels.Cpu;

namespace DslNet.Samples.StreamRec;

/// <summary>An input file the sample cannot use (missing, malformed, or the wrong shape).</summary>
public sealed class StreamRecInputException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The StreamRec training recipe, run by the library's <see cref="Trainer"/>: AdamW (lr 1e-3, weight decay 1e-2), a
/// one-cycle schedule stepped once per batch over all epochs, gradient clipping by global norm 1.0, batches of 512
/// shuffled anew each epoch, validation loss and ROC AUC after each epoch, optionally a checkpoint every epoch.
/// </summary>
public static class StreamRecTraining
{
    /// <summary>Rows per <c>Predict</c> call when measuring inference throughput.</summary>
    public const int PredictBatchSize = 512;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Trains a fresh <see cref="StreamRecMlp"/> as <paramref name="options"/> say, writing progress to <paramref name="log"/>.</summary>
    /// <exception cref="StreamRecInputException">A CSV file is missing, malformed or of the wrong shape.</exception>
    /// <exception cref="InvalidDataException">The checkpoint to resume from is corrupted or does not fit this run.</exception>
    public static StreamRecResult Run(StreamRecOptions options, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        log ??= TextWriter.Null;
        // Without mpirun, --distributed is a world of one and loads no MPI library.
        using var world = options.Distributed ? DistributedContext.FromEnvironment() : null;
        if (world is { IsRoot: false }) log = TextWriter.Null;                 // rank 0 reports
        log.WriteLine("StreamRec click-prediction MLP, trained with DslNet");
        if (options.Threads is { } threads) CpuThreads.Count = threads;
        else if (world is { IsDistributed: true }) CpuThreads.Count = Math.Max(1, Environment.ProcessorCount / world.Size);

        var data = LoadData(options, log);
        var (train, validation) = (data.Train, data.Validation);

        var model = CreateModel(options);
        var (dropLast, stepsPerEpoch) = BatchPlan(train, options.BatchSize);
        // fp16 storage needs dynamic loss scaling; fp32 and bf16 train without it.
        var lossScaling = model.Precision == Precision.Fp16;

        // On a GPU the data, AdamW, clipping and the scaler stay on the device (one read-back per window of steps).
        var deviceResident = model.DeviceNetwork?.Accelerator is not null && world is not { IsDistributed: true };
        log.WriteLine($"device: {model.Device} ({model.Device.Name}), precision: {model.Precision.ToString().ToLowerInvariant()}" +
                      (lossScaling ? ", dynamic loss scaling" : "") +
                      (deviceResident ? $", device-resident (losses read every {TrainerOptions.DefaultReadbackInterval} steps)" : ""));
        log.WriteLine($"threads: {CpuThreads.Count} (of {Environment.ProcessorCount} logical processors)");
        log.WriteLine();
        log.WriteLine(model.Summary().TrimEnd());
        log.WriteLine();
        log.WriteLine(FormattableString.Invariant(
            $"AdamW(lr={options.MaxLearningRate:g}, weight_decay={options.WeightDecay:g}), OneCycleLR(max_lr={options.MaxLearningRate:g}, total_steps={options.Epochs * stepsPerEpoch}, pct_start={options.PctStart:g}, div_factor={options.DivFactor:g}, final_div_factor={options.FinalDivFactor:g}), clip_grad_norm={options.ClipNorm:g}, batch_size={options.BatchSize}, {stepsPerEpoch} steps/epoch"));
        if (options.CheckpointPath is not null) log.WriteLine($"checkpoint: {options.CheckpointPath} (every epoch)");
        if (world is not null) log.WriteLine($"distributed: {world.Size} rank(s) over {world.Backend}, {options.BatchSize / world.Size} rows per rank per batch");
        log.WriteLine();

        var loopAllocations = new BatchLoopAllocations();
        IReadOnlyList<ITrainerCallback> callbacks = options.StopAfterEpoch is { } last ? [loopAllocations, StopAfter(last)] : [loopAllocations];
        var trainerOptions = TrainerOptionsFor(Recipe.Full, options, dropLast, log, lossScaling, callbacks, world, deviceResident);
        var trainer = new Trainer(model, trainerOptions);
        var history = trainer.Fit(train, validation);
        if (history.StopReason is { } stopped && options.StopAfterEpoch is null)
            throw new InvalidOperationException($"Training stopped: {stopped}.");

        var epochs = EpochResults(history, train, options.BatchSize, dropLast, loopAllocations);
        var logits = new float[validation.Rows];
        var predictPerSecond = options.MeasurePredict && (world?.IsRoot ?? true) ? MeasurePredict(model, validation, logits) : double.NaN;
        return new StreamRecResult(epochs, train.Rows, validation.Rows, CpuThreads.Count, data.TeacherAuc, predictPerSecond, model.Summary())
        {
            Ranks = world is null ? (0, 1) : (world.Rank, world.Size),
            ParameterChecksum = ModelChecksum.Crc32C(model),
        };
    }

    /// <summary>
    /// A recipe as Trainer options. Full (§7.9.2): AdamW, one-cycle per batch, clipping, and the run's checkpoint
    /// options; baseline (§7.9.1): Adam at a constant rate, no clipping. Progress goes to <paramref name="log"/> (on
    /// the console, a live line when it is a terminal; any other writer gets plain per-epoch lines).
    /// </summary>
    internal static TrainerOptions TrainerOptionsFor(Recipe recipe, StreamRecOptions options, bool dropLast, TextWriter log,
        bool lossScaling = false, IReadOnlyList<ITrainerCallback>? callbacks = null, DistributedContext? world = null, bool deviceResident = false)
    {
        var full = recipe == Recipe.Full;
        return new TrainerOptions
        {
            Epochs = options.Epochs,
            BatchSize = options.BatchSize,
            Seed = options.Seed,
            DropLast = dropLast,
            LearningRate = options.MaxLearningRate,
            WeightDecay = options.WeightDecay,
            Optimizer = full ? null : parameters => new Adam(parameters, lr: options.MaxLearningRate),
            Schedule = full
                ? TrainerOptions.OneCycle(options.MaxLearningRate, options.PctStart, options.DivFactor, options.FinalDivFactor)
                : TrainerOptions.ConstantLearningRate,
            ClipNorm = full ? options.ClipNorm : null,
            LossScaling = lossScaling,
            CheckpointPath = full ? options.CheckpointPath : null,
            ResumeFrom = full ? options.ResumePath : null,
            Callbacks = callbacks ?? [],
            Distributed = world,
            DeviceResident = full && deviceResident,
            ProgressWriter = ReferenceEquals(log, Console.Out) ? null : log,
        };
    }

    /// <summary>The Trainer's epochs as the sample reports them.</summary>
    internal static List<EpochResult> EpochResults(TrainingHistory history, DataSet train, int batchSize, bool dropLast, BatchLoopAllocations? allocations)
    {
        var samplesPerEpoch = dropLast ? train.Rows - train.Rows % batchSize : train.Rows;
        return history.Epochs
            .Select((e, i) => new EpochResult(e.Epoch, e.TrainLoss, e.ValidationLoss!.Value, e.ValidationAuc!.Value, e.SamplesPerSecond,
                samplesPerEpoch, TimeSpan.FromSeconds(e.TrainSeconds), e.LearningRate, allocations?.PerEpoch[i] ?? 0))
            .ToList();
    }

    private static TrainerCallback StopAfter(int lastEpoch) => new()
    {
        EpochEnd = (context, epoch) =>
        {
            if (epoch.Epoch == lastEpoch) context.RequestStop($"--stop-after-epoch {lastEpoch}; continue with --resume");
        },
    };

    /// <summary>
    /// Bytes the batch loop allocated on the training thread in each epoch, from the first optimizer step's end to
    /// the last's (the batch enumerator is created before the first, the epoch's record after the last).
    /// </summary>
    internal sealed class BatchLoopAllocations : ITrainerCallback
    {
        private long _firstStepEnd;
        private long _lastStepEnd;

        public List<long> PerEpoch { get; } = [];

        public void OnBatchEnd(TrainingContext context)
        {
            _lastStepEnd = GC.GetAllocatedBytesForCurrentThread();
            if (context.Batch == 1) _firstStepEnd = _lastStepEnd;
        }

        public void OnEpochEnd(TrainingContext context, EpochRecord epoch) => PerEpoch.Add(_lastStepEnd - _firstStepEnd);
    }

    /// <summary>The two lines a run ends with: predict throughput, then <c>FINAL val_auc=… samples_per_s=…</c>.</summary>
    /// <summary>
    /// Whether to drop the last batch, and the optimizer steps per epoch. BatchNorm cannot normalize a batch of one
    /// row in training mode (PyTorch raises an error): such a last batch is dropped, as DataLoader(drop_last=True)
    /// would.
    /// </summary>
    internal static (bool DropLast, int StepsPerEpoch) BatchPlan(DataSet train, int batchSize)
    {
        var dropLast = train.Rows % batchSize == 1;
        var stepsPerEpoch = train.BatchesPerEpoch(batchSize, dropLast);
        if (stepsPerEpoch == 0)
            throw new StreamRecInputException($"{train.Rows} training row(s) make no batch of at least two rows.");
        return (dropLast, stepsPerEpoch);
    }

    public static IEnumerable<string> FinalLines(StreamRecResult result)
    {
        var (rank, size) = result.Ranks;
        if (size > 1)
        {
            yield return string.Create(Invariant, $"RANK {rank} params_crc={result.ParameterChecksum:x8}");
            if (rank != 0) yield break;
        }

        if (!double.IsNaN(result.PredictSamplesPerSecond))
            yield return string.Create(Invariant,
                $"predict: {result.PredictSamplesPerSecond:F0} samples/s (batch {PredictBatchSize}, {result.ValidationRows} validation rows, inference mode)");
        yield return string.Create(Invariant,
            $"FINAL val_auc={result.FinalValidationAuc:F4} samples_per_s={result.TrainSamplesPerSecond:F0}") + (size > 1 ? $" ranks={size}" : "");
    }

    /// <summary>Reads the CSV pair of <paramref name="options"/>, or generates the synthetic data set.</summary>
    public static (DataSet Train, DataSet Validation, double? TeacherAuc) LoadData(StreamRecOptions options, TextWriter? log = null)
    {
        log ??= TextWriter.Null;
        if (options.UsesCsv)
        {
            var train = LoadCsv(options.TrainPath!, "training");
            var validation = LoadCsv(options.ValidationPath!, "validation");
            log.WriteLine(string.Create(Invariant,
                $"data: {options.TrainPath} ({train.Rows} rows, {PositiveRate(train):P1} positive), {options.ValidationPath} ({validation.Rows} rows, {PositiveRate(validation):P1} positive)"));
            return (train, validation, null);
        }

        var clock = Stopwatch.StartNew();
        var synthetic = new SyntheticStreamRec(options.DataSeed);
        var trainData = synthetic.GenerateTrain(options.TrainRows);
        var validationData = synthetic.GenerateValidation(options.ValidationRows);
        clock.Stop();
        var teacherAuc = validationData.TeacherAuc;
        log.WriteLine(string.Create(Invariant,
            $"data: synthetic (seed {options.DataSeed}): {trainData.Data.Rows} training rows ({trainData.PositiveRate:P1} positive), {validationData.Data.Rows} validation rows ({validationData.PositiveRate:P1} positive), {SyntheticStreamRec.Features} features, generated in {clock.Elapsed.TotalSeconds:F2} s"));
        log.WriteLine(string.Create(Invariant,
            $"reference: the noise-free teacher reaches val_auc={teacherAuc:F4} (the ceiling for any model on this data)"));
        return (trainData.Data, validationData.Data, teacherAuc);
    }

    /// <summary>Writes the generated data set as <c>train.csv</c> and <c>val.csv</c> in <paramref name="directory"/>.</summary>
    public static (string TrainPath, string ValidationPath) Export(StreamRecOptions options, string directory)
    {
        Directory.CreateDirectory(directory);
        var synthetic = new SyntheticStreamRec(options.DataSeed);
        var trainPath = Path.Combine(directory, "train.csv");
        var validationPath = Path.Combine(directory, "val.csv");
        synthetic.GenerateTrain(options.TrainRows).Data.SaveCsv(trainPath);
        synthetic.GenerateValidation(options.ValidationRows).Data.SaveCsv(validationPath);
        return (trainPath, validationPath);
    }

    private static DataSet LoadCsv(string path, string role)
    {
        DataSet data;
        try
        {
            data = DataSet.LoadCsv(path, labels: LabelRule.Binary);
        }
        catch (Exception e) when (e is DataFormatException or IOException or UnauthorizedAccessException)
        {
            throw new StreamRecInputException($"cannot read the {role} file: {e.Message}", e);
        }

        if (data.Columns != StreamRecMlp.InputSize)
            throw new StreamRecInputException(
                $"the {role} file {path} has {data.Columns} feature columns besides 'label'; StreamRecMlp takes {StreamRecMlp.InputSize}.");
        if (data.Rows == 0)
            throw new StreamRecInputException($"the {role} file {path} has no rows.");
        var positives = PositiveRate(data);
        if (role == "validation" && (positives == 0 || positives == 1))
            throw new StreamRecInputException($"the validation file {path} holds only one class; ROC AUC needs both.");
        return data;
    }

    private static double PositiveRate(DataSet data)
    {
        var positives = 0;
        foreach (var label in data.Labels) positives += label >= 0.5f ? 1 : 0;
        return data.Rows == 0 ? 0 : (double)positives / data.Rows;
    }

    /// <summary>The model on the device and precision the options name; one that cannot run here is a bad argument.</summary>
    private static StreamRecMlp CreateModel(StreamRecOptions options)
    {
        if (options.Device == "cpu" && options.Precision == Precision.Fp32) return new StreamRecMlp(options.Seed);
        try
        {
            return new StreamRecMlp(options.Seed, Device.Parse(options.Device), options.Precision);
        }
        catch (Exception e) when (e is DeviceUnavailableException or NotSupportedException)
        {
            throw new StreamRecInputException($"--device {options.Device} --precision {options.Precision.ToString().ToLowerInvariant()}: {e.Message}");
        }
    }

    private static void Validate(StreamRecOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Epochs, nameof(options.Epochs));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize, nameof(options.BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.TrainRows, nameof(options.TrainRows));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.ValidationRows, nameof(options.ValidationRows));
        if (options.Threads is { } threads) ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads, nameof(options.Threads));
        if ((options.TrainPath is null) != (options.ValidationPath is null))
            throw new ArgumentException("Give both a training and a validation file, or neither.", nameof(options));
    }

    // Predict in batches of 512 over the validation set, repeated until about half a second has passed (the
    // evaluation after the last epoch already warmed the code up).
    private static double MeasurePredict(StreamRecMlp model, DataSet validation, float[] logits)
    {
        var features = validation.Features;
        var rows = validation.Rows;
        long predicted = 0;
        var clock = Stopwatch.StartNew();
        do
        {
            for (var start = 0; start < rows; start += PredictBatchSize)
            {
                var count = Math.Min(PredictBatchSize, rows - start);
                model.Predict(features.Slice(start * StreamRecMlp.InputSize, count * StreamRecMlp.InputSize), logits.AsSpan(start, count));
            }

            predicted += rows;
        }
        while (clock.Elapsed.TotalSeconds < 0.5);

        return predicted / clock.Elapsed.TotalSeconds;
    }

}
