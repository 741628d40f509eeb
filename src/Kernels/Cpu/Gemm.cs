using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DslNet.Kernels.Cpu;

/// <summary>
/// Single-precision GEMM, C[m, n] = A·B with optional transposes, row-major, packed panels and a fused epilogue.
/// Multi-threaded over row blocks on <see cref="CpuThreads.Count"/> threads; small problems stay on the caller.
/// </summary>
public static unsafe class Gemm
{
    // Below this many multiply-adds the fork/join handshake costs more than the second core gains.
    private const long ParallelThreshold = 1L << 19;

    // A k-block of 512 keeps an 8x512 A panel (16 KB) in L1 and the packed B block in L2 for the model's widths;
    // the model's GEMMs all have k <= 512, so they never pay for a second pass over C.
    private const int KBlock = 512;

    // Up to this many micro-rows of A, a row-major B whose columns fill whole panels is read in place, not packed.
    private const int InPlaceBMicroRows = 2;

    internal static GemmIsa Isa { get; set; } = GemmKernels.Detect();

    /// <summary>The register tile (rows × columns of C) of the micro-kernel in use.</summary>
    internal static (int Mr, int Nr) Tile => GemmKernels.TileShape(Isa);

    /// <summary>C = op(A)·op(B); op(A) is m×k (A stored k×m when <paramref name="transposeA"/>), op(B) is k×n
    /// (B stored n×k when <paramref name="transposeB"/>). C is overwritten.</summary>
    public static void Multiply(ReadOnlySpan<float> a, bool transposeA, ReadOnlySpan<float> b, bool transposeB,
        Span<float> c, int m, int n, int k) =>
        Multiply(a, transposeA, b, transposeB, c, m, n, k, default(NoEpilogue));

