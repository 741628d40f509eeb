using System.Diagnostics;
using System.Globalization;
using DslNet.Kernels.Cpu;

namespace DslNet.Samples.FashionMnist;

/// <summary>
/// The sample's recipe, run by the library's <see cref="Trainer"/>: AdamW (weight decay 1e-2 on the weights only),
/// one-cycle (max lr 3e-3) stepped per batch, clipping at global norm 1.0, batches of 128 reshuffled each epoch; the
/// test set is evaluated after every epoch for the progress lines (it selects nothing: the reported accuracy is the
/// last epoch's).
/// </summary>
public static class FashionTraining
{
    public const int Classes = 10;

    /// <summary>Rows per <c>Predict</c> call for the test-set evaluation and the inference measurement.</summary>
    public const int PredictBatchSize = 256;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <exception cref="FashionInputException">The data files are missing or malformed, or too few rows make no batch.</exception>
    public static FashionResult Run(FashionOptions options, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        log ??= TextWriter.Null;
        // Without mpirun, Distributed is a world of one and loads no MPI library.
        using var world = options.Distributed ? DistributedContext.FromEnvironment() : null;
        var root = world?.IsRoot ?? true;
        if (!root) log = TextWriter.Null;
        log.WriteLine($"Fashion-MNIST, {(options.Model == FashionModel.Cnn ? "2-conv CNN" : "ResNet (stem + three stages)")}, trained with DslNet");
        if (options.Threads is { } threads) CpuThreads.Count = threads;
        else if (world is { IsDistributed: true }) CpuThreads.Count = Math.Max(1, Environment.ProcessorCount / world.Size);

        var (train, test, normalizer) = FashionData.Load(options, log);
        var model = CreateModel(options);
        // BatchNorm cannot normalize a batch of one image in training mode: such a last batch is dropped.
        var dropLast = train.Rows % options.BatchSize == 1;
        var steps = train.BatchesPerEpoch(options.BatchSize, dropLast);
        if (steps == 0) throw new FashionInputException($"{train.Rows} training image(s) make no batch of at least two.");

        WriteSetup(log, model, options, steps, world);

        var trainer = new Trainer(model, new TrainerOptions
        {
            Epochs = options.Epochs,
            BatchSize = options.BatchSize,
            Seed = options.Seed,
            DropLast = dropLast,
            LearningRate = options.MaxLearningRate,
            WeightDecay = options.WeightDecay,
            Schedule = TrainerOptions.OneCycle(options.MaxLearningRate),
            ClipNorm = options.ClipNorm,
            ProgressWriter = ReferenceEquals(log, Console.Out) ? null : log,
            Distributed = world,
        });
        var history = trainer.Fit(train, test);
        if (history.StopReason is { } stopped) throw new InvalidOperationException($"Training stopped: {stopped}.");
        // Every rank holds the same parameters after training; rank 0 evaluates, measures and draws.
        var predictions = Predictions(model, test);
        var confusion = ConfusionMatrix(predictions, test.Labels);
        if (options.PlotDirectory is { } plots && root) SavePlots(history, test, normalizer, predictions, plots, log);
        var predictPerSecond = options.MeasurePredict && root ? MeasurePredict(model, test) : double.NaN;
        return new FashionResult(options.Model, history.Epochs, train.Rows, test.Rows, CpuThreads.Count, model.Parameters.Length, confusion,
            history.SamplesPerSecond, predictPerSecond) { Ranks = world is null ? (0, 1) : (world.Rank, world.Size) };
    }

    private static void WriteSetup(TextWriter log, INetwork model, FashionOptions options, int steps, DistributedContext? world)
    {
        log.WriteLine($"threads: {CpuThreads.Count} (of {Environment.ProcessorCount} logical processors)");
        log.WriteLine();
        log.WriteLine(model.Summary().TrimEnd());
        log.WriteLine();
        log.WriteLine(string.Create(Invariant,
            $"AdamW(lr={options.MaxLearningRate:g}, weight_decay={options.WeightDecay:g} on weights), OneCycleLR(max_lr={options.MaxLearningRate:g}, total_steps={options.Epochs * steps}), clip_grad_norm={options.ClipNorm:g}, batch_size={options.BatchSize}, {steps} steps/epoch"));
        if (world is not null) log.WriteLine($"distributed: {world.Size} rank(s) over {world.Backend}, {options.BatchSize / world.Size} images per rank per batch");
        log.WriteLine();
    }

