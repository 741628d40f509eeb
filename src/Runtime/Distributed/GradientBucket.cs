namespace DslNet;

/// <summary>
/// A contiguous range of the flat gradient buffer reduced by one allreduce. Buckets are listed in backward order:
/// bucket 0 holds the gradients that become final first (the last layers).
/// </summary>
/// <param name="Offset">First float of the range in the gradient buffer.</param>
/// <param name="Length">Floats in the range.</param>
/// <param name="Tensors">The named views the bucket holds, in backward order.</param>
public sealed record GradientBucket(int Offset, int Length, IReadOnlyList<string> Tensors)
{
    public int End => Offset + Length;

    /// <summary>
    /// Groups the buffer's views, taken in <paramref name="backwardOrder"/> (default: the reverse of the layout, the
    /// order a sequential network's backward pass finishes them), into buckets of at most
    /// <paramref name="capacity"/> floats. A view is never split; a bucket closes when the next view would overflow
    /// it or does not sit right below it in memory (so every bucket is one contiguous range, reduced without a copy).
    /// </summary>
    public static IReadOnlyList<GradientBucket> Plan(TensorBuffer buffer, int capacity, IReadOnlyList<string>? backwardOrder = null)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        var views = backwardOrder?.Select(name => buffer[name]).ToList()
                    ?? buffer.Views.Reverse().ToList();
        CheckCoverage(buffer, views);

        var buckets = new List<GradientBucket>();
        var names = new List<string>();
        int start = 0, end = 0;
        foreach (var view in views)
        {
            var joins = names.Count > 0 && view.Offset + view.Length == start && end - view.Offset <= capacity;
            if (!joins && names.Count > 0)
            {
                buckets.Add(new GradientBucket(start, end - start, names.ToArray()));
                names.Clear();
            }
            if (names.Count == 0) end = view.Offset + view.Length;
            start = view.Offset;
            names.Add(view.Name);
        }
        if (names.Count > 0) buckets.Add(new GradientBucket(start, end - start, names.ToArray()));
        return buckets;
    }

    /// <summary>Every float of the buffer in exactly one view: otherwise some gradient would never be averaged.</summary>
    private static void CheckCoverage(TensorBuffer buffer, IReadOnlyList<TensorView> views)
    {
        var covered = new bool[buffer.Length];
        foreach (var view in views)
            for (var i = view.Offset; i < view.Offset + view.Length; i++)
            {
                if (covered[i])
                    throw new ArgumentException($"Gradient element {i} lies in two views (the second is '{view.Name}'); buckets need disjoint views.");
                covered[i] = true;
            }
        var missing = Array.IndexOf(covered, false);
        if (missing >= 0)
            throw new ArgumentException($"Gradient element {missing} lies in no view of the backward order; every gradient must be averaged.");
    }
}
