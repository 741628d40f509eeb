using System.Runtime.InteropServices;

namespace DslNet;

/// <summary>Which MPI implementation is loaded: the two differ in how handles and sentinels are spelled in the ABI.</summary>
public enum MpiFlavor
{
    /// <summary>Open MPI (<c>libmpi.so.40</c>): handles are addresses of exported globals, requests are pointers.</summary>
    OpenMpi,

    /// <summary>MPICH (<c>libmpich.so.12</c>): handles are 32-bit integer constants, requests are 32-bit integers.</summary>
    Mpich,
}

/// <summary>
/// The handful of MPI calls data parallelism needs, bound at run time to Open MPI's <c>libmpi.so.40</c> or
/// MPICH's <c>libmpich.so.12</c> (or the library named by <c>DSLNET_MPI_LIBRARY</c>) through unmanaged function
/// pointers.
/// </summary>
/// <remarks>
/// <para>
/// Why not a NuGet binding: MPI.NET 1.4.0 P/Invokes Windows' <c>msmpi.dll</c> with MS-MPI's integer handles and
/// crashes on Open MPI. The C API is the same everywhere, but its handles are not an ABI: Open MPI's
/// <c>MPI_COMM_WORLD</c> is <c>&amp;ompi_mpi_comm_world</c> (so we read the addresses of the exported globals),
/// MPICH's is the integer <c>0x44000000</c>. The sentinels differ too: <c>MPI_IN_PLACE</c> is 1 in Open MPI and −1
/// in MPICH, <c>MPI_STATUS_IGNORE</c> is NULL in Open MPI and 1 in MPICH (NULL aborts MPICH). Every handle is passed
/// as a pointer-sized integer: on x86-64 and arm64 an <c>int</c> argument is the low half of its register, so
/// MPICH's 32-bit handles travel correctly. Requests are 8 bytes in Open MPI and 4 in MPICH; each request gets an
/// 8-byte zeroed slot, of which MPICH uses the low (little-endian) half.
/// </para>
/// <para>
/// The library is opened with <c>RTLD_GLOBAL</c> (as mpi4py does): Open MPI's plugins resolve symbols of
/// <c>libmpi</c> when they are loaded, which fails if the library was opened locally.
/// </para>
/// </remarks>
internal sealed unsafe class MpiLibrary
{
    private const int MpiSuccess = 0;
    private const int ThreadFunneled = 1;
    private const int RtldNow = 0x2;
    private const int RtldGlobal = 0x100;

    private static readonly string[] Candidates = ["libmpi.so.40", "libmpich.so.12", "libmpi.so.12", "libmpi.so"];

    private readonly delegate* unmanaged<int*, int> _initialized;
    private readonly delegate* unmanaged<int*, int> _finalized;
    private readonly delegate* unmanaged<int*, nint, int, int*, int> _initThread;
    private readonly delegate* unmanaged<int> _finalize;
    private readonly delegate* unmanaged<nint, int*, int> _commRank;
    private readonly delegate* unmanaged<nint, int*, int> _commSize;
    private readonly delegate* unmanaged<void*, int, nint, int, nint, int> _bcast;
    private readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> _allreduce;
    private readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, long*, int> _iallreduce;
    private readonly delegate* unmanaged<long*, nint, int> _wait;
    private readonly delegate* unmanaged<long*, int*, nint, int> _test;
    private readonly delegate* unmanaged<nint, int> _barrier;
    private readonly delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int> _allgatherv;
    private readonly delegate* unmanaged<nint, int, int> _abort;

    private MpiLibrary(string path, nint handle)
    {
        Path = path;
        Flavor = TryExport(handle, "ompi_mpi_comm_world") != 0 ? MpiFlavor.OpenMpi : MpiFlavor.Mpich;
        _initialized = (delegate* unmanaged<int*, int>)Export(handle, "MPI_Initialized");
        _finalized = (delegate* unmanaged<int*, int>)Export(handle, "MPI_Finalized");
        _initThread = (delegate* unmanaged<int*, nint, int, int*, int>)Export(handle, "MPI_Init_thread");
        _finalize = (delegate* unmanaged<int>)Export(handle, "MPI_Finalize");
        _commRank = (delegate* unmanaged<nint, int*, int>)Export(handle, "MPI_Comm_rank");
        _commSize = (delegate* unmanaged<nint, int*, int>)Export(handle, "MPI_Comm_size");
        _bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Export(handle, "MPI_Bcast");
        _allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Export(handle, "MPI_Allreduce");
        _iallreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, long*, int>)Export(handle, "MPI_Iallreduce");
        _wait = (delegate* unmanaged<long*, nint, int>)Export(handle, "MPI_Wait");
        _test = (delegate* unmanaged<long*, int*, nint, int>)Export(handle, "MPI_Test");
        _barrier = (delegate* unmanaged<nint, int>)Export(handle, "MPI_Barrier");
        _allgatherv = (delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int>)Export(handle, "MPI_Allgatherv");
        _abort = (delegate* unmanaged<nint, int, int>)Export(handle, "MPI_Abort");