    /// <summary>As <see cref="Multiply(ReadOnlySpan{float}, bool, ReadOnlySpan{float}, bool, Span{float}, int, int, int)"/>,
    /// then <paramref name="epilogue"/> on every finished tile.</summary>
    public static void Multiply<TEpilogue>(ReadOnlySpan<float> a, bool transposeA, ReadOnlySpan<float> b, bool transposeB,
        Span<float> c, int m, int n, int k, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        CheckShape(a.Length, (long)m * k, nameof(a));
        CheckShape(b.Length, (long)k * n, nameof(b));
        CheckShape(c.Length, (long)m * n, nameof(c));
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            Run(pa, transposeA ? 1 : k, transposeA ? m : 1, pb, transposeB ? 1 : n, transposeB ? k : 1, pc, m, n, k, ref epilogue);
        }
    }

    internal static void CheckShape(int length, long required, string name)
    {
        if (length < required)
        {
            throw new ArgumentException($"Span is too short: {length} elements, {required} required.", name);
        }
    }

    /// <summary>C[m, n] = A·B with A(i, p) = a[i*ars + p*acs], B(p, j) = b[p*brs + j*bcs], C row-major (ldc = n);
    /// with <paramref name="accumulate"/>, C += A·B (a gradient with a second contribution).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Run<TEpilogue>(float* a, int ars, int acs, float* b, int brs, int bcs, float* c,
        int m, int n, int k, ref TEpilogue epilogue, bool accumulate = false)
        where TEpilogue : struct, IGemmEpilogue
    {
        if (m <= 0 || n <= 0)
        {
            return;
        }

        if (k <= 0)
        {
            for (int i = 0; i < m; i++)
            {
                if (!accumulate)
                {
                    new Span<float>(c + (long)i * n, n).Clear();
                }

                epilogue.Apply(c + (long)i * n, n, i, 0, 1, n);
            }

            return;
        }

        var isa = Isa;
        if (n <= 4 && acs == 1 && brs == 1 && !accumulate)
        {
            // Too narrow to fill a register tile (the output layer's x·wᵀ): dot products waste nothing.
            GemmDot.Run(a, ars, b, bcs, c, m, n, k, ref epilogue, isa);
            return;
        }

        RunBlocked(a, ars, acs, b, brs, bcs, null, c, m, n, k, ref epilogue, accumulate);
    }

    /// <summary>Floats that <see cref="PackB"/> writes for a k×n B.</summary>
    internal static long PackedBLength(int n, int k)
    {
        var (_, nr) = GemmKernels.TileShape(Isa);
        return (long)k * ((n + nr - 1) / nr) * nr;
    }

    /// <summary>Packs B (k×n, B(p, j) = b[p·brs + j·bcs]) into the panels of every k-block, in the order
    /// <see cref="RunPacked{TEpilogue}"/> reads them: a GEMM repeated over chunks of A with one B (a convolution's
    /// weights, chunk after chunk of pixels) then packs it once instead of once per chunk.</summary>
    internal static void PackB(float* b, int brs, int bcs, int n, int k, float* packed)
    {
        var (_, nr) = GemmKernels.TileShape(Isa);
        int kc = KBlockLength(k), panels = (n + nr - 1) / nr;
        for (int k0 = 0; k0 < k; k0 += kc)
        {
            int depth = Math.Min(kc, k - k0);
            for (int p = 0; p < panels; p++)
            {
                int n0 = p * nr;
                GemmPacking.PackB(b, brs, bcs, n0, Math.Min(nr, n - n0), k0, depth, packed + (long)k0 * panels * nr + (long)p * depth * nr, nr);
            }
        }
    }

    /// <summary>C = A·B (or C += A·B) with B already packed by <see cref="PackB"/> for the same n and k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RunPacked<TEpilogue>(float* a, int ars, int acs, float* packedB, float* c, int m, int n, int k,
        ref TEpilogue epilogue, bool accumulate = false)
        where TEpilogue : struct, IGemmEpilogue
    {
        if (m <= 0 || n <= 0 || k <= 0)
        {
            throw new ArgumentException($"A packed GEMM needs m, n and k above zero (m = {m}, n = {n}, k = {k}).");
        }

        RunBlocked(a, ars, acs, null, 0, 0, packedB, c, m, n, k, ref epilogue, accumulate);
    }

    // k-blocks of at most KBlock, all but the last the same length.
    private static int KBlockLength(int k)
    {
        int blocks = (k + KBlock - 1) / KBlock;
        return (k + blocks - 1) / blocks;
    }

    // The blocked GEMM; B is packed per k-block by the tasks, or read from prepackedB (laid out by PackB).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunBlocked<TEpilogue>(float* a, int ars, int acs, float* b, int brs, int bcs, float* prepackedB, float* c,
        int m, int n, int k, ref TEpilogue epilogue, bool accumulate)
        where TEpilogue : struct, IGemmEpilogue
    {
        var isa = Isa;
        var (mr, nr) = GemmKernels.TileShape(isa);
        int kc = KBlockLength(k);
        int panels = (n + nr - 1) / nr;
        int microRows = (m + mr - 1) / mr;
        int threads = (long)m * n * k < ParallelThreshold ? 1 : Math.Min(CpuThreads.Count, microRows);

        // Enough row tasks per thread that dynamic claiming evens out a thread that starts late.
        int microPerTask = threads == 1 ? microRows : Math.Max(1, microRows / (threads * 4));
        int rowTasks = (microRows + microPerTask - 1) / microPerTask;
        int panelsPerTask = threads == 1 ? panels : Math.Max(1, panels / (threads * 2));

        // With a micro-row or two (a weight gradient with a first layer's patch of 9 as its rows, or an output layer's
        // ten), packing B costs more than the kernels that read it: the 6x16 kernel reads a row-major B in place.
        bool bInPlace = prepackedB == null && isa == GemmIsa.Vector256 && bcs == 1 && n % nr == 0 && microRows <= InPlaceBMicroRows;
        int packTasks = prepackedB != null || bInPlace ? 0 : (panels + panelsPerTask - 1) / panelsPerTask;

        var job = new GemmJob<TEpilogue>
        {
            A = a, ARowStride = ars, AColStride = acs,
            B = b, BRowStride = brs, BColStride = bcs,
            C = c, M = m, N = n,
            Mr = mr, Nr = nr, Isa = isa,
            Panels = panels, PanelsPerTask = panelsPerTask, PackTasks = packTasks,
            MicroRows = microRows, MicroPerTask = microPerTask,
            PackedB = prepackedB != null || bInPlace ? prepackedB : GemmScratch.PackedB((long)kc * panels * nr),
            BStep = bInPlace ? brs : nr,
            Epilogue = epilogue,
        };

        for (int k0 = 0; k0 < k; k0 += kc)
        {
            job.K0 = k0;
            job.Kc = Math.Min(kc, k - k0);
            job.BPanelStride = bInPlace ? nr : job.Kc * nr;
            job.Accumulate = k0 > 0 || accumulate;
            job.Last = k0 + kc >= k;
            if (prepackedB != null)
            {
                job.PackedB = prepackedB + (long)k0 * panels * nr;
                job.PackedPanels = panels;
            }
            else if (bInPlace)
            {
                job.PackedB = b + (long)k0 * brs;
                job.PackedPanels = panels;
            }
            else
            {
                job.PackedPanels = 0;
            }

            WorkerPool.Run(&GemmJob<TEpilogue>.RunTask, Unsafe.AsPointer(ref job), packTasks + rowTasks, threads);
        }
    }
}

