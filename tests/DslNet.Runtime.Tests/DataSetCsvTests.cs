namespace DslNet.Runtime.Tests;

public sealed class DataSetCsvTests
{
    [Fact]
    public void Save_then_load_restores_every_value_bit_for_bit()
    {
        var random = new Random(7);
        var features = Enumerable.Range(0, 200 * 3).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-30, 30)))).ToArray();
        float[] awkward = [0.1f, 1f / 3f, float.Epsilon, -float.MaxValue, -0.0f, 16777217f, 1e-38f, 123456.79f];
        awkward.CopyTo(features, 0);
        var labels = Enumerable.Range(0, 200).Select(i => i % 2 == 0 ? 0f : 1f).ToArray();
        var original = DataSet.FromArrays(features, labels, columns: 3, featureNames: ["age", "income", "score"], labelName: "churned");

        using var file = new TempFile();
        original.SaveCsv(file.Path);
        var loaded = DataSet.LoadCsv(file.Path, labelColumn: "churned");

        Assert.Equal(["age", "income", "score"], loaded.FeatureNames);
        Assert.Equal("churned", loaded.LabelName);
        Assert.Equal((200, 3), (loaded.Rows, loaded.Columns));
        Assert.Equal(Bits(original.Features), Bits(loaded.Features));
        Assert.Equal(Bits(original.Labels), Bits(loaded.Labels));
        Assert.StartsWith("age,income,score,churned\n", File.ReadAllText(file.Path));
    }

    [Fact]
    public void The_label_column_may_sit_anywhere_and_blank_lines_are_skipped()
    {
        using var file = new TempFile("a, label ,b\n1,0,2\n\n 3 ,1, 4e-1 \n");
        var data = DataSet.LoadCsv(file.Path);
        Assert.Equal(["a", "b"], data.FeatureNames);
        Assert.Equal([1f, 2f, 3f, 0.4f], data.Features.ToArray());
        Assert.Equal([0f, 1f], data.Labels.ToArray());
    }

    [Fact]
    public void A_value_that_is_not_a_number_names_file_line_and_column()
    {
        using var file = new TempFile("x,y,label\n1,2,0\n3,abc,1\n");
        var error = Assert.Throws<DataFormatException>(() => DataSet.LoadCsv(file.Path));
        AssertLocation(error, file.Path, line: 3, column: 2);
        Assert.Contains("'y'", error.Message);
        Assert.Contains("'abc' is not a number", error.Message);
    }

    [Fact]
    public void A_missing_label_column_names_the_file_and_the_columns_found()
    {
        using var file = new TempFile("x,y,target\n1,2,0\n");
        var error = Assert.Throws<DataFormatException>(() => DataSet.LoadCsv(file.Path));
        AssertLocation(error, file.Path, line: 1, column: null);
        Assert.Contains("no column named 'label'", error.Message);
        Assert.Contains("x, y, target", error.Message);
    }

    [Fact]
    public void A_missing_label_column_in_a_wide_file_shows_the_first_few_columns_and_the_count()
    {
        var header = string.Join(",", Enumerable.Range(0, 129).Select(c => $"f{c}"));
        using var file = new TempFile(header + "\n" + string.Join(",", Enumerable.Repeat("0", 129)) + "\n");
        var error = Assert.Throws<DataFormatException>(() => DataSet.LoadCsv(file.Path));
        Assert.Contains("it has 129 columns: f0, f1, f2, f3, f4, … (and 124 more)", error.Message);
        Assert.DoesNotContain("f5,", error.Message);
        Assert.True(error.Message.Length < 250, error.Message);
    }

    [Theory]
    [InlineData("2", "the label is 2; binary labels must be 0 or 1")]
    [InlineData("0.5", "the label is 0.5; binary labels must be 0 or 1")]
    [InlineData("-1", "the label is -1; binary labels must be 0 or 1")]
    public void A_label_the_rule_refuses_names_file_line_and_column(string label, string message)
    {
        using var file = new TempFile($"x,label,y\n1,0,2\n\n3,1,4\n5,{label},6\n");
        var error = Assert.Throws<DataFormatException>(() => DataSet.LoadCsv(file.Path, labels: LabelRule.Binary));
        AssertLocation(error, file.Path, line: 5, column: 2);
        Assert.Contains("('label')", error.Message);
        Assert.Contains(message, error.Message);
        Assert.Equal(3, DataSet.LoadCsv(file.Path).Rows);      // without a rule, any finite label is read
    }

    [Fact]
    public void Class_index_labels_must_be_whole_and_in_range()
    {
        using var file = new TempFile("x,label\n1,0\n2,2\n3,3\n");
        var error = Assert.Throws<DataFormatException>(() => DataSet.LoadCsv(file.Path, labels: LabelRule.ClassIndex(3)));
        AssertLocation(error, file.Path, line: 4, column: 2);
        Assert.Contains("whole numbers from 0 to 2", error.Message);
        Assert.Equal(3, DataSet.LoadCsv(file.Path, labels: LabelRule.ClassIndex(4)).Rows);
    }

    [Fact]
    public void A_short_row_names_the_first_missing_column()
    {
        using var file = new TempFile("x,y,label\n1,2,0\n3,4\n");
        var error = Assert.Throws<DataFormatException>(() => DataSet.LoadCsv(file.Path));
        AssertLocation(error, file.Path, line: 3, column: 3);
        Assert.Contains("the row has 2 values; the header has 3 columns", error.Message);
    }

    [Fact]
    public void A_long_row_names_the_first_extra_column()
    {
        using var file = new TempFile("x,y,label\n1,2,0,9\n");
        var error = Assert.Throws<DataFormatException>(() => DataSet.LoadCsv(file.Path));
        AssertLocation(error, file.Path, line: 2, column: 4);
        Assert.Contains("more than the header's 3 values", error.Message);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("1e39")]   // beyond fp32: parses to +∞
    public void A_non_finite_feature_names_file_line_and_column(string value)
    {
        using var file = new TempFile($"x,y,label\n1,2,0\n5,6,1\n7,{value},0\n");
        var error = Assert.Throws<DataFormatException>(() => DataSet.LoadCsv(file.Path));
        AssertLocation(error, file.Path, line: 4, column: 2);
        Assert.Contains($"'{value}' is not a finite fp32 number", error.Message);
    }

    [Fact]
    public void An_empty_value_is_reported()
    {
        using var file = new TempFile("x,y,label\n1,,0\n");
        var error = Assert.Throws<DataFormatException>(() => DataSet.LoadCsv(file.Path));
        AssertLocation(error, file.Path, line: 2, column: 2);
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void Line_numbers_count_skipped_blank_lines()
    {
        using var file = new TempFile("x,label\n1,0\n\n\nbad,1\n");
        var error = Assert.Throws<DataFormatException>(() => DataSet.LoadCsv(file.Path));
        AssertLocation(error, file.Path, line: 5, column: 1);
    }

    private static void AssertLocation(DataFormatException error, string path, int line, int? column)
    {
        Assert.Equal(path, error.Path);
        Assert.Equal(line, error.Line);
        Assert.Equal(column, error.Column);
        Assert.Contains(path, error.Message);
        Assert.Contains($"line {line}", error.Message);
        if (column is not null) Assert.Contains($"column {column}", error.Message);
    }

    private static int[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new int[values.Length];
        for (var i = 0; i < values.Length; i++) bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        return bits;
    }
}
