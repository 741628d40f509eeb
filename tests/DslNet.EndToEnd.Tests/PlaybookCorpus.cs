using DslNet.EndToEnd.Tests.Models;
using DslNet.Samples.StreamRec;

namespace DslNet.EndToEnd.Tests;

/// <summary>One real training run of the playbook corpus and the findings its diagnosis must (or must not) give.</summary>
/// <param name="Expected">Findings any one of which counts as the right diagnosis; empty for a healthy run, which must get none.</param>
public sealed record PlaybookRun(
    string Name,
    string Task,
    string Recipe,
    Func<INetwork> Model,
    Func<(DataSet Train, DataSet Validation)> Data,
    TrainerOptions Options,
    DiagnosisKind[] Expected)
{
    public bool Healthy => Expected.Length == 0;

    public override string ToString() => Name;
}

/// <summary>
/// The corpus: deliberately broken recipes and healthy ones on real Fashion-MNIST images (Debian's
/// dataset-fashion-mnist, 4,000 training rows, 2,000 test rows) and on StreamRec's generated clicks (8,000 and 4,000
/// rows), each small enough to train in about a second on two cores.
/// </summary>
public static class PlaybookCorpus
{
    public const string FashionMnistFolder = "/usr/share/datasets/fashion-mnist";
    private const int FashionTrainRows = 4000;
    private const int FashionValidationRows = 2000;
    private const int StreamRecTrainRows = 8000;
    private const int StreamRecValidationRows = 4000;

    private static readonly Lazy<(DataSet Train, DataSet Validation)> FashionData = new(LoadFashion);
    private static readonly Lazy<(DataSet Train, DataSet Validation)> StreamRecData = new(() =>
    {
        var generator = new SyntheticStreamRec();
        return (generator.GenerateTrain(StreamRecTrainRows).Data, generator.GenerateValidation(StreamRecValidationRows).Data);
    });

    public static (DataSet Train, DataSet Validation) Fashion() => FashionData.Value;

    public static (DataSet Train, DataSet Validation) StreamRec() => StreamRecData.Value;

