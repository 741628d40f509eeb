using System.Text.Json;
using System.Text.RegularExpressions;

namespace DslNet.Runtime.Tests;

/// <summary>
/// PyTorch's own numbers, in <c>shared/reference/*.json</c> beside the repository (<c>&lt;repo&gt;/../shared</c>).
/// Found by walking up from the test binaries, so it works from any build output folder and in CI.
/// </summary>
internal static class ReferenceData
{
    private static readonly Lazy<string> Folder = new(Locate);

    public static JsonElement Load(string fileName)
    {
        var text = File.ReadAllText(Path.Combine(Folder.Value, fileName));
        using var document = JsonDocument.Parse(QuoteNonFiniteNumbers(text));
        return document.RootElement.Clone();
    }

    /// <summary>
    /// Python's json module writes ∞ and NaN as bare tokens (<c>Infinity</c>, <c>NaN</c>), which are not JSON;
    /// quote them so System.Text.Json reads them as strings, which <see cref="ToDouble"/> parses.
    /// </summary>
    private static string QuoteNonFiniteNumbers(string text) =>
        Regex.Replace(text, @"(?<=[\[,:]\s*)(-?Infinity|NaN)(?=\s*[,\]}])", "\"$1\"");

    public static double[] Doubles(this JsonElement array) =>
        array.EnumerateArray().Select(ToDouble).ToArray();

    public static float[] Floats(this JsonElement array) =>
        array.EnumerateArray().Select(e => (float)ToDouble(e)).ToArray();

    private static double ToDouble(JsonElement element) =>
        element.ValueKind == JsonValueKind.Number ? element.GetDouble() : double.Parse(element.GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    private static string Locate()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "shared", "reference");
            if (Directory.Exists(candidate)) return candidate;
        }

        throw new DirectoryNotFoundException($"No shared/reference folder above {AppContext.BaseDirectory}.");
    }
}
