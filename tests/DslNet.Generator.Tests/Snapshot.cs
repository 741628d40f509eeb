using System.Runtime.CompilerServices;
using System.Text;
using Xunit.Sdk;

namespace DslNet.Generator.Tests;

/// <summary>
/// Snapshot assertions with Verify's conventions (Verify itself cannot be restored here):
/// <c>Snapshots/{TestClass}.{TestMethod}[_{name}].verified.cs</c> is committed; on a mismatch the actual text goes to
/// the matching <c>.received.cs</c> (git-ignored) and the test fails with a diff. Accept by copying received over
/// verified, or by running the tests with <c>DSLNET_ACCEPT_SNAPSHOTS=1</c>, which writes verified files directly.
/// A missing verified file fails too (unless accepting). Line endings are normalized to '\n'.
/// The test class name is the calling file's name (one test class per file).
/// </summary>
internal static class Snapshot
{
    public const string AcceptVariable = "DSLNET_ACCEPT_SNAPSHOTS";

    private const string ProjectFile = "DslNet.Generator.Tests.csproj";

    public static bool AcceptFromEnvironment => Environment.GetEnvironmentVariable(AcceptVariable) == "1";

    public static void Match(string actual, string? name = null,
        [CallerFilePath] string callerFile = "", [CallerMemberName] string testMethod = "") =>
        MatchAll(new[] { (name ?? "", actual) }, callerFile, testMethod);

    /// <summary>
    /// Several snapshots of one test (e.g. each generated file): every one is compared and every mismatch writes its
    /// received file before the test fails, so one run shows all the differences.
    /// </summary>
    public static void MatchAll(IEnumerable<(string Name, string Actual)> snapshots,
        [CallerFilePath] string callerFile = "", [CallerMemberName] string testMethod = "")
    {
        var testClass = Path.GetFileNameWithoutExtension(callerFile);
        var directory = SnapshotDirectory(callerFile);
        var failures = snapshots
            .Select(s => Check(s.Actual, directory, $"{testClass}.{testMethod}" + (string.IsNullOrEmpty(s.Name) ? "" : "_" + s.Name), AcceptFromEnvironment))
            .OfType<string>()
            .ToList();
        if (failures.Count > 0)
            throw new XunitException(string.Join(Environment.NewLine + Environment.NewLine, failures));
    }

    /// <summary>The comparison itself, with the folder and the accept switch explicit (the helper's own tests use it).</summary>
    internal static void Match(string actual, string directory, string baseName, bool accept)
    {
        if (Check(actual, directory, baseName, accept) is { } failure) throw new XunitException(failure);
    }

    /// <summary>Compares one snapshot; returns the failure message, or null when it matches (or was accepted).</summary>
    private static string? Check(string actual, string directory, string baseName, bool accept)
    {
        var verifiedPath = Path.Combine(directory, baseName + ".verified.cs");
        var receivedPath = Path.Combine(directory, baseName + ".received.cs");
        actual = Normalize(actual);

        if (accept)
        {
            Directory.CreateDirectory(directory);
            if (!File.Exists(verifiedPath) || Normalize(File.ReadAllText(verifiedPath)) != actual)
                File.WriteAllText(verifiedPath, actual, Utf8NoBom);
            File.Delete(receivedPath);
            return null;
        }

        if (!File.Exists(verifiedPath))
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(receivedPath, actual, Utf8NoBom);
            return $"No verified snapshot {Relative(verifiedPath)}." + Environment.NewLine +
                   $"The generated text was written to {Relative(receivedPath)}. Read it; if it is right, accept it by renaming it to " +
                   $"{Path.GetFileName(verifiedPath)} or by running the tests with {AcceptVariable}=1.";
        }

        var expected = Normalize(File.ReadAllText(verifiedPath));
        if (expected == actual)
        {
            File.Delete(receivedPath);
            return null;
        }

        File.WriteAllText(receivedPath, actual, Utf8NoBom);
        return $"Snapshot {Relative(verifiedPath)} does not match (- verified, + received):" + Environment.NewLine +
               LineDiff.Unified(expected, actual) + Environment.NewLine +
               $"The new text is in {Relative(receivedPath)}. If the change is intended, accept it by copying it over " +
               $"{Path.GetFileName(verifiedPath)} or by running the tests with {AcceptVariable}=1, and commit the verified file.";
    }

    internal static string Normalize(string text) => text.Replace("\r\n", "\n").Replace('\r', '\n');

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>
    /// The Snapshots folder beside this project's .csproj, found from the caller's source path; when the build mapped
    /// source paths away (deterministic CI builds), from the test binaries' folder upwards.
    /// </summary>
    private static string SnapshotDirectory(string callerFile)
    {
        var project = FindUp(Path.GetDirectoryName(callerFile)) ?? FindUp(AppContext.BaseDirectory, searchSiblingTests: true)
            ?? throw new InvalidOperationException($"Cannot find {ProjectFile} above '{callerFile}' or '{AppContext.BaseDirectory}'.");
        return Path.Combine(project, "Snapshots");
    }

    private static string? FindUp(string? start, bool searchSiblingTests = false)
    {
        for (var dir = start; !string.IsNullOrEmpty(dir) && Directory.Exists(dir); dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, ProjectFile))) return dir;
            var nested = Path.Combine(dir, "tests", "DslNet.Generator.Tests");
            if (searchSiblingTests && File.Exists(Path.Combine(nested, ProjectFile))) return nested;
        }
        return null;
    }

    private static string Relative(string path)
    {
        var root = FindUp(Path.GetDirectoryName(path));
        return root == null ? path : Path.Combine(Path.GetFileName(root), Path.GetRelativePath(root, path));
    }
}

/// <summary>A small line diff (longest common subsequence) printed as unified-style hunks with context.</summary>
internal static class LineDiff
{
    public static string Unified(string expected, string actual, int context = 3, int maxLines = 80)
    {
        var a = expected.Split('\n');
        var b = actual.Split('\n');

        // lcs[i, j] = length of the longest common subsequence of a[i..] and b[j..].
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
            for (var j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);

        var ops = new List<(char Op, string Line, int OldLine, int NewLine)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y]) { ops.Add((' ', a[x], x + 1, y + 1)); x++; y++; }
            else if (y < b.Length && (x == a.Length || lcs[x, y + 1] >= lcs[x + 1, y])) { ops.Add(('+', b[y], x + 1, y + 1)); y++; }
            else { ops.Add(('-', a[x], x + 1, y + 1)); x++; }
        }

        var keep = new bool[ops.Count];
        for (var i = 0; i < ops.Count; i++)
            if (ops[i].Op != ' ')
                for (var k = Math.Max(0, i - context); k <= Math.Min(ops.Count - 1, i + context); k++) keep[k] = true;

        var text = new StringBuilder();
        var written = 0;
        for (var i = 0; i < ops.Count; i++)
        {
            if (!keep[i]) continue;
            if (i == 0 || !keep[i - 1]) text.Append($"@@ verified line {ops[i].OldLine}, received line {ops[i].NewLine} @@").Append('\n');
            if (++written > maxLines)
            {
                text.Append($"... ({ops.Count(o => o.Op != ' ')} changed lines in all)\n");
                break;
            }
            text.Append(ops[i].Op).Append(' ').Append(ops[i].Line).Append('\n');
        }
        return text.ToString().TrimEnd('\n');
    }
}