        if (Flavor == MpiFlavor.OpenMpi)
        {
            CommWorld = Export(handle, "ompi_mpi_comm_world");
            Float = Export(handle, "ompi_mpi_float");
            Double = Export(handle, "ompi_mpi_double");
            Int = Export(handle, "ompi_mpi_int");
            Sum = Export(handle, "ompi_mpi_op_sum");
            Max = Export(handle, "ompi_mpi_op_max");
            InPlace = 1;
            StatusIgnore = 0;
        }
        else
        {
            // MPICH 4's mpi.h.
            CommWorld = 0x44000000;
            Float = 0x4c00040a;
            Double = 0x4c00080b;
            Int = 0x4c000405;
            Sum = 0x58000003;
            Max = 0x58000001;
            InPlace = -1;
            StatusIgnore = 1;
        }
    }

    public string Path { get; }
    public MpiFlavor Flavor { get; }
    public nint CommWorld { get; }
    public nint Float { get; }
    public nint Double { get; }
    public nint Int { get; }
    public nint Sum { get; }
    public nint Max { get; }
    public nint InPlace { get; }
    public nint StatusIgnore { get; }

    /// <summary>Opens the MPI library: <c>DSLNET_MPI_LIBRARY</c> if set, else the first of Open MPI's and MPICH's sonames found.</summary>
    /// <exception cref="DllNotFoundException">No MPI library could be opened; the message says what to install.</exception>
    public static MpiLibrary Load()
    {
        var overridden = Environment.GetEnvironmentVariable("DSLNET_MPI_LIBRARY");
        var names = string.IsNullOrWhiteSpace(overridden) ? Candidates : [overridden];
        var errors = new List<string>();
        foreach (var name in names)
        {
            var handle = Dl.Open(name, RtldNow | RtldGlobal);
            if (handle != 0) return new MpiLibrary(name, handle);
            errors.Add($"{name}: {Dl.LastError()}");
        }
        throw new DllNotFoundException(
            "No MPI library found (install Open MPI: apt-get install openmpi-bin, or MPICH: apt-get install mpich; " +
            "or name the library in DSLNET_MPI_LIBRARY). Tried: " + string.Join("; ", errors));
    }

    public bool IsInitialized
    {
        get
        {
            int flag;
            Check(_initialized(&flag), "MPI_Initialized");
            return flag != 0;
        }
    }

    public bool IsFinalized
    {
        get
        {
            int flag;
            Check(_finalized(&flag), "MPI_Finalized");
            return flag != 0;
        }
    }

    /// <summary>MPI_Init_thread with MPI_THREAD_FUNNELED: only the thread that drives training calls MPI.</summary>
    public void Init()
    {
        int provided;
        Check(_initThread(null, 0, ThreadFunneled, &provided), "MPI_Init_thread");
    }

    public void FinalizeMpi() => Check(_finalize(), "MPI_Finalize");

    public int Rank(nint comm)
    {
        int rank;
        Check(_commRank(comm, &rank), "MPI_Comm_rank");
        return rank;
    }

    public int Size(nint comm)
    {
        int size;
        Check(_commSize(comm, &size), "MPI_Comm_size");
        return size;
    }

    public void Broadcast(void* buffer, int count, nint type, int root, nint comm) =>
        Check(_bcast(buffer, count, type, root, comm), "MPI_Bcast");

    /// <summary>In-place allreduce of <paramref name="count"/> elements.</summary>
    public void AllReduce(void* buffer, int count, nint type, nint op, nint comm) =>
        Check(_allreduce((void*)InPlace, buffer, count, type, op, comm), "MPI_Allreduce");

    /// <summary>Starts an in-place non-blocking allreduce; <paramref name="request"/> is an 8-byte slot.</summary>
    public void StartAllReduce(void* buffer, int count, nint type, nint op, nint comm, long* request)
    {
        *request = 0;
        Check(_iallreduce((void*)InPlace, buffer, count, type, op, comm, request), "MPI_Iallreduce");
    }

    public void Wait(long* request) => Check(_wait(request, StatusIgnore), "MPI_Wait");

    /// <summary>Lets a pending request make progress; true when it is complete.</summary>
    public bool Test(long* request)
    {
        int flag;
        Check(_test(request, &flag, StatusIgnore), "MPI_Test");
        return flag != 0;
    }

    public void Barrier(nint comm) => Check(_barrier(comm), "MPI_Barrier");

    public void AllGatherV(void* send, int sendCount, void* receive, int* counts, int* displacements, nint type, nint comm) =>
        Check(_allgatherv(send, sendCount, type, receive, counts, displacements, type, comm), "MPI_Allgatherv");

    public void Abort(nint comm, int code) => _abort(comm, code);

    private static void Check(int code, string call)
    {
        if (code != MpiSuccess)
            throw new InvalidOperationException($"{call} failed with MPI error code {code}.");
    }

    private static nint Export(nint handle, string name) =>
        TryExport(handle, name) is var address and not 0
            ? address
            : throw new EntryPointNotFoundException($"The MPI library does not export '{name}'.");

    private static nint TryExport(nint handle, string name) =>
        NativeLibrary.TryGetExport(handle, name, out var address) ? address : 0;

    /// <summary>dlopen with RTLD_GLOBAL, which <see cref="NativeLibrary.Load(string)"/> does not offer.</summary>
    private static class Dl
    {
        [DllImport("libc.so.6", EntryPoint = "dlopen")]
        private static extern nint DlOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int mode);

        [DllImport("libc.so.6", EntryPoint = "dlerror")]
        private static extern nint DlError();

        public static nint Open(string file, int mode) => DlOpen(file, mode);

        public static string LastError() => Marshal.PtrToStringUTF8(DlError()) ?? "unknown error";
    }
}
