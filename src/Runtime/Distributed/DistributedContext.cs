namespace DslNet;

/// <summary>
/// This process's place in a data-parallel job (its rank among <see cref="Size"/> processes) and the collectives
/// between them, over MPI. Give it to <see cref="TrainerOptions.Distributed"/> and the <see cref="Trainer"/> does
/// the rest (broadcast from rank 0, sharded batches, averaged gradients, combined metrics, rank-0 output).
/// </summary>
/// <example>
/// <code>
/// // mpirun -np 2 dotnet MyApp.dll   (scripts/mpirun.sh sets what root, containers and 2-core machines need)
/// using var world = DistributedContext.FromEnvironment();   // a world of one without mpirun
/// var trainer = new Trainer(model, new TrainerOptions { BatchSize = 512, Distributed = world });
/// </code>
/// </example>
/// <remarks>
/// MPI is initialized once per process and finalized when the context is disposed (or at process exit). In a job of
/// more than one rank, an exception nobody catches ends the whole job through <c>MPI_Abort</c> with the exception's
/// message, instead of leaving the other ranks waiting forever in a collective.
/// </remarks>
public sealed class DistributedContext : IDisposable, Kernels.Cpu.IStatisticsReducer
{
    private static readonly object Gate = new();
    private static DistributedContext? _mpiWorld;

    private readonly Communicator _communicator;

    private DistributedContext(Communicator communicator)
    {
        _communicator = communicator;
        Rank = communicator.Rank;
        Size = communicator.Size;
    }

    /// <summary>A world of one: no MPI is loaded; every collective is the identity.</summary>
    public static DistributedContext Single { get; } = new(new SingleProcessCommunicator());

    /// <summary>
    /// The MPI world when this process was started by <c>mpirun</c>/<c>mpiexec</c> (Open MPI's
    /// <c>OMPI_COMM_WORLD_SIZE</c>, MPICH's <c>PMI_SIZE</c> or PMIx's <c>PMIX_RANK</c> is set), otherwise
    /// <see cref="Single"/>: a plain <c>dotnet run</c> neither needs nor loads MPI.
    /// </summary>
    public static DistributedContext FromEnvironment() =>
        LaunchedByMpi() ? Mpi() : Single;

    /// <summary>Initializes MPI (once per process; later calls return the same world), even without <c>mpirun</c> (an MPI singleton).</summary>
    /// <exception cref="DllNotFoundException">Neither Open MPI nor MPICH is installed.</exception>
    public static DistributedContext Mpi()
    {
        lock (Gate)
        {
            if (_mpiWorld is not null) return _mpiWorld;
            var world = new DistributedContext(new MpiCommunicator(MpiLibrary.Load()));
            AppDomain.CurrentDomain.ProcessExit += (_, _) => world.Dispose();
            if (world.Size > 1)
                AppDomain.CurrentDomain.UnhandledException += (_, e) =>
                    world.Abort($"unhandled {e.ExceptionObject.GetType().Name}: {(e.ExceptionObject as Exception)?.Message}");
            return _mpiWorld = world;
        }
    }

    /// <summary>This process's rank, 0 to <see cref="Size"/> − 1.</summary>
    public int Rank { get; }

    /// <summary>Processes in the job.</summary>
    public int Size { get; }

    /// <summary>Rank 0: the one that prints, writes checkpoints and whose state the others start from.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>More than one process.</summary>
    public bool IsDistributed => Size > 1;

    /// <summary>The backend: "single process", or the MPI flavour and library.</summary>
    public string Backend => _communicator.Description;

    internal Communicator Communicator => _communicator;

    /// <summary>Overwrites <paramref name="values"/> on every rank with root's.</summary>
    public void Broadcast(Span<float> values, int root = 0) => _communicator.Broadcast(values, CheckRoot(root));

    /// <summary>Overwrites <paramref name="values"/> on every rank with root's.</summary>
    public void Broadcast(Span<double> values, int root = 0) => _communicator.Broadcast(values, CheckRoot(root));

    /// <summary>Element-wise sum over ranks, in place, the same result on every rank.</summary>
    public void AllReduceSum(Span<float> values) => _communicator.AllReduceSum(values);

    /// <summary>Element-wise sum over ranks, in place, the same result on every rank.</summary>
    public void AllReduceSum(Span<double> values) => _communicator.AllReduceSum(values);

    /// <summary>Element-wise maximum over ranks, in place.</summary>
    public void AllReduceMax(Span<double> values) => _communicator.AllReduceMax(values);

    /// <summary>
    /// Concatenates every rank's <paramref name="local"/> (rank order) into <paramref name="all"/> on every rank;
    /// <paramref name="counts"/>[r] is rank r's length (see <see cref="Shard"/> for the usual split).
    /// </summary>
    public void AllGather(ReadOnlySpan<float> local, Span<float> all, ReadOnlySpan<int> counts) => _communicator.AllGather(local, all, counts);

    /// <summary>Waits until every rank arrives.</summary>
    public void Barrier() => _communicator.Barrier();

    /// <summary>
    /// This rank's contiguous part of <paramref name="total"/> items split as evenly as possible (the first
    /// <c>total % Size</c> ranks get one more), as an (offset, count) pair; rank r's part follows rank r − 1's.
    /// </summary>
    public (int Offset, int Count) Shard(int total) => Shard(total, Rank, Size);

    /// <inheritdoc cref="Shard(int)"/>
    public static (int Offset, int Count) Shard(int total, int rank, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, size);
        var (quotient, remainder) = Math.DivRem(total, size);
        return (rank * quotient + Math.Min(rank, remainder), quotient + (rank < remainder ? 1 : 0));
    }

    /// <summary>
    /// Ends the whole job: writes <c>rank r/n: reason</c> to standard error and calls <c>MPI_Abort</c>, which makes
    /// <c>mpirun</c> kill every rank and exit non-zero. Alone, exits the process with <paramref name="code"/>.
    /// </summary>
    public void Abort(string reason, int code = 1)
    {
        Console.Error.WriteLine($"DslNet distributed: rank {Rank}/{Size} aborts the job: {reason}");
        Console.Error.Flush();
        Console.Out.Flush();
        _communicator.Abort(code);
    }

    /// <summary>Finalizes MPI (if this context initialized it); <see cref="Single"/> has nothing to release.</summary>
    public void Dispose() => _communicator.Dispose();

    internal static bool LaunchedByMpi() =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null
        || Environment.GetEnvironmentVariable("PMI_SIZE") is not null
        || Environment.GetEnvironmentVariable("PMIX_RANK") is not null;

    private int CheckRoot(int root)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, Size);
        return root;
    }
}
