using System.Diagnostics;
using System.Numerics;

namespace DslNet;

/// <summary>
/// Averages the gradient buffer across the ranks of a <see cref="DistributedContext"/>, as PyTorch's
/// DistributedDataParallel does: one non-blocking allreduce per <see cref="GradientBucket"/>, started in backward
/// order as soon as a bucket's gradients are final, and one wait before the optimizer step.
/// </summary>
/// <remarks>
/// <para>
/// Protocol per step: <see cref="MarkFinal"/> for each parameter range whose gradients the backward pass has
/// finished (any order of calls; each range once), then <see cref="Finish"/>. A bucket's allreduce starts when all
/// of its floats are final and every bucket before it has started: MPI matches collectives by the order they are
/// issued, so every rank issues them in the same (bucket) order. <see cref="Synchronize"/> marks everything final
/// and finishes, for a step that hands over the gradients only at the end.
/// </para>
/// <para>
/// Deterministic: buckets are fixed at construction and issued in a fixed order, and the reduction of each
/// bucket is MPI's for that message size and rank count, so a run repeats bit for bit; the sum is the same on every
/// rank (floating-point addition is commutative, and MPI's algorithms combine the same operands on every rank), so
/// ranks keep bit-identical parameters. The mean divides the sum by the rank count after the reduction (exact for a
/// power-of-two count).
/// </para>
/// <para>
/// <see cref="NoSync"/> is DDP's <c>no_sync()</c>: with gradient accumulation, set it for the micro-batches before
/// the last (or synchronize only the accumulated mean, as <see cref="Trainer"/> does: averaging is linear, so both
/// give the same gradient and the second communicates once per optimizer step).
/// </para>
/// <para>
/// The buffer must stay pinned (model buffers are) while a reduction is in flight. Nothing here allocates per step.
/// </para>
/// </remarks>
public sealed class GradientSynchronizer : IGradientsReady
{
    /// <summary>Default bucket capacity: 1 Mi floats (4 MiB), between DDP's 1 MiB first bucket and its 25 MiB default.</summary>
    public const int DefaultBucketCapacity = 1 << 20;

    private readonly Communicator _communicator;
    private readonly TensorBuffer _gradients;
    private readonly GradientBucket[] _buckets;
    private readonly PendingReduction[] _requests;
    private readonly int[] _pendingFloats;
    private readonly float _inverseSize;
    private readonly Stopwatch _waitClock = new();
    private int _nextToStart;

