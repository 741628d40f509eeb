using System.Text;

namespace DslNet;

/// <summary>
/// What <see cref="TrainingHistory.Diagnose"/> can find: the six loss-curve patterns of the debugging playbook
/// (§7.8.1, in its order) and the warnings the monitor's gradient and activation statistics give (§7.8.3, §7.8.4).
/// </summary>
public enum DiagnosisKind
{
    /// <summary>Pattern 1: the loss does not decrease from the start.</summary>
    FlatLoss,

    /// <summary>Pattern 2: the loss decreases, then spikes to infinity or NaN.</summary>
    Divergence,

    /// <summary>Pattern 3: training loss goes down while validation loss plateaus or goes up.</summary>
    Overfitting,

    /// <summary>Pattern 4: both losses plateau at a high value.</summary>
    Underfitting,

    /// <summary>Pattern 5: the loss oscillates without converging.</summary>
    Oscillation,

    /// <summary>Pattern 6: training loss near zero (memorization; with validation near zero too, a possible leak).</summary>
    TrainLossNearZero,

    /// <summary>Many ReLU units output zero for every row of a batch (§7.8.3 "dead neurons").</summary>
    DeadUnits,

    /// <summary>tanh/sigmoid outputs stuck in their flat tails (§7.8.4 "saturated").</summary>
    Saturation,

    /// <summary>Gradients far smaller at the input layer than at the output layer.</summary>
    VanishingGradients,

    /// <summary>Gradients far larger at the input layer than at the output layer, or non-finite.</summary>
    ExplodingGradients,

    /// <summary>The global gradient norm fluctuates by orders of magnitude.</summary>
    UnstableGradients,

    /// <summary>The first steps' loss is far above a constant prediction's: the initialization (or the output scale) is wrong.</summary>
    BadInitialLoss,

    /// <summary>The loss does not fit the labels: mean squared error on labels that are class indices.</summary>
    LossLabelMismatch,

    /// <summary>Unshuffled batches whose loss depends on their place in the epoch, the same way every epoch (data sorted by label, say).</summary>
    UnshuffledBatches,
}

/// <summary>One finding: what, since when, the evidence, and the playbook's remedies.</summary>
/// <param name="SinceEpoch">1-based epoch the pattern starts at (null where it has no start, e.g. a whole-run property).</param>
/// <param name="SinceStep">The optimizer step (history index) or monitor step it starts at, where known.</param>
/// <param name="Evidence">The numbers the verdict rests on, in a sentence.</param>
public sealed record DiagnosisFinding(
    DiagnosisKind Kind,
    int? SinceEpoch,
    long? SinceStep,
    string Evidence,
    IReadOnlyList<string> Remedies)
{
    /// <summary>The pattern's number in §7.8.1 (1–6), or null for a statistics warning.</summary>
    public int? Pattern => Kind <= DiagnosisKind.TrainLossNearZero ? (int)Kind + 1 : null;

    /// <summary>A short name: "pattern 3: train down, validation up (overfitting)".</summary>
    public string Title => Kind switch
    {
        DiagnosisKind.FlatLoss => "pattern 1: loss flat from the start",
        DiagnosisKind.Divergence => "pattern 2: loss spikes to infinity (divergence)",
        DiagnosisKind.Overfitting => "pattern 3: training loss down, validation loss up (overfitting)",
        DiagnosisKind.Underfitting => "pattern 4: both losses plateau high (underfitting)",
        DiagnosisKind.Oscillation => "pattern 5: loss oscillates without converging",
        DiagnosisKind.TrainLossNearZero => "pattern 6: training loss near zero (memorization)",
        DiagnosisKind.DeadUnits => "dead ReLU units",
        DiagnosisKind.Saturation => "saturated activations",
        DiagnosisKind.VanishingGradients => "vanishing gradients",
        DiagnosisKind.ExplodingGradients => "exploding gradients",
        DiagnosisKind.UnstableGradients => "unstable gradient norm",
        DiagnosisKind.BadInitialLoss => "initial loss far above chance (initialization)",
        DiagnosisKind.LossLabelMismatch => "loss does not fit the labels",
        DiagnosisKind.UnshuffledBatches => "unshuffled batches (the loss follows the data's order)",
        _ => Kind.ToString(),
    };

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("- ").Append(Title);
        if (SinceEpoch is { } epoch) text.Append(" since epoch ").Append(epoch);
        if (SinceStep is { } step) text.Append(SinceEpoch is null ? " since step " : " (step ").Append(step).Append(SinceEpoch is null ? "" : ")");
        text.AppendLine();
        text.Append("  ").AppendLine(Evidence);
        foreach (var remedy in Remedies) text.Append("  • ").AppendLine(remedy);
        return text.ToString().TrimEnd();
    }
}

/// <summary>
/// The verdict of <see cref="TrainingHistory.Diagnose"/>: which of the playbook's patterns and warnings the run
/// shows. Empty findings mean nothing looked wrong; <see cref="ToString"/> is a readable report.
/// </summary>
public sealed class Diagnosis
{
    public Diagnosis(IReadOnlyList<DiagnosisFinding> findings, string summary)
    {
        Findings = findings;
        Summary = summary;
    }

    public IReadOnlyList<DiagnosisFinding> Findings { get; }

    /// <summary>A line on the run as a whole (losses at start, end and best epoch).</summary>
    public string Summary { get; }

    public bool IsHealthy => Findings.Count == 0;

    public bool Has(DiagnosisKind kind) => Findings.Any(f => f.Kind == kind);

    public DiagnosisFinding? Find(DiagnosisKind kind) => Findings.FirstOrDefault(f => f.Kind == kind);

    /// <summary>The loss-curve patterns found (a subset of 1–6).</summary>
    public IEnumerable<int> Patterns => Findings.Where(f => f.Pattern is not null).Select(f => f.Pattern!.Value);

    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine(Summary);
        if (IsHealthy)
            text.Append("No problem found: none of the six loss-curve patterns of the playbook, no statistics warning.");
        else
        {
            text.Append(Findings.Count == 1 ? "1 finding:" : $"{Findings.Count} findings:");
            foreach (var finding in Findings) text.AppendLine().Append(finding);
        }
        return text.ToString();
    }
}