    public static readonly IReadOnlyList<PlaybookRun> Runs =
    [
        // ---- Broken: Fashion-MNIST ----
        new("fashion-rate-too-high", "Fashion-MNIST", "AdamW at a constant 0.5, no clipping, 6 epochs",
            () => new FashionMlp(seed: 1), Fashion, Constant(epochs: 6, lr: 0.5, clip: null), [DiagnosisKind.Oscillation, DiagnosisKind.Divergence]),
        new("fashion-rate-too-high-clipped", "Fashion-MNIST", "SGD (momentum 0.9) at a constant 2.0, clipped at 1.0, 6 epochs",
            () => new FashionMlp(seed: 2), Fashion, Constant(epochs: 6, lr: 2.0, clip: 1.0, sgd: true), [DiagnosisKind.Oscillation, DiagnosisKind.Divergence]),
        new("fashion-rate-too-low", "Fashion-MNIST", "AdamW at a constant 1e-7, 5 epochs",
            () => new FashionMlp(seed: 3), Fashion, Constant(epochs: 5, lr: 1e-7), [DiagnosisKind.Underfitting, DiagnosisKind.FlatLoss]),
        new("fashion-sgd-at-20", "Fashion-MNIST", "SGD at a constant 20, no clipping, 4 epochs",
            () => new FashionMlp(seed: 4), Fashion, Constant(epochs: 4, lr: 20, clip: null, sgd: true, momentum: 0), [DiagnosisKind.Divergence]),
        new("fashion-deep-sigmoid-no-norm", "Fashion-MNIST", "8 sigmoid layers, no normalization, SGD 0.05, 5 epochs, monitored",
            () => new FashionDeepSigmoid(seed: 5), Fashion, Constant(epochs: 5, lr: 0.05, sgd: true, momentum: 0, monitor: 10),
            [DiagnosisKind.VanishingGradients, DiagnosisKind.FlatLoss]),
        new("fashion-bad-init", "Fashion-MNIST", "weights from N(0, 1) instead of He, AdamW one-cycle 1e-3, 5 epochs",
            () => new FashionBadInitMlp(seed: 6), Fashion, OneCycle(epochs: 5, lr: 1e-3), [DiagnosisKind.BadInitialLoss]),
        new("fashion-tiny-data", "Fashion-MNIST", "500 rows, no dropout, no BatchNorm, no weight decay, AdamW 1e-3, 30 epochs",
            () => new FashionPlainMlp(seed: 7), () => (Fashion().Train.Subset(Enumerable.Range(0, 500).ToArray()), Fashion().Validation),
            Constant(epochs: 30, lr: 1e-3, weightDecay: 0), [DiagnosisKind.Overfitting, DiagnosisKind.TrainLossNearZero]),
        new("fashion-leaked-label", "Fashion-MNIST", "the label leaked into 10 one-hot features, one-cycle 3e-3, 4 epochs",
            () => new FashionLeakMlp(seed: 8), () => (WithLeak(Fashion().Train), WithLeak(Fashion().Validation)), OneCycle(epochs: 4, lr: 3e-3),
            [DiagnosisKind.TrainLossNearZero]),
        new("fashion-sorted-unshuffled", "Fashion-MNIST", "rows sorted by label and never shuffled, one-cycle 3e-3, 4 epochs",
            () => new FashionMlp(seed: 9), () => (SortedByLabel(Fashion().Train), Fashion().Validation), OneCycle(epochs: 4, lr: 3e-3, shuffle: false),
            [DiagnosisKind.UnshuffledBatches]),
        new("fashion-mse-on-classes", "Fashion-MNIST", "mean squared error on the class indices 0–9, one-cycle 3e-3, 4 epochs",
            () => new FashionMseMlp(seed: 10), Fashion, OneCycle(epochs: 4, lr: 3e-3), [DiagnosisKind.LossLabelMismatch]),
        new("fashion-over-regularized", "Fashion-MNIST", "dropout 0.8 and weight decay 0.5, one-cycle 3e-3, 8 epochs",
            () => new FashionHeavyDropoutMlp(seed: 11), Fashion, OneCycle(epochs: 8, lr: 3e-3, weightDecay: 0.5), [DiagnosisKind.Underfitting]),

        // ---- Broken: StreamRec ----
        new("streamrec-sgd-too-high-clipped", "StreamRec", "the plain baseline MLP, SGD (momentum 0.9) at a constant 1.0, clipped at 1.0, 6 epochs",
            () => new PlaybookStreamRecPlain(seed: 16), StreamRec, Constant(epochs: 6, lr: 1.0, clip: 1.0, sgd: true, batch: 256), [DiagnosisKind.Oscillation, DiagnosisKind.Divergence]),
        new("streamrec-rate-too-low", "StreamRec", "AdamW at a constant 1e-7, 5 epochs",
            () => new PlaybookStreamRecMlp(seed: 13), StreamRec, Constant(epochs: 5, lr: 1e-7, batch: 256), [DiagnosisKind.Underfitting, DiagnosisKind.FlatLoss]),
        new("streamrec-tiny-data", "StreamRec", "1,000 rows, the plain baseline MLP, Adam-style AdamW 1e-3 without decay, 25 epochs",
            () => new PlaybookStreamRecPlain(seed: 14), () => (StreamRec().Train.Subset(Enumerable.Range(0, 1000).ToArray()), StreamRec().Validation),
            Constant(epochs: 25, lr: 1e-3, weightDecay: 0, batch: 64), [DiagnosisKind.Overfitting, DiagnosisKind.TrainLossNearZero]),
        new("streamrec-mse-on-clicks", "StreamRec", "mean squared error on the 0/1 click labels, one-cycle 3e-3, 4 epochs",
            () => new PlaybookStreamRecMse(seed: 15), StreamRec, OneCycle(epochs: 4, lr: 3e-3, batch: 256), [DiagnosisKind.LossLabelMismatch]),

        // ---- Healthy ----
        new("fashion-recipe", "Fashion-MNIST", "the recipe: AdamW, one-cycle 3e-3, clipping 1.0, 5 epochs",
            () => new FashionMlp(seed: 21), Fashion, OneCycle(epochs: 5, lr: 3e-3), []),
        new("fashion-constant-rate", "Fashion-MNIST", "AdamW at a constant 1e-3, 4 epochs",
            () => new FashionMlp(seed: 22), Fashion, Constant(epochs: 4, lr: 1e-3), []),
        new("fashion-sgd-momentum", "Fashion-MNIST", "SGD momentum 0.9, one-cycle 0.05, 4 epochs",
            () => new FashionMlp(seed: 23), Fashion, OneCycle(epochs: 4, lr: 0.05, sgd: true), []),
        new("fashion-plain-decayed", "Fashion-MNIST", "no BatchNorm or dropout, weight decay 0.05, one-cycle 2e-3, 3 epochs",
            () => new FashionPlainMlp(seed: 24), Fashion, OneCycle(epochs: 3, lr: 2e-3, weightDecay: 0.05), []),
        new("streamrec-recipe", "StreamRec", "the recipe: AdamW, one-cycle 3e-3, clipping 1.0, 5 epochs",
            () => new PlaybookStreamRecMlp(seed: 25), StreamRec, OneCycle(epochs: 5, lr: 3e-3, batch: 256), []),
        new("streamrec-constant-rate", "StreamRec", "AdamW at a constant 1e-3, no clipping, 4 epochs",
            () => new PlaybookStreamRecMlp(seed: 26), StreamRec, Constant(epochs: 4, lr: 1e-3, clip: null, batch: 256), []),
        new("streamrec-sgd-momentum", "StreamRec", "SGD momentum 0.9, one-cycle 0.05, 4 epochs",
            () => new PlaybookStreamRecMlp(seed: 27), StreamRec, OneCycle(epochs: 4, lr: 0.05, sgd: true, batch: 256), []),
    ];