    /// <param name="buckets">Buckets in backward order (see <see cref="GradientBucket.Plan"/>); default: the layout reversed, at most <paramref name="bucketCapacity"/> floats each.</param>
    public GradientSynchronizer(DistributedContext world, TensorBuffer gradients, int bucketCapacity = DefaultBucketCapacity, IReadOnlyList<GradientBucket>? buckets = null)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(gradients);
        _communicator = world.Communicator;
        _gradients = gradients;
        _buckets = (buckets ?? GradientBucket.Plan(gradients, bucketCapacity)).ToArray();
        CheckBuckets(_buckets, gradients.Length);
        _requests = new PendingReduction[_buckets.Length];
        _pendingFloats = new int[_buckets.Length];
        _inverseSize = 1f / world.Size;
        Reset();
    }

    public IReadOnlyList<GradientBucket> Buckets => _buckets;

    /// <summary>While true, <see cref="MarkFinal"/>, <see cref="Synchronize"/> and <see cref="Finish"/> leave the gradients local (gradient accumulation).</summary>
    public bool NoSync { get; set; }

    /// <summary>Total time spent in <see cref="Finish"/> waiting for reductions (what communication did not hide).</summary>
    public TimeSpan WaitTime => _waitClock.Elapsed;

    /// <summary>Steps synchronized so far.</summary>
    public long Steps { get; private set; }

    /// <summary>
    /// The gradients in [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>) are final
    /// for this step (the hook a backward pass calls per block): starts every bucket that is now complete, in order.
    /// </summary>
    public void MarkFinal(int offset, int length)
    {
        if (NoSync) return;
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + length, _gradients.Length);
        var end = offset + length;
        for (var b = 0; b < _buckets.Length; b++)
        {
            var overlap = Math.Min(end, _buckets[b].End) - Math.Max(offset, _buckets[b].Offset);
            if (overlap <= 0) continue;
            if (overlap > _pendingFloats[b])
                throw new InvalidOperationException($"Gradients [{offset}, {end}) were marked final twice in one step (bucket {b}).");
            _pendingFloats[b] -= overlap;
        }
        StartCompleteBuckets();
    }

    /// <summary>The backward pass's per-block hook (<see cref="IDataParallelModel.GradientsReady"/>): <see cref="MarkFinal"/>.</summary>
    public void OnGradientsReady(int offset, int count) => MarkFinal(offset, count);

    /// <summary>Marks every gradient not yet handed over final and waits: the whole average for a step that hands over
    /// gradients only at its end, the rest of it for one whose backward pass handed over some blocks.</summary>
    public void Synchronize()
    {
        if (NoSync) return;
        for (var b = _nextToStart; b < _buckets.Length; b++) _pendingFloats[b] = 0;
        StartCompleteBuckets();
        Finish();
    }

    /// <summary>Waits for every bucket (all must have been marked final) and divides the sums by the rank count.</summary>
    public void Finish()
    {
        if (NoSync) return;
        if (_nextToStart != _buckets.Length)
            throw new InvalidOperationException(
                $"Finish with bucket {_nextToStart} of {_buckets.Length} ({string.Join(", ", _buckets[_nextToStart].Tensors)}) not yet final: a backward hook missed its range.");
        _waitClock.Start();
        var data = _gradients.Data;
        for (var b = 0; b < _buckets.Length; b++)
        {
            _communicator.Wait(ref _requests[b]);
            if (_inverseSize != 1f) Scale(data.AsSpan(_buckets[b].Offset, _buckets[b].Length), _inverseSize);
        }
        _waitClock.Stop();
        Steps++;
        Reset();
    }

    private void StartCompleteBuckets()
    {
        var data = _gradients.Data;
        while (_nextToStart < _buckets.Length && _pendingFloats[_nextToStart] == 0)
        {
            var bucket = _buckets[_nextToStart];
            _communicator.StartAllReduceSum(data, bucket.Offset, bucket.Length, ref _requests[_nextToStart]);
            _nextToStart++;
        }
        // MPI moves non-blocking collectives forward only inside MPI calls: give the oldest one a push.
        if (_nextToStart > 0) _communicator.Test(ref _requests[0]);
    }

    private void Reset()
    {
        for (var b = 0; b < _buckets.Length; b++) _pendingFloats[b] = _buckets[b].Length;
        _nextToStart = 0;
    }

    private static void Scale(Span<float> values, float factor)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var f = new Vector<float>(factor);
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
                (new Vector<float>(values[i..]) * f).CopyTo(values[i..]);
        }
        for (; i < values.Length; i++) values[i] *= factor;
    }

    private static void CheckBuckets(GradientBucket[] buckets, int length)
    {
        var covered = new bool[length];
        foreach (var bucket in buckets)
        {
            if (bucket.Offset < 0 || bucket.End > length)
                throw new ArgumentException($"Bucket [{bucket.Offset}, {bucket.End}) lies outside the gradient buffer of {length}.");
            for (var i = bucket.Offset; i < bucket.End; i++)
            {
                if (covered[i]) throw new ArgumentException($"Gradient element {i} lies in two buckets.");
                covered[i] = true;
            }
        }
        var missing = Array.IndexOf(covered, false);
        if (missing >= 0) throw new ArgumentException($"Gradient element {missing} lies in no bucket.");
    }
}
