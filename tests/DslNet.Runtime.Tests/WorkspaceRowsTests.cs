namespace DslNet.Runtime.Tests;

/// <summary>The CPU path's workspace grows with the batch; a batch whose workspace would not fit one array is refused with the
/// largest batch that fits (it used to overflow the int size and fail later with an unrelated index error).</summary>
public sealed class WorkspaceRowsTests
{
    [Fact]
    public void The_workspace_grows_only_when_a_batch_needs_more_rows()
    {
        var capacity = 0;
        var workspace = NetworkArguments.EnsureRows([], 10, 4, ref capacity);
        Assert.Equal(40, workspace.Length);
        Assert.Equal(4, capacity);
        Assert.Same(workspace, NetworkArguments.EnsureRows(workspace, 10, 3, ref capacity));
        Assert.Equal(4, capacity);
    }

    [Fact]
    public void A_batch_whose_workspace_exceeds_an_array_is_refused_with_the_largest_that_fits()
    {
        var capacity = 2;
        var workspace = new float[2 * 600_000];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => NetworkArguments.EnsureRows(workspace, 600_000, 4_000, ref capacity));
        Assert.Contains($"at most {Array.MaxLength / 600_000:N0} rows", e.Message);
        Assert.Equal(2, capacity);
    }
}
