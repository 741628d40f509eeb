using DslNet.Tests.Shared;

namespace DslNet.Runtime.Tests;

/// <summary>The reference numbers come from the clone itself: a fresh clone with nothing beside it passes.</summary>
public class ReferenceFilesTests
{
    [Fact]
    public void ReferencesAreReadFromTheRepositoryThatRunsTheTests()
    {
        Assert.True(File.Exists(Path.Combine(ReferenceFiles.RepositoryRoot, "DslNet.sln")), ReferenceFiles.RepositoryRoot);
        Assert.Equal(Path.Combine(ReferenceFiles.RepositoryRoot, "tests", "reference"), ReferenceFiles.Folder);
        // A test binary built in another clone would carry that clone's path.
        Assert.StartsWith(ReferenceFiles.RepositoryRoot + Path.DirectorySeparatorChar, AppContext.BaseDirectory, StringComparison.Ordinal);
    }

    [Fact]
    public void NoReferenceFileIsALinkToOutsideTheRepository()
    {
        Assert.Null(new DirectoryInfo(ReferenceFiles.Folder).LinkTarget);
        var files = Directory.GetFiles(ReferenceFiles.Folder, "*.json");
        Assert.NotEmpty(files);
        Assert.All(files, file => Assert.Null(new FileInfo(file).LinkTarget));
    }

    [Fact]
    public void APathLeavingTheReferenceFolderIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => ReferenceFiles.PathOf("../../../elsewhere/optimizers.json"));
        Assert.Contains("outside", error.Message);
    }

    [Fact]
    public void EveryReferenceFileIsPyTorchOutput()
    {
        foreach (var file in Directory.GetFiles(ReferenceFiles.Folder, "*.json"))
            Assert.StartsWith("PyTorch", ReferenceFiles.Load(Path.GetFileName(file)).GetProperty("generator").GetString());
    }
}
