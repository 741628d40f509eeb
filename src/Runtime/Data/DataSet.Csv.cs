using System.Globalization;
using System.Text;

namespace DslNet;

public sealed partial class DataSet
{
    /// <summary>
    /// Reads a comma-separated file with a header line and numeric values only (no quoting). Every column but
    /// <paramref name="labelColumn"/> is a feature, in file order. Blank lines are skipped.
    /// </summary>
    /// <exception cref="DataFormatException">
    /// A missing label column, a row with too few or too many values, a value that is not a number, a NaN or
    /// infinity (including a value beyond the fp32 range), or a label that <paramref name="labels"/> refuses; the
    /// message names the file, line and column.
    /// </exception>
    /// <param name="labels">What a label may be (e.g. <see cref="LabelRule.Binary"/>); null accepts any finite number.</param>
    public static DataSet LoadCsv(string path, string labelColumn = "label", LabelRule? labels = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(labelColumn);

        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var header = reader.ReadLine() ?? throw new DataFormatException(path, 1, null, null, "the file is empty; expected a header line.");
        var names = header.Split(',').Select(name => name.Trim()).ToArray();
        var labelIndex = Array.IndexOf(names, labelColumn);
        if (labelIndex < 0)
            throw new DataFormatException(path, 1, null, null, $"no column named '{labelColumn}' in the header; {DescribeColumns(names)}.");
        for (var c = 0; c < names.Length; c++)
        {
            if (names[c].Length == 0)
                throw new DataFormatException(path, 1, c + 1, null, "the header has an empty column name.");
            if (Array.IndexOf(names, names[c]) != c)
                throw new DataFormatException(path, 1, c + 1, names[c], "the column name appears twice in the header.");
        }

        var columns = names.Length - 1;
        if (columns == 0)
            throw new DataFormatException(path, 1, null, null, "the header has no feature columns besides the label.");
        var features = new List<float>();
        var labelValues = new List<float>();
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;

            var column = 0;
            foreach (var range in line.AsSpan().Split(','))
            {
                if (column == names.Length)
                    throw new DataFormatException(path, lineNumber, column + 1, null,
                        $"the row has more than the header's {names.Length} values.");
                var value = ParseValue(path, lineNumber, column, names[column], line.AsSpan(range).Trim());
                if (column == labelIndex)
                {
                    if (labels is not null && !labels.Accepts(value))
                        throw new DataFormatException(path, lineNumber, column + 1, names[column],
                            $"the label is {value.ToString(CultureInfo.InvariantCulture)}; {labels.Description}.");
                    labelValues.Add(value);
                }
                else features.Add(value);
                column++;
            }

            if (column < names.Length)
                throw new DataFormatException(path, lineNumber, column + 1, names[column],
                    $"the row has {column} values; the header has {names.Length} columns.");
        }

        var featureNames = names.Where((_, c) => c != labelIndex).ToArray();
        return new DataSet(features.ToArray(), labelValues.ToArray(), columns, featureNames, labelColumn);
    }

    /// <summary>The first few column names and how many there are: a wide file's header does not fit one line.</summary>
    private static string DescribeColumns(string[] names)
    {
        const int Shown = 5;
        return names.Length <= Shown
            ? $"the {names.Length} column(s) are: {string.Join(", ", names)}"
            : $"it has {names.Length} columns: {string.Join(", ", names.Take(Shown))}, … (and {names.Length - Shown} more)";
    }

    /// <summary>
    /// Writes the features and then the label column, with a header, in the shortest form that reads back to the
    /// same fp32 value (invariant culture), so <see cref="LoadCsv"/> restores the data set bit for bit.
    /// </summary>
    public void SaveCsv(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        writer.NewLine = "\n";
        writer.WriteLine(string.Join(",", FeatureNames.Append(LabelName)));

        Span<char> text = stackalloc char[32];
        for (var row = 0; row < Rows; row++)
        {
            foreach (var value in Row(row))
            {
                WriteValue(writer, value, text);
                writer.Write(',');
            }

            WriteValue(writer, _labels[row], text);
            writer.WriteLine();
        }
    }

    private static void WriteValue(StreamWriter writer, float value, Span<char> text)
    {
        // "R" on float is the shortest round-trippable form in .NET Core 3.0 and later.
        value.TryFormat(text, out var written, "R", CultureInfo.InvariantCulture);
        writer.Write(text[..written]);
    }

    private static float ParseValue(string path, int line, int column, string name, ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
            throw new DataFormatException(path, line, column + 1, name, "the value is empty.");
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            throw new DataFormatException(path, line, column + 1, name, $"'{text}' is not a number.");
        if (!float.IsFinite(value))
            throw new DataFormatException(path, line, column + 1, name, $"'{text}' is not a finite fp32 number (NaN, infinity or beyond ±3.4e38).");
        return value;
    }
}