    public static TrainingHistory Train(PlaybookRun run)
    {
        var (train, validation) = run.Data();
        return new Trainer(run.Model(), run.Options).Fit(train, validation);
    }

    private static TrainerOptions Constant(int epochs, double lr, double? clip = 1.0, bool sgd = false, double momentum = 0.9,
        double weightDecay = 1e-2, int monitor = 0, int batch = 128) => new()
    {
        Epochs = epochs,
        BatchSize = batch,
        LearningRate = lr,
        WeightDecay = weightDecay,
        ClipNorm = clip,
        Optimizer = sgd ? p => new Sgd(p, lr, momentum: momentum) : null,
        Schedule = TrainerOptions.ConstantLearningRate,
        MonitorInterval = monitor,
        Progress = ProgressMode.Silent,
    };

    private static TrainerOptions OneCycle(int epochs, double lr, bool sgd = false, double weightDecay = 1e-2, bool shuffle = true, int batch = 128) => new()
    {
        Epochs = epochs,
        BatchSize = batch,
        LearningRate = lr,
        WeightDecay = weightDecay,
        Shuffle = shuffle,
        Optimizer = sgd ? p => new Sgd(p, lr, momentum: 0.9, weightDecay: 5e-4) : null,
        Progress = ProgressMode.Silent,
    };

    private static (DataSet Train, DataSet Validation) LoadFashion()
    {
        string File(string name) => Path.Combine(FashionMnistFolder, name);
        if (!System.IO.File.Exists(File("train-images-idx3-ubyte.gz")))
            throw new InvalidOperationException($"Fashion-MNIST is missing from {FashionMnistFolder}: install Debian's dataset-fashion-mnist (.ci/run does).");
        return (DataSet.LoadIdx(File("train-images-idx3-ubyte.gz"), File("train-labels-idx1-ubyte.gz"), FashionTrainRows),
                DataSet.LoadIdx(File("t10k-images-idx3-ubyte.gz"), File("t10k-labels-idx1-ubyte.gz"), FashionValidationRows));
    }

    private static DataSet WithLeak(DataSet data)
    {
        // A one-hot copy of the label after the pixels, as a joined table with a target-derived column gives.
        var columns = data.Columns + 10;
        var features = new float[data.Rows * columns];
        for (var row = 0; row < data.Rows; row++)
        {
            data.Row(row).CopyTo(features.AsSpan(row * columns));
            features[row * columns + data.Columns + (int)data.Labels[row]] = 1f;
        }
        return DataSet.FromArrays(features, data.Labels.ToArray(), columns);
    }

    private static DataSet SortedByLabel(DataSet data)
    {
        var labels = data.Labels.ToArray();
        var order = Enumerable.Range(0, data.Rows).OrderBy(row => labels[row]).ThenBy(row => row).ToArray();
        return data.Subset(order);
    }
}
