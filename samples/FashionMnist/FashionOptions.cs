namespace DslNet.Samples.FashionMnist;

/// <summary>Which network the sample trains.</summary>
public enum FashionModel
{
    Cnn,
    ResNet,
}

/// <summary>A run of the sample: the network, the data, the recipe and the machine.</summary>
public sealed record FashionOptions
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> installs the four IDX files.</summary>
    public const string DefaultDataDirectory = "/usr/share/datasets/fashion-mnist";

    public FashionModel Model { get; init; } = FashionModel.Cnn;
    public string DataDirectory { get; init; } = DefaultDataDirectory;
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 128;
    public int Seed { get; init; }

    /// <summary>Threads for the CPU kernels (null: all logical processors).</summary>
    public int? Threads { get; init; }

    /// <summary>Random crop with 2 pixels of padding and horizontal flips of the training images.</summary>
    public bool Augment { get; init; }

    /// <summary>
    /// Pixels of padding before the random 28 × 28 crop when <see cref="Augment"/> is on (a shift by up to that many
    /// pixels; 0: horizontal flips only).
    /// </summary>
    public int CropPadding { get; init; } = 2;

    /// <summary>Read only the first N training and test images (null: all 60,000 and 10,000), for quick runs.</summary>
    public int? MaxRows { get; init; }

    /// <summary>Peak of the one-cycle schedule (AdamW's learning rate).</summary>
    public double MaxLearningRate { get; init; } = 3e-3;

    public double WeightDecay { get; init; } = 1e-2;
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>Folder for the PNGs (loss, learning rate, gradient norm, accuracy, misclassified images); null writes none.</summary>
    public string? PlotDirectory { get; init; }

    /// <summary>Data-parallel over the ranks of an MPI job (a world of one without mpirun); rank 0 reports.</summary>
    public bool Distributed { get; init; }

    /// <summary>Measure inference throughput after training (the tests turn it off).</summary>
    public bool MeasurePredict { get; init; } = true;
}
