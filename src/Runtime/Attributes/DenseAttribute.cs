namespace DslNet;

/// <summary>A fully connected layer <c>y = x·Wᵀ + b</c> with <paramref name="units"/> outputs; opens a block.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class DenseAttribute(int units) : Attribute
{
    public int Units { get; } = units;

    /// <summary>Whether the layer has a bias. A following BatchNorm cancels it (diagnostic DSL0008).</summary>
    public bool Bias { get; set; } = true;

    public Init Init { get; set; } = Init.Auto;

    /// <summary>Fan used by the He initializers.</summary>
    public FanMode Fan { get; set; } = FanMode.In;

    /// <summary>Standard deviation of <see cref="Init.Normal"/>.</summary>
    public double InitStd { get; set; } = 0.01;
}
