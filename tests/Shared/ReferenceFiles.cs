using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DslNet.Tests.Shared;

/// <summary>
/// PyTorch's own numbers, read from the repository's copy in <c>tests/reference</c> and nowhere else: the folder's
/// path is baked into the test assembly at build time (see ReferenceFiles.props), so a clone passes alone and a
/// copy beside the clone is never read. New files arrive in the team's shared reference folder and are copied in by
/// hand; <c>tests/reference/scripts</c> regenerates them with PyTorch.
/// </summary>
internal static class ReferenceFiles
{
    public static string Folder { get; } = Metadata("DslNet.ReferenceFolder");

    public static string RepositoryRoot { get; } = Metadata("DslNet.RepositoryRoot");

    /// <summary>The whole document of <paramref name="fileName"/> (e.g. <c>optimizers.json</c>).</summary>
    public static JsonElement Load(string fileName)
    {
        var path = PathOf(fileName);
        using var document = JsonDocument.Parse(QuoteNonFiniteNumbers(File.ReadAllText(path)));
        return document.RootElement.Clone();
    }

    /// <summary>The full path of a reference file; refuses a name that would leave the repository's folder.</summary>
    public static string PathOf(string fileName)
    {
        var path = Path.GetFullPath(Path.Combine(Folder, fileName));
        if (!path.StartsWith(Folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"Reference file '{fileName}' resolves to {path}, outside {Folder}.", nameof(fileName));
        if (!File.Exists(path))
            throw new FileNotFoundException($"No reference file '{fileName}' in {Folder}; copy it into tests/reference from the shared reference folder.", path);
        return path;
    }

    /// <summary>Reads a number that Python's json module may have written as a bare <c>NaN</c>/<c>Infinity</c> token.</summary>
    public static double ToDouble(JsonElement element) =>
        element.ValueKind == JsonValueKind.Number
            ? element.GetDouble()
            : double.Parse(element.GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Python's json module writes ∞ and NaN as bare tokens (<c>Infinity</c>, <c>NaN</c>), which are not JSON;
    /// quote them so System.Text.Json reads them as strings, which <see cref="ToDouble"/> parses.
    /// </summary>
    private static string QuoteNonFiniteNumbers(string text) =>
        Regex.Replace(text, @"(?<=[\[,:]\s*)(-?Infinity|NaN)(?=\s*[,\]}])", "\"$1\"");

    private static string Metadata(string key) =>
        typeof(ReferenceFiles).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"The test assembly has no {key} metadata.");
}
