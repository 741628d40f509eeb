namespace DslNet;

/// <summary>
/// Marks a <c>partial</c> class as a network. Its <c>partial</c> properties carrying layer attributes are the
/// blocks, run in declaration order; the generator writes the forward and backward code for them.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>Width of one input row.</summary>
    public int Inputs { get; set; }

    /// <summary>The training loss; the last block's outputs are its logits (or predictions for MSE).</summary>
    public Loss Loss { get; set; } = Loss.MeanSquaredError;

    /// <summary>Initialization of residual branches (blocks with [Add]): <see cref="DslNet.ResidualInit"/>.</summary>
    public ResidualInit ResidualInit { get; set; } = ResidualInit.Default;
}
