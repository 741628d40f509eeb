namespace DslNet.Runtime.Tests;

public sealed class SplitAndStandardizerTests
{
    [Fact]
    public void Split_is_deterministic_disjoint_and_complete()
    {
        var data = DataSet.FromArrays(Enumerable.Range(0, 100).Select(i => (float)i).ToArray(), Enumerable.Range(0, 50).Select(i => (float)i).ToArray(), columns: 2);

        var (train, validation) = data.Split(0.25, seed: 11);

        Assert.Equal(13, validation.Rows);   // ceil(0.25 · 50), like train_test_split
        Assert.Equal(37, train.Rows);
        var trainRows = train.Labels.ToArray().Select(l => (int)l).ToArray();
        var validationRows = validation.Labels.ToArray().Select(l => (int)l).ToArray();
        Assert.Equal(Enumerable.Range(0, 50), trainRows.Concat(validationRows).Order());
        Assert.Equal([validationRows[0] * 2f, validationRows[0] * 2f + 1], validation.Row(0).ToArray());

        var (_, again) = data.Split(0.25, seed: 11);
        Assert.Equal(validationRows, again.Labels.ToArray().Select(l => (int)l));
        var (_, other) = data.Split(0.25, seed: 12);
        Assert.NotEqual(validationRows, other.Labels.ToArray().Select(l => (int)l));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.5)]
    public void Split_rejects_fractions_outside_zero_to_one(double fraction)
    {
        var data = DataSet.FromArrays(new float[10], new float[10], columns: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Split(fraction, seed: 0));
    }

    [Fact]
    public void Standardizer_fits_on_training_data_only_and_applies_the_same_statistics_elsewhere()
    {
        // Column 0: train {1, 2, 3, 4} (mean 2.5, population std √1.25); column 1 constant (scale 1).
        var train = DataSet.FromArrays([1, 7, 2, 7, 3, 7, 4, 7], [0, 1, 0, 1], columns: 2);
        var validation = DataSet.FromArrays([100, 8, 102, 9], [1, 0], columns: 2);

        var standardizer = Standardizer.Fit(train);
        var scaledTrain = standardizer.Apply(train);
        var scaledValidation = standardizer.Apply(validation);

        Assert.Equal([2.5, 7.0], standardizer.Means);
        Assert.Equal([Math.Sqrt(1.25), 1.0], standardizer.Scales);
        Assert.Equal(0.0, Column(scaledTrain, 0).Average(), 6);
        Assert.Equal(1.0, Math.Sqrt(Column(scaledTrain, 0).Select(v => v * v).Average()), 6);
        Assert.All(Column(scaledTrain, 1), v => Assert.Equal(0.0, v));
        // Validation uses the training statistics: its own mean (101) never enters.
        Assert.Equal([(float)((100 - 2.5) / Math.Sqrt(1.25)), 1f, (float)((102 - 2.5) / Math.Sqrt(1.25)), 2f], scaledValidation.Features.ToArray());
        Assert.Equal(validation.Labels.ToArray(), scaledValidation.Labels.ToArray());
        Assert.Equal([1f, 7f, 2f, 7f, 3f, 7f, 4f, 7f], train.Features.ToArray());   // inputs untouched
    }

    [Fact]
    public void Standardizer_rejects_a_different_number_of_features()
    {
        var standardizer = Standardizer.Fit(DataSet.FromArrays([1, 2, 3, 4], [0, 1], columns: 2));
        Assert.Throws<ArgumentException>(() => standardizer.Apply(DataSet.FromArrays([1, 2, 3], [0], columns: 3)));
    }

    private static double[] Column(DataSet data, int column) =>
        Enumerable.Range(0, data.Rows).Select(r => (double)data.Row(r)[column]).ToArray();
}
