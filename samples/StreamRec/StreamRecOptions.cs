namespace DslNet.Samples.StreamRec;

/// <summary>Everything one training run of the sample needs; the defaults are the textbook recipe.</summary>
public sealed record StreamRecOptions
{
    public int Epochs { get; init; } = 5;
    public int BatchSize { get; init; } = 512;

    /// <summary>Seeds the model's initialization, its dropout masks and the shuffling.</summary>
    public int Seed { get; init; }

    /// <summary>Seeds the synthetic data set (the teacher and the rows) when no CSV files are given.</summary>
    public int DataSeed { get; init; } = SyntheticStreamRec.DefaultSeed;

    /// <summary>Threads for the CPU kernels (<c>CpuThreads.Count</c>); null leaves the current setting.</summary>
    public int? Threads { get; init; }

    /// <summary>Rows of generated training data (ignored with <see cref="TrainPath"/>).</summary>
    public int TrainRows { get; init; } = SyntheticStreamRec.DefaultTrainRows;

    /// <summary>Rows of generated validation data (ignored with <see cref="ValidationPath"/>).</summary>
    public int ValidationRows { get; init; } = SyntheticStreamRec.DefaultValidationRows;

    /// <summary>A CSV file to train on (a header, 128 feature columns and a <c>label</c> column); both paths or neither.</summary>
    public string? TrainPath { get; init; }

    public string? ValidationPath { get; init; }

    public double MaxLearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 1e-2;
    public double ClipNorm { get; init; } = 1.0;
    public double PctStart { get; init; } = 0.3;
    public double DivFactor { get; init; } = 25;
    public double FinalDivFactor { get; init; } = 1e4;

    /// <summary>Whether to time <c>Predict</c> at batch 512 over the validation set after training.</summary>
    public bool MeasurePredict { get; init; } = true;

    /// <summary>Which recipe a plain run trains (<c>--recipe</c>); <c>--compare</c> trains both.</summary>
    public Recipe Recipe { get; init; } = Recipe.Full;

    /// <summary>Where to train (<c>--device</c>): cpu (the generated C# path), cuda[:n], opencl[:n] or best.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Storage precision of activations and gradients (<c>--precision</c>): fp32, fp16 or bf16.</summary>
    public Precision Precision { get; init; } = Precision.Fp32;

    /// <summary>Save a checkpoint here after every epoch (<c>--checkpoint</c>); null saves none.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Continue the run saved in this checkpoint (<c>--resume</c>), bit-identically; null starts fresh.</summary>
    public string? ResumePath { get; init; }

    /// <summary>
    /// Stop after this epoch as if interrupted (<c>--stop-after-epoch</c>), leaving the checkpoint to resume from:
    /// a long run split over several sessions. Null trains every epoch.
    /// </summary>
    public int? StopAfterEpoch { get; init; }

    /// <summary>
    /// Data-parallel over the ranks of an MPI job (<c>--distributed</c>): each rank trains on its share of every
    /// batch of <see cref="BatchSize"/> rows; alone (without mpirun) it is a world of one.
    /// </summary>
    public bool Distributed { get; init; }

    public bool UsesCsv => TrainPath is not null;
}
