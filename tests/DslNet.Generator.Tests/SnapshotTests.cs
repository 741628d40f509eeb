using Xunit.Sdk;

namespace DslNet.Generator.Tests;

/// <summary>The snapshot helper itself, in a temporary folder.</summary>
public sealed class SnapshotTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dslnet-snapshots-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private string Verified => Path.Combine(_directory, "T.M_x.verified.cs");
    private string Received => Path.Combine(_directory, "T.M_x.received.cs");

    [Fact]
    public void Missing_verified_file_fails_and_writes_received()
    {
        var error = Assert.Throws<XunitException>(() => Snapshot.Match("class A { }\n", _directory, "T.M_x", accept: false));

        Assert.Contains("No verified snapshot", error.Message);
        Assert.Contains(Snapshot.AcceptVariable + "=1", error.Message);
        Assert.Equal("class A { }\n", File.ReadAllText(Received));
        Assert.False(File.Exists(Verified));
    }

    [Fact]
    public void Mismatch_fails_with_a_diff_and_writes_received()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Verified, "line 1\nline 2\nline 3\n");

        var error = Assert.Throws<XunitException>(() => Snapshot.Match("line 1\nline two\nline 3\n", _directory, "T.M_x", accept: false));

        Assert.Contains("- line 2", error.Message);
        Assert.Contains("+ line two", error.Message);
        Assert.Contains("  line 1", error.Message);
        Assert.Contains("T.M_x.received.cs", error.Message);
        Assert.Equal("line 1\nline two\nline 3\n", File.ReadAllText(Received));
        Assert.Equal("line 1\nline 2\nline 3\n", File.ReadAllText(Verified));
    }

    [Fact]
    public void Match_ignores_line_endings_and_removes_a_stale_received_file()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Verified, "a\r\nb\r\n");
        File.WriteAllText(Received, "old");

        Snapshot.Match("a\nb\n", _directory, "T.M_x", accept: false);

        Assert.False(File.Exists(Received));
    }

    [Fact]
    public void Accepting_writes_the_verified_file_with_normalized_line_endings()
    {
        Snapshot.Match("a\r\nb\r\n", _directory, "T.M_x", accept: true);

        Assert.Equal("a\nb\n", File.ReadAllText(Verified));
        Assert.False(File.Exists(Received));
        Snapshot.Match("a\nb\n", _directory, "T.M_x", accept: false);
    }

    [Fact]
    public void Diff_shows_only_the_changed_region_with_context()
    {
        var expected = string.Join("\n", Enumerable.Range(1, 50).Select(i => "line " + i));
        var actual = expected.Replace("line 25", "line twenty-five");

        var diff = LineDiff.Unified(expected, actual);

        Assert.Contains("- line 25", diff);
        Assert.Contains("+ line twenty-five", diff);
        Assert.Contains("  line 22", diff);
        Assert.DoesNotContain("line 10\n", diff);
        Assert.StartsWith("@@ verified line 22, received line 22 @@", diff);
    }
}
