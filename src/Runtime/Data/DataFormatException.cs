namespace DslNet;

/// <summary>A data file that cannot be read as a numeric table; the message names the file, line and column.</summary>
public sealed class DataFormatException : Exception
{
    public DataFormatException(string path, int line, int? column, string? columnName, string problem)
        : base(Describe(path, line, column, columnName, problem))
    {
        Path = path;
        Line = line;
        Column = column;
        ColumnName = columnName;
    }

    public string Path { get; }

    /// <summary>1-based line number; the header is line 1.</summary>
    public int Line { get; }

    /// <summary>1-based column number, when the problem lies in one column.</summary>
    public int? Column { get; }

    public string? ColumnName { get; }

    private static string Describe(string path, int line, int? column, string? columnName, string problem)
    {
        var where = column is null ? $"{path}, line {line}" : $"{path}, line {line}, column {column}";
        if (columnName is not null) where += $" ('{columnName}')";
        return $"{where}: {problem}";
    }
}
