namespace DslNet.Runtime.Tests;

/// <summary>A file in the temp folder, deleted on dispose.</summary>
internal sealed class TempFile : IDisposable
{
    public TempFile(string? contents = null)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"dslnet-{Guid.NewGuid():N}.csv");
        if (contents is not null) File.WriteAllText(Path, contents);
    }

    public string Path { get; }

    public void Dispose() => File.Delete(Path);
}
