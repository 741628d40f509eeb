namespace DslNet;

/// <summary>
/// The precisions a <see cref="Device"/> member runs. The DSL3002 analyzer reads it, so asking a device for a precision
/// it does not run is a compile error rather than a run-time exception.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Method)]
public sealed class SupportedPrecisionsAttribute : Attribute
{
    public SupportedPrecisionsAttribute(params Precision[] precisions) => Precisions = precisions;

    public IReadOnlyList<Precision> Precisions { get; }
}
