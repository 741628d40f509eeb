namespace DslNet;

/// <summary>
/// Marks a <c>partial</c> class as a network. Its <c>partial</c> properties carrying layer attributes are the
/// blocks, run in declaration order; the generator writes the forward and backward code for them.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>Width of one input row (feature models; image models set <see cref="Channels"/>, <see cref="Height"/> and
    /// <see cref="Width"/> instead).</summary>
    public int Inputs { get; set; }

    /// <summary>Channels of an input image. With <see cref="Height"/> and <see cref="Width"/> the model is an image model:
    /// each input row holds C·H·W floats in PyTorch's NCHW order (<c>x.view(N, -1)</c> of an <c>[N, C, H, W]</c> batch).</summary>
    public int Channels { get; set; }

    /// <summary>Height of an input image, in pixels.</summary>
    public int Height { get; set; }

    /// <summary>Width of an input image, in pixels.</summary>
    public int Width { get; set; }

    /// <summary>The training loss; the last block's outputs are its logits (or predictions for MSE).</summary>
    public Loss Loss { get; set; } = Loss.MeanSquaredError;

    /// <summary>
    /// Label smoothing ε of <see cref="Loss.CrossEntropy"/>, as PyTorch's <c>CrossEntropyLoss(label_smoothing=ε)</c>: the
    /// target puts 1 − ε on the true class plus ε spread evenly over all classes (0: none; in [0, 1]). It applies to the
    /// training loss and to <c>EvaluateLoss</c>, as the criterion does in PyTorch.
    /// </summary>
    public double LabelSmoothing { get; set; }

    /// <summary>Initialization of residual branches (blocks with [Add]): <see cref="DslNet.ResidualInit"/>.</summary>
    public ResidualInit ResidualInit { get; set; } = ResidualInit.Default;
}