    public static INetwork CreateModel(FashionOptions options) => options.Model switch
    {
        FashionModel.Cnn => new FashionCnn(options.Seed),
        FashionModel.ResNet => new FashionResNet(options.Seed),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Model, "Unknown model."),
    };

    /// <summary>The per-class table, the confusion matrix, the inference speed and the <c>FINAL</c> line.</summary>
    public static IEnumerable<string> Report(FashionResult result, bool augment)
    {
        var (rank, size) = result.Ranks;
        if (rank != 0) yield break;
        yield return "";
        yield return "class          accuracy";
        var accuracies = result.ClassAccuracies();
        for (var c = 0; c < Classes; c++)
            yield return string.Create(Invariant, $"{FashionData.ClassNames[c],-13}  {accuracies[c],8:F4}");
        yield return "";
        yield return "confusion (rows: true class, columns: predicted)";
        yield return "     " + string.Concat(Enumerable.Range(0, Classes).Select(c => $"{c,6}"));
        for (var t = 0; t < Classes; t++)
            yield return $"{t,3}  " + string.Concat(Enumerable.Range(0, Classes).Select(p => $"{result.Confusion[t, p],6}"));
        yield return "";
        if (!double.IsNaN(result.PredictSamplesPerSecond))
            yield return string.Create(Invariant,
                $"predict: {result.PredictSamplesPerSecond:F0} images/s (batch {PredictBatchSize}, {result.TestRows} test images, inference mode)");
        yield return string.Create(Invariant,
            $"FINAL model={Name(result.Model)} test_acc={result.TestAccuracy:F4} samples_per_s={result.TrainSamplesPerSecond:F0} infer_per_s={result.PredictSamplesPerSecond:F0} epochs={result.Epochs.Count} augment={(augment ? "true" : "false")} threads={result.Threads}") + (size > 1 ? $" ranks={size}" : "");
    }

    public static string Name(FashionModel model) => model == FashionModel.Cnn ? "cnn" : "resnet";

    private static void SavePlots(TrainingHistory history, DataSet test, ChannelNormalizer normalizer, int[] predictions, string directory,
        TextWriter log)
    {
        Directory.CreateDirectory(directory);
        var files = history.SavePlots(directory).ToList();
        files.Add(FashionPlots.SaveAccuracy(history.Epochs, directory));
        files.Add(FashionPlots.SaveMisclassified(test, normalizer, predictions, directory));
        log.WriteLine($"plots: {string.Join(", ", files)}");
    }

    /// <summary>Test images by true class (row) and predicted class (column).</summary>
    private static int[,] ConfusionMatrix(int[] predictions, ReadOnlySpan<float> labels)
    {
        var confusion = new int[Classes, Classes];
        for (var i = 0; i < predictions.Length; i++) confusion[(int)labels[i], predictions[i]]++;
        return confusion;
    }

    /// <summary>The arg-max class of each test image (inference mode).</summary>
    private static int[] Predictions(INetwork model, DataSet test)
    {
        var predictions = new int[test.Rows];
        var logits = new float[PredictBatchSize * Classes];
        var columns = test.Columns;
        for (var start = 0; start < test.Rows; start += PredictBatchSize)
        {
            var count = Math.Min(PredictBatchSize, test.Rows - start);
            model.Predict(test.Features.Slice(start * columns, count * columns), logits.AsSpan(0, count * Classes));
            for (var i = 0; i < count; i++) predictions[start + i] = ArgMax(logits.AsSpan(i * Classes, Classes));
        }

        return predictions;
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    // Predict over the test set in batches, repeated until about a second has passed (the evaluations after each epoch
    // and the confusion matrix already warmed the code up).
    private static double MeasurePredict(INetwork model, DataSet test)
    {
        var logits = new float[PredictBatchSize * Classes];
        var columns = test.Columns;
        long predicted = 0;
        var clock = Stopwatch.StartNew();
        do
        {
            for (var start = 0; start < test.Rows; start += PredictBatchSize)
            {
                var count = Math.Min(PredictBatchSize, test.Rows - start);
                model.Predict(test.Features.Slice(start * columns, count * columns), logits.AsSpan(0, count * Classes));
            }

            predicted += test.Rows;
        }
        while (clock.Elapsed.TotalSeconds < 1.0);

        return predicted / clock.Elapsed.TotalSeconds;
    }
}
