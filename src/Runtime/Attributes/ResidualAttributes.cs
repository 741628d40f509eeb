namespace DslNet;

/// <summary>
/// A residual connection, last in a block: the block's output becomes <c>F(x) + skip</c>, where <c>skip</c> is the output
/// of the earlier block named by <paramref name="from"/> (write <c>nameof(Block)</c>). PyTorch:
/// <c>out = self.branch(x) + skip</c>. The shapes must match, unless <see cref="Projection"/> adds a bias-free Dense on
/// the shortcut (<c>nn.Linear(in, out, bias=False)</c>). On an image value the shortcut is torchvision's downsample instead:
/// a 1×1 <c>Conv2d</c> without bias (stride H_in/H_out), then <c>BatchNorm2d</c>. In an image block the Add may also come
/// after the normalization and before the activation (<c>relu(bn2(conv2(x)) + shortcut(x))</c>, torchvision's BasicBlock).
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class AddAttribute(string from) : Attribute
{
    /// <summary>The earlier block whose output is added.</summary>
    public string From { get; } = from;

    /// <summary>Route the skip through a bias-free Dense (its weight is the block's <c>ShortcutWeight</c> parameter); on an
    /// image value through a 1×1 Conv2d (<c>ShortcutWeight</c> [C_out, C_in, 1, 1]) and a BatchNorm2d (<c>ShortcutGamma</c>,
    /// <c>ShortcutBeta</c>, <c>ShortcutRunningMean</c>, <c>ShortcutRunningVariance</c>).</summary>
    public bool Projection { get; set; }
}

/// <summary>How the residual branches (blocks with <see cref="AddAttribute"/>) are initialized: §7.2 for deep stacks.</summary>
public enum ResidualInit
{
    /// <summary>Like any block.</summary>
    Default = 0,

    /// <summary>The branch's normalization γ starts at 0 (torchvision's <c>zero_init_residual</c>); a branch without a
    /// normalization starts with a zero weight (Fixup). Each residual unit starts as the identity. The branch must end with
    /// that normalization: a ReLU after it would output 0 with a zero derivative forever (diagnostic DSL0021).</summary>
    ZeroLastNorm = 1,

    /// <summary>The branch's Dense weight is scaled by 1/√(2N), N the number of residual units (GPT-2).</summary>
    Gpt2Scaled = 2,
}
