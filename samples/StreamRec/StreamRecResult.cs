namespace DslNet.Samples.StreamRec;

/// <summary>One epoch's figures. Samples/s counts the training loop only (no validation).</summary>
public sealed record EpochResult(
    int Epoch,
    double TrainLoss,
    double ValidationLoss,
    double ValidationAuc,
    double SamplesPerSecond,
    long Samples,
    TimeSpan TrainingTime,
    double LearningRate,
    long AllocatedBytes);

/// <summary>What a run of <see cref="StreamRecTraining.Run"/> measured.</summary>
public sealed record StreamRecResult(
    IReadOnlyList<EpochResult> Epochs,
    int TrainRows,
    int ValidationRows,
    int Threads,
    double? TeacherAuc,
    double PredictSamplesPerSecond,
    string Summary)
{
    /// <summary>This process's rank and the number of ranks (<c>--distributed</c> under mpirun; else 0 of 1).</summary>
    public (int Rank, int Size) Ranks { get; init; } = (0, 1);

    /// <summary>CRC-32C of the final parameters and running statistics: equal on every rank of a distributed run.</summary>
    public uint ParameterChecksum { get; init; }

    public EpochResult Last => Epochs[^1];

    public double FinalValidationAuc => Last.ValidationAuc;

    /// <summary>Training samples over the training loops' wall time, all epochs together.</summary>
    public double TrainSamplesPerSecond =>
        Epochs.Sum(e => e.Samples) / Epochs.Sum(e => e.TrainingTime.TotalSeconds);
}