/// <summary>
/// One k-block of a GEMM as a task list: first the B-packing tasks, then row-block tasks that wait for packing
/// to finish. Tasks are claimed in order, so a thread waiting on packing knows the packers are running.
/// </summary>
internal unsafe struct GemmJob<TEpilogue>
    where TEpilogue : struct, IGemmEpilogue
{
    public float* A;
    public int ARowStride;
    public int AColStride;
    public float* B;
    public int BRowStride;
    public int BColStride;
    public float* C;
    public int M;
    public int N;
    public int Mr;
    public int Nr;
    public GemmIsa Isa;
    public int Panels;
    public int PanelsPerTask;
    public int PackTasks;
    public int MicroRows;
    public int MicroPerTask;
    public float* PackedB;
    public int K0;
    public int Kc;
    public bool Accumulate;
    public bool Last;
    public int PackedPanels;

    // Where panel p's step k is: PackedB + p·BPanelStride + k·BStep (packed panels: Kc·Nr and Nr; B in place: Nr and its row).
    public int BStep;
    public int BPanelStride;
    public TEpilogue Epilogue;

    public static void RunTask(void* context, int task, int thread)
    {
        ref var job = ref Unsafe.AsRef<GemmJob<TEpilogue>>(context);
        if (task < job.PackTasks)
        {
            job.Pack(task);
        }
        else
        {
            job.Compute(task - job.PackTasks);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pack(int task)
    {
        int first = task * PanelsPerTask;
        int last = Math.Min(Panels, first + PanelsPerTask);
        for (int p = first; p < last; p++)
        {
            int n0 = p * Nr;
            GemmPacking.PackB(B, BRowStride, BColStride, n0, Math.Min(Nr, N - n0), K0, Kc, PackedB + (long)p * Kc * Nr, Nr);
        }

        Interlocked.Add(ref PackedPanels, last - first);
    }

    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Compute(int task)
    {
        if (Volatile.Read(ref PackedPanels) != Panels)
        {
            var wait = default(JoinWait);
            while (Volatile.Read(ref PackedPanels) != Panels)
            {
                wait.Pause();
            }
        }

        float* tile = stackalloc float[Mr * Nr];
        float* packedA = GemmScratch.PackedA((long)Mr * Kc);
        int firstMicro = task * MicroPerTask;
        int lastMicro = Math.Min(MicroRows, firstMicro + MicroPerTask);
        for (int micro = firstMicro; micro < lastMicro; micro++)
        {
            int m0 = micro * Mr;
            int rows = Math.Min(Mr, M - m0);

            // The 6x16 kernel reads a whole micro-panel of a row-major A, or of a transposed one (six adjacent values
            // per k), in place (see Kernel6x16); the others pack it.
            bool inPlace = Isa == GemmIsa.Vector256 && (AColStride == 1 || ARowStride == 1) && rows == Mr;
            float* panelA = packedA;
            int aRowStride = 1, aStep = Mr;
            if (inPlace)
            {
                panelA = A + (long)m0 * ARowStride + (long)K0 * AColStride;
                aRowStride = ARowStride;
                aStep = AColStride;
            }
            else
            {
                GemmPacking.PackA(A, ARowStride, AColStride, m0, rows, K0, Kc, packedA, Mr);
            }

            for (int p = 0; p < Panels; p++)
            {
                int n0 = p * Nr;
                int columns = Math.Min(Nr, N - n0);
                float* target = C + (long)m0 * N + n0;
                float* packed = PackedB + (long)p * BPanelStride;
                if (rows == Mr && columns == Nr)
                {
                    Kernel(panelA, aRowStride, aStep, packed, target, N, Accumulate);
                }
                else
                {
                    Kernel(panelA, aRowStride, aStep, packed, tile, Nr, false);
                    MergeEdge(tile, target, rows, columns);
                }

                if (Last)
                {
                    Epilogue.Apply(target, N, m0, n0, rows, columns);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly void Kernel(float* panelA, int aRowStride, int aStep, float* packedB, float* target, int ldc, bool accumulate)
    {
        switch (Isa)
        {
            case GemmIsa.Vector512:
                GemmKernels.Kernel8x32(Kc, panelA, packedB, target, ldc, accumulate);
                break;
            case GemmIsa.Vector256:
                GemmKernels.Kernel6x16(Kc, panelA, aRowStride, aStep, packedB, BStep, target, ldc, accumulate);
                break;
            default:
                GemmKernels.Kernel4x8(Kc, panelA, packedB, target, ldc, accumulate);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly void MergeEdge(float* tile, float* target, int rows, int columns)
    {
        for (int i = 0; i < rows; i++)
        {
            float* src = tile + i * Nr;
            float* dst = target + (long)i * N;
            for (int j = 0; j < columns; j++)
            {
                dst[j] = Accumulate ? dst[j] + src[j] : src[j];
            }
        }
    }
}

/// <summary>Per-thread packing buffers on the pinned object heap: grown during warm-up, then reused forever.</summary>
internal static unsafe class GemmScratch
{
    [ThreadStatic]
    private static float[]? packedA;

    [ThreadStatic]
    private static float[]? packedB;

    public static float* PackedA(long length) => Ensure(ref packedA, length);

    public static float* PackedB(long length) => Ensure(ref packedB, length);

    private static float* Ensure(ref float[]? buffer, long length)
    {
        if (buffer is null || buffer.Length < length + 16)
        {
            // 64-byte alignment for zmm loads comes from over-allocating and offsetting.
            buffer = GC.AllocateUninitializedArray<float>(checked((int)length + 16), pinned: true);
        }

        var p = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        return (float*)(((nint)p + 63) & ~(nint)63);
    }
}
