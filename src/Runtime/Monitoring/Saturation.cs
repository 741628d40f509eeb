namespace DslNet;

/// <summary>Which flat tails count as saturated for a block's activation.</summary>
public enum Saturation
{
    None,
    Tanh,
    Sigmoid,
}
