namespace DslNet;

/// <summary>
/// Batch normalization over the batch, per feature (<c>nn.BatchNorm1d</c>): batch statistics in training,
/// running statistics (updated with <see cref="Momentum"/>, unbiased variance) at inference.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class BatchNormAttribute : Attribute
{
    public double Momentum { get; set; } = 0.1;
    public double Eps { get; set; } = 1e-5;

    /// <summary>
    /// SyncBatchNorm (<c>nn.SyncBatchNorm</c>): in a data-parallel run, batch statistics (and the backward pass's two
    /// gradient sums) over every rank's rows, so the layer sees the global batch; running statistics from the global
    /// batch. Default false: each rank normalizes with its own batch, as DDP does. Alone, it is plain BatchNorm. CPU path only.
    /// </summary>
    public bool Sync { get; set; }
}

/// <summary>Layer normalization over the features of each row (<c>nn.LayerNorm</c>); on an image value over [C, H, W]
/// (<c>nn.LayerNorm([C, H, W])</c>, with <c>Gamma</c>/<c>Beta</c> of shape [C, H, W]).</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class LayerNormAttribute : Attribute
{
    public double Eps { get; set; } = 1e-5;
}

/// <summary>Group normalization: each row's features split into <paramref name="groups"/> contiguous groups; on an image value
/// its channels, each group normalized over (C/groups, H, W) like <c>nn.GroupNorm(groups, C)</c>.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class GroupNormAttribute(int groups) : Attribute
{
    public int Groups { get; } = groups;
    public double Eps { get; set; } = 1e-5;
}

/// <summary>Inverted dropout with drop probability <paramref name="rate"/>; active in training only.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class DropoutAttribute(double rate) : Attribute
{
    public double Rate { get; } = rate;
}
