namespace DslNet;

/// <summary>
/// Writes a file so that readers only ever see the old version or the complete new one: the content goes to
/// <c>path + ".tmp"</c> in the same directory, is flushed to the disk, and is then renamed over
/// <paramref name="path"/> (a rename within one directory replaces the file in one step).
/// </summary>
/// <remarks>
/// If writing fails (an exception from the callback, a full disk), the temporary file is deleted and the
/// previous file at <c>path</c> is left as it was. A crash of the process mid-write can leave the
/// <c>.tmp</c> file behind, never a torn <c>path</c>; the next write replaces it.
/// </remarks>
public static class AtomicFile
{
    public const string TemporarySuffix = ".tmp";

    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var temporary = full + TemporarySuffix;
        CheckDirectory(path, full);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(stream);
                // Past the OS cache onto the disk before the rename makes the new content visible.
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch (UnauthorizedAccessException e)
        {
            TryDelete(temporary);
            throw new UnauthorizedAccessException($"Cannot write '{path}': {e.Message}", e);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Checks that <paramref name="path"/> could be written now: its directory exists and a file can be created
    /// there (a probe is created and deleted). Errors name <paramref name="path"/> as given.
    /// </summary>
    public static void CheckWritable(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        CheckDirectory(path, full);
        if (Directory.Exists(full))
            throw new IOException($"Cannot write '{path}': it is a directory.");
        var probe = full + TemporarySuffix;
        try
        {
            using (new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot write '{path}': {e.Message}", e);
        }
        finally
        {
            TryDelete(probe);
        }
    }

    private static void CheckDirectory(string path, string full)
    {
        var directory = Path.GetDirectoryName(full);
        if (directory is not null && !Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Cannot write '{path}': the directory '{directory}' does not exist.");
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The original failure matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
