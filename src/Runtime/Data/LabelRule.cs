namespace DslNet;

/// <summary>
/// What a label read from a file may be, checked where it is read so the error names the file, line and column
/// (see <see cref="DataSet.LoadCsv"/>). The loss decides: binary cross-entropy needs 0 or 1, cross-entropy a class
/// index in range.
/// </summary>
/// <param name="Accepts">Whether a (finite) label is allowed.</param>
/// <param name="Description">What is allowed, as an error message says it: "binary labels must be 0 or 1".</param>
public sealed record LabelRule(Func<float, bool> Accepts, string Description)
{
    /// <summary>0 or 1, for <see cref="Loss.BinaryCrossEntropyWithLogits"/>.</summary>
    public static LabelRule Binary { get; } = new(label => label is 0f or 1f, "binary labels must be 0 or 1");

    /// <summary>A whole number in [0, <paramref name="classes"/>), for <see cref="Loss.CrossEntropy"/>.</summary>
    public static LabelRule ClassIndex(int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        return new(label => label >= 0 && label < classes && label == MathF.Floor(label),
            $"class labels must be whole numbers from 0 to {classes - 1}");
    }
}
