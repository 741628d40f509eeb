namespace DslNet;

/// <summary>Weight initializers of a <see cref="DenseAttribute"/> (biases start at zero).</summary>
public enum Init
{
    /// <summary>He (normal, fan-in) when the block's activation is ReLU-like, Xavier (uniform) otherwise.</summary>
    Auto,
    XavierUniform,
    XavierNormal,
    HeNormal,
    HeUniform,
    /// <summary>N(0, std²) with <see cref="DenseAttribute.InitStd"/>.</summary>
    Normal,
    Zeros,
    Orthogonal,
}

/// <summary>Which fan He initialization preserves: the forward pass (in) or the backward pass (out).</summary>
public enum FanMode
{
    In,
    Out,
}
