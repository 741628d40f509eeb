namespace DslNet;

/// <summary>
/// A data file that cannot be read: a text table (the message names the file, line and column) or a binary file
/// such as IDX (the message names the file and the byte offset).
/// </summary>
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

    /// <summary>A problem in a binary file, at a byte offset from the start of its (decompressed) content.</summary>
    public DataFormatException(string path, long byteOffset, string problem)
        : base($"{path}, byte {byteOffset}: {problem}")
    {
        Path = path;
        ByteOffset = byteOffset;
    }

    public string Path { get; }

    /// <summary>1-based line number; the header is line 1. 0 for a binary file.</summary>
    public int Line { get; }

    /// <summary>1-based column number, when the problem lies in one column.</summary>
    public int? Column { get; }

    public string? ColumnName { get; }

    /// <summary>For a binary file: where in its (decompressed) content the problem lies.</summary>
    public long? ByteOffset { get; }

    private static string Describe(string path, int line, int? column, string? columnName, string problem)
    {
        var where = column is null ? $"{path}, line {line}" : $"{path}, line {line}, column {column}";
        if (columnName is not null) where += $" ('{columnName}')";
        return $"{where}: {problem}";
    }
}
