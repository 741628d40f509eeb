namespace DslNet;

/// <summary>Thrown in anomaly mode at the first block whose output or gradient holds NaN or ±∞.</summary>
public sealed class NumericalAnomalyException : Exception
{
    public NumericalAnomalyException(string block, string pass, int index, float value, long step)
        : base($"Step {step}: {block} produced {Describe(value)} in its {pass} (element {index}). " +
               "Earlier blocks were finite, so look here first: a learning rate too high, a division by a near-zero " +
               "variance, or a log/exp overflow (see TrainingHistory.Diagnose and the LR finder).")
    {
        Block = block;
        Pass = pass;
        Index = index;
        Step = step;
    }

    public string Block { get; }

    /// <summary>"forward output" or "backward gradient".</summary>
    public string Pass { get; }

    public int Index { get; }

    public long Step { get; }

    private static string Describe(float value) => float.IsNaN(value) ? "NaN" : value > 0 ? "+∞" : "−∞";
}
