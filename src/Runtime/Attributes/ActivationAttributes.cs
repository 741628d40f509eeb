namespace DslNet;

/// <summary><c>max(0, x)</c>.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class ReluAttribute : Attribute;

/// <summary><c>x</c> for x ≥ 0, <c>slope·x</c> otherwise (PyTorch's default slope 0.01).</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class LeakyReluAttribute(double slope = 0.01) : Attribute
{
    public double Slope { get; } = slope;
}

/// <summary>GELU: exact (erf) by default, the tanh approximation with <see cref="Approximate"/>.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class GeluAttribute : Attribute
{
    /// <summary>Use PyTorch's <c>approximate='tanh'</c> form.</summary>
    public bool Approximate { get; set; }
}

[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class TanhAttribute : Attribute;

[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class SigmoidAttribute : Attribute;

/// <summary>SiLU (swish): <c>x·σ(x)</c>, PyTorch's <c>nn.SiLU</c>.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class SiluAttribute : Attribute;
