using System.Text.Json;

namespace DslNet.EndToEnd.Tests;

/// <summary>Reads PyTorch's numbers from shared/reference, which sits beside the repository (locally and in CI).</summary>
internal static class ReferenceData
{
    public static JsonElement Load(string fileName)
    {
        var path = Path.Combine(Folder(), fileName);
        using var stream = File.OpenRead(path);
        return JsonDocument.Parse(stream).RootElement.Clone();
    }

    public static float[] Floats(this JsonElement element) =>
        element.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();

    public static double[] Doubles(this JsonElement element) =>
        element.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private static string Folder()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory != null; directory = directory.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(directory.FullName, "shared", "reference"), Path.Combine(directory.FullName, "..", "shared", "reference") })
                if (Directory.Exists(candidate)) return Path.GetFullPath(candidate);
        }
        throw new DirectoryNotFoundException($"No shared/reference folder above {AppContext.BaseDirectory}.");
    }
}
