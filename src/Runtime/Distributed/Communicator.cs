namespace DslNet;

/// <summary>
/// The collective operations data parallelism uses, over one group of processes. Buffers passed to the
/// non-blocking form must stay where they are until the request completes (the flat buffers are pinned).
/// </summary>
internal abstract class Communicator : IDisposable
{
    public abstract int Rank { get; }
    public abstract int Size { get; }
    public abstract string Description { get; }

    public abstract void Broadcast(Span<float> values, int root);
    public abstract void Broadcast(Span<double> values, int root);
    public abstract void AllReduceSum(Span<float> values);
    public abstract void AllReduceSum(Span<double> values);
    public abstract void AllReduceMax(Span<double> values);

    /// <summary>Starts an in-place sum of <paramref name="count"/> floats at <paramref name="start"/> of a pinned array; completes in <see cref="Wait"/>.</summary>
    public abstract void StartAllReduceSum(float[] pinned, int start, int count, ref PendingReduction request);

    public abstract void Wait(ref PendingReduction request);

    /// <summary>Lets the library progress pending requests (MPI progresses non-blocking collectives only inside MPI calls).</summary>
    public abstract bool Test(ref PendingReduction request);

    /// <summary>Every rank's <paramref name="local"/> values, concatenated in rank order, into <paramref name="all"/>; <paramref name="counts"/> holds each rank's count.</summary>
    public abstract void AllGather(ReadOnlySpan<float> local, Span<float> all, ReadOnlySpan<int> counts);

    public abstract void Barrier();

    /// <summary>Ends every process of the group with <paramref name="code"/>; does not return.</summary>
    public abstract void Abort(int code);

    public abstract void Dispose();
}

/// <summary>An 8-byte MPI request slot (Open MPI's requests are pointers, MPICH's 32-bit integers) and whether it is live.</summary>
internal struct PendingReduction
{
    public long Handle;
    public bool Active;
}

/// <summary>A world of one: every collective is the identity, so code written for many ranks runs unchanged alone.</summary>
internal sealed class SingleProcessCommunicator : Communicator
{
    public override int Rank => 0;
    public override int Size => 1;
    public override string Description => "single process";

    public override void Broadcast(Span<float> values, int root) => CheckRoot(root);
    public override void Broadcast(Span<double> values, int root) => CheckRoot(root);
    public override void AllReduceSum(Span<float> values) { }
    public override void AllReduceSum(Span<double> values) { }
    public override void AllReduceMax(Span<double> values) { }
    public override void StartAllReduceSum(float[] pinned, int start, int count, ref PendingReduction request) => request.Active = true;
    public override void Wait(ref PendingReduction request) => request.Active = false;
    public override bool Test(ref PendingReduction request) => true;

    public override void AllGather(ReadOnlySpan<float> local, Span<float> all, ReadOnlySpan<int> counts)
    {
        if (counts.Length != 1 || counts[0] != local.Length)
            throw new ArgumentException($"A world of one gathers one count equal to the local length ({local.Length}).", nameof(counts));
        local.CopyTo(all);
    }

    public override void Barrier() { }

    public override void Abort(int code) => Environment.Exit(code);

    public override void Dispose() { }

    private static void CheckRoot(int root) => ArgumentOutOfRangeException.ThrowIfNotEqual(root, 0);
}
