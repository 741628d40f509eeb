namespace DslNet.Samples.FashionMnist;

/// <summary>What a run of the sample measured.</summary>
/// <param name="Confusion">Test images by true class (row) and predicted class (column).</param>
/// <param name="TrainSamplesPerSecond">Training images per second over all epochs' batch loops.</param>
/// <param name="PredictSamplesPerSecond">Test images per second through <c>Predict</c> (NaN when not measured).</param>
public sealed record FashionResult(
    FashionModel Model,
    IReadOnlyList<EpochRecord> Epochs,
    int TrainRows,
    int TestRows,
    int Threads,
    long Parameters,
    int[,] Confusion,
    double TrainSamplesPerSecond,
    double PredictSamplesPerSecond)
{
    /// <summary>This process's rank and the number of ranks (0 of 1 without --distributed).</summary>
    public (int Rank, int Size) Ranks { get; init; } = (0, 1);

    public double TestAccuracy
    {
        get
        {
            var correct = 0;
            for (var c = 0; c < Confusion.GetLength(0); c++) correct += Confusion[c, c];
            return TestRows == 0 ? 0 : (double)correct / TestRows;
        }
    }

    /// <summary>Accuracy on the test images of each class.</summary>
    public double[] ClassAccuracies()
    {
        var classes = Confusion.GetLength(0);
        var accuracies = new double[classes];
        for (var c = 0; c < classes; c++)
        {
            var total = 0;
            for (var p = 0; p < classes; p++) total += Confusion[c, p];
            accuracies[c] = total == 0 ? double.NaN : (double)Confusion[c, c] / total;
        }

        return accuracies;
    }
}
