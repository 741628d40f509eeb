namespace DslNet.Distributed.Worker;

internal static class WorkerData
{
    /// <summary>A learnable binary task: the label is a noisy threshold of a fixed linear function of 8 features.</summary>
    public static DataSet Binary(int rows, int seed)
    {
        var random = new Random(seed);
        var features = new float[rows * 8];
        var labels = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            double z = 0;
            for (var c = 0; c < 8; c++)
            {
                var x = (float)(random.NextDouble() * 2 - 1);
                features[r * 8 + c] = x;
                z += (c % 2 == 0 ? 1.0 : -0.7) * x * (c + 1) / 4;
            }
            labels[r] = z + random.NextDouble() - 0.5 > 0 ? 1f : 0f;
        }
        return DataSet.FromArrays(features, labels, 8);
    }

    /// <summary>A data set whose only feature is the row's index: a batch tells which rows it holds.</summary>
    public static DataSet RowIndices(int rows) =>
        DataSet.FromArrays(Enumerable.Range(0, rows).Select(r => (float)r).ToArray(), new float[rows], 1);
}
