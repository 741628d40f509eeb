namespace DslNet;

public sealed partial class DataSet
{
    /// <summary>
    /// Batches per epoch, like <c>len(DataLoader)</c>: <c>ceil(Rows / batchSize)</c>, or
    /// <c>floor(Rows / batchSize)</c> with <paramref name="dropLast"/>. Use it for a one-cycle schedule's total steps.
    /// </summary>
    public int BatchesPerEpoch(int batchSize, bool dropLast = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        return dropLast ? Rows / batchSize : (Rows + batchSize - 1) / batchSize;
    }

    /// <summary>
    /// One epoch of mini-batches. With <paramref name="shuffle"/>, rows come in a Fisher–Yates order determined by
    /// (<paramref name="seed"/>, <paramref name="epoch"/>) alone; otherwise in file order. Every row appears once
    /// per epoch (the last batch may be short unless <paramref name="dropLast"/>).
    /// </summary>
    /// <remarks>
    /// Rows are gathered into two arrays owned by this data set and reused by every batch and every epoch (they
    /// are reallocated only when the batch size changes), so each <see cref="Batch"/> is valid only until the
    /// next one is produced. The enumerator is the only allocation per epoch.
    /// </remarks>
    public IEnumerable<Batch> Batches(int batchSize, bool shuffle, int seed = 0, int epoch = 0, bool dropLast = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return EnumerateBatches(batchSize, shuffle, seed, epoch, dropLast);
    }

    private IEnumerable<Batch> EnumerateBatches(int batchSize, bool shuffle, int seed, int epoch, bool dropLast)
    {
        // Prepared when enumeration starts (not when Batches is called), so only a running epoch owns the buffers.
        var order = _order ??= new int[Rows];
        EpochOrder(order, shuffle, seed, epoch);

        if (_batchCapacity != batchSize)
        {
            var capacity = Math.Min(batchSize, Math.Max(Rows, 1));
            _batchFeatures = new float[capacity * Columns];
            _batchLabels = new float[capacity];
            _batchCapacity = batchSize;
        }

        var features = _batchFeatures!;
        var labels = _batchLabels!;
        var batches = BatchesPerEpoch(batchSize, dropLast);
        for (var b = 0; b < batches; b++)
        {
            var start = b * batchSize;
            var count = Math.Min(batchSize, Rows - start);
            GatherBatch(order.AsSpan(start, count), features, labels, seed, epoch);

            yield return new Batch(features, labels, Columns, count);
        }
    }

    /// <summary>The row order of an epoch (file order, or the Fisher–Yates order of (seed, epoch)): the host gather's and
    /// the device gather's (<c>DeviceDataSet</c>), so both give the same batches.</summary>
    internal static void EpochOrder(Span<int> order, bool shuffle, int seed, int epoch)
    {
        for (var i = 0; i < order.Length; i++) order[i] = i;
        if (shuffle) Shuffle.Permute(order, seed, epoch);
    }

    /// <summary>Whether batches are augmented while gathered (image augmentation), which only the host gather does.</summary>
    internal bool AugmentsBatches => _image?.Augmentation is not null;
}
