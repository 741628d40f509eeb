namespace DslNet;

/// <summary>How <see cref="OneCycleLR"/> moves between a phase's start and end values.</summary>
public enum AnnealStrategy
{
    /// <summary>Half a cosine: <c>end + (start − end)/2 · (1 + cos(π·pct))</c>.</summary>
    Cos,

    /// <summary>A straight line: <c>start + (end − start)·pct</c>.</summary>
    Linear,
}
