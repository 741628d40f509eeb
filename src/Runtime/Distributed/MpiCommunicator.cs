using System.Runtime.InteropServices;

namespace DslNet;

/// <summary>MPI_COMM_WORLD through <see cref="MpiLibrary"/>. Initializes MPI if nobody has, finalizes what it initialized.</summary>
internal sealed unsafe class MpiCommunicator : Communicator
{
    private readonly MpiLibrary _mpi;
    private readonly nint _comm;
    private readonly bool _ownsInit;
    private bool _disposed;

    public MpiCommunicator(MpiLibrary mpi)
    {
        _mpi = mpi;
        if (mpi.IsFinalized)
            throw new InvalidOperationException("MPI was already finalized in this process; it cannot be initialized again.");
        if (!mpi.IsInitialized)
        {
            mpi.Init();
            _ownsInit = true;
        }
        _comm = mpi.CommWorld;
        Rank = mpi.Rank(_comm);
        Size = mpi.Size(_comm);
        Description = $"{mpi.Flavor} ({mpi.Path})";
    }

    public override int Rank { get; }
    public override int Size { get; }
    public override string Description { get; }

    public override void Broadcast(Span<float> values, int root)
    {
        fixed (float* p = values) _mpi.Broadcast(p, values.Length, _mpi.Float, root, _comm);
    }

    public override void Broadcast(Span<double> values, int root)
    {
        fixed (double* p = values) _mpi.Broadcast(p, values.Length, _mpi.Double, root, _comm);
    }

    public override void AllReduceSum(Span<float> values)
    {
        fixed (float* p = values) _mpi.AllReduce(p, values.Length, _mpi.Float, _mpi.Sum, _comm);
    }

    public override void AllReduceSum(Span<double> values)
    {
        fixed (double* p = values) _mpi.AllReduce(p, values.Length, _mpi.Double, _mpi.Sum, _comm);
    }

    public override void AllReduceMax(Span<double> values)
    {
        fixed (double* p = values) _mpi.AllReduce(p, values.Length, _mpi.Double, _mpi.Max, _comm);
    }

    public override void StartAllReduceSum(float[] pinned, int start, int count, ref PendingReduction request)
    {
        if (request.Active) throw new InvalidOperationException("This bucket's previous allreduce has not been waited for.");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, pinned.Length);
        var address = (float*)Marshal.UnsafeAddrOfPinnedArrayElement(pinned, start);
        fixed (long* slot = &request.Handle) _mpi.StartAllReduce(address, count, _mpi.Float, _mpi.Sum, _comm, slot);
        request.Active = true;
    }

    public override void Wait(ref PendingReduction request)
    {
        if (!request.Active) return;
        fixed (long* slot = &request.Handle) _mpi.Wait(slot);
        request.Active = false;
    }

    public override bool Test(ref PendingReduction request)
    {
        if (!request.Active) return true;
        fixed (long* slot = &request.Handle)
            if (!_mpi.Test(slot)) return false;
        request.Active = false;
        return true;
    }

    public override void AllGather(ReadOnlySpan<float> local, Span<float> all, ReadOnlySpan<int> counts)
    {
        if (counts.Length != Size)
            throw new ArgumentException($"Expected one count per rank ({Size}); got {counts.Length}.", nameof(counts));
        if (counts[Rank] != local.Length)
            throw new ArgumentException($"Rank {Rank}'s count is {counts[Rank]}, but it contributes {local.Length} values.", nameof(counts));
        Span<int> displacements = stackalloc int[Size];
        var total = 0;
        for (var r = 0; r < Size; r++)
        {
            displacements[r] = total;
            total += counts[r];
        }
        if (all.Length < total)
            throw new ArgumentException($"The destination holds {all.Length} values; the ranks contribute {total}.", nameof(all));
        fixed (float* send = local)
        fixed (float* receive = all)
        fixed (int* c = counts)
        fixed (int* d = displacements)
            _mpi.AllGatherV(send, local.Length, receive, c, d, _mpi.Float, _comm);
    }

    public override void Barrier() => _mpi.Barrier(_comm);

    public override void Abort(int code)
    {
        _mpi.Abort(_comm, code);
        Environment.Exit(code); // MPI_Abort does not return; this is for a library that does.
    }

    public override void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_ownsInit && !_mpi.IsFinalized) _mpi.FinalizeMpi();
    }
}
