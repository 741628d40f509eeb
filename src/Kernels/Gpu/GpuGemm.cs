using ILGPU;

namespace DslNet.Kernels.Gpu;

/// <summary>
/// A GEMM epilogue on the device: receives each finished element of C with its (row, column) and writes whatever the
/// fused block needs (bias, activation, dropout, the previous block's activation backward). A struct, passed as a
/// generic argument, so ILGPU specializes and inlines it into the GEMM.
/// </summary>
public interface IGpuEpilogue
{
    void Store(int row, int column, float value);
}

/// <summary>
/// Tiled GEMM through shared memory: C[m, n] = Σ_k A(m, k)·B(k, n) with A(m, k) = a[m·aRow + k·aCol] and
/// B(k, n) = b[k·bRow + n·bCol], so one routine serves x·Wᵀ (forward), g·W (input gradient) and gᵀ·x (weight
/// gradient). Group <see cref="Tile"/>×<see cref="Tile"/>; each thread owns a <see cref="Work"/>×<see cref="Work"/>
/// block of C. Tiles are loaded along whichever index is contiguous, so global reads coalesce for every layout.
/// </summary>
public static class GpuGemm
{
    /// <summary>Threads per group side.</summary>
    public const int Threads = 16;

    /// <summary>Outputs per thread side (register blocking).</summary>
    public const int Work = 4;

    /// <summary>Elements of C per group side, and of K per shared-memory step.</summary>
    public const int Tile = Threads * Work;

    private const int KStep = 16;
    private const int Padded = Tile + 1;

    /// <summary>Reduction length per split of <see cref="RunSplit"/>: below twice this, one group reduces the whole of k.</summary>
    public const int SplitLength = 512;

    /// <summary>Most splits of k.</summary>
    public const int MaxSplits = 128;

    /// <summary>Groups a split GEMM aims at (tiles × splits): several per multiprocessor of a large GPU. It also bounds the
    /// partial products to <see cref="PartialCapacity"/> floats whatever the weight's size.</summary>
    public const int TargetGroups = 1024;

    public static KernelConfig Config(int m, int n) =>
        new(new Index2D((n + Tile - 1) / Tile, (m + Tile - 1) / Tile), new Index2D(Threads, Threads));

    /// <summary>How many groups share the reduction of a k this long in <see cref="RunSplit"/> for an m × n C: one per
    /// <see cref="SplitLength"/> of k, at most <see cref="MaxSplits"/>, and no more than fill <see cref="TargetGroups"/>
    /// with C's tiles (a wide C already has parallelism of its own).</summary>
    public static int Splits(int m, int n, int k)
    {
        int tiles = ((m + Tile - 1) / Tile) * ((n + Tile - 1) / Tile);
        int byLength = Math.Min(Math.Max(k / SplitLength, 1), MaxSplits); // no Math.Clamp: it can throw, which kernels cannot
        return Math.Max(1, Math.Min(byLength, TargetGroups / tiles));
    }

    /// <summary>Floats of partial products <see cref="RunSplit"/> needs for C of at most <paramref name="largestProduct"/>
    /// elements: splits × m·n, bounded by <see cref="MaxSplits"/> copies and by <see cref="TargetGroups"/> full tiles.</summary>
    public static long PartialCapacity(int largestProduct) => Math.Min((long)MaxSplits * largestProduct, (long)TargetGroups * Tile * Tile);

    /// <summary>The grid of <see cref="RunSplit"/>: <see cref="Config"/>'s tiles times <see cref="Splits"/> along z.</summary>
    public static KernelConfig SplitConfig(int m, int n, int k) =>
        new(new Index3D((n + Tile - 1) / Tile, (m + Tile - 1) / Tile, Splits(m, n, k)), new Index3D(Threads, Threads, 1));

    /// <summary>The grid of <see cref="SumSplits"/>.</summary>
    public static KernelConfig SumConfig(int m, int n) => GpuElementwise.Config((long)m * n);

    /// <summary>
    /// <see cref="Run"/> for a short, wide C and a long k (the weight gradient, which reduces over the whole batch): a
    /// 256×128 C is only eight tiles, so at a large batch eight groups would do all the work. Group z takes one
    /// contiguous range of k and writes its partial product to <paramref name="partials"/>[z]; <see cref="SumSplits"/>
    /// then adds the partials in split order (deterministic) and hands each sum to the epilogue. With one split the
    /// group writes through <paramref name="epilogue"/> directly and no sum pass is needed.
    /// </summary>
    public static void RunSplit<TA, TB, TEpilogue>(TA a, int aRow, int aCol, TB b, int bRow, int bCol,
        int m, int n, int k, ArrayView<float> partials, TEpilogue epilogue)
        where TA : struct, IDeviceTensor
        where TB : struct, IDeviceTensor
        where TEpilogue : struct, IGpuEpilogue
    {
        int splits = Splits(m, n, k);
        if (splits == 1)
        {
            RunRange(a, aRow, aCol, b, bRow, bCol, m, n, 0, k, epilogue);
            return;
        }

        int split = Grid.IdxZ;
        int chunk = ((k + splits - 1) / splits + KStep - 1) / KStep * KStep;
        int begin = Math.Min(k, split * chunk);
        var partial = new StoreEpilogue<Fp32Tensor>(new Fp32Tensor(partials.SubView((long)split * m * n, (long)m * n)), n);
        RunRange(a, aRow, aCol, b, bRow, bCol, m, n, begin, Math.Min(k, begin + chunk), partial);
    }

    /// <summary>C = Σ over the splits of <see cref="RunSplit"/>'s partial products, in split order, through the epilogue.</summary>
    public static void SumSplits<TEpilogue>(ArrayView<float> partials, int m, int n, int k, TEpilogue epilogue)
        where TEpilogue : struct, IGpuEpilogue
    {
        int splits = Splits(m, n, k), count = m * n;
        for (int e = Grid.GlobalIndex.X; e < count; e += Grid.DimX * Group.DimX)
        {
            float sum = 0f;
            for (int split = 0; split < splits; split++) sum += partials[(long)split * count + e];
            epilogue.Store(e / n, e % n, sum);
        }
    }

    /// <summary>The epilogue of a GEMM done elsewhere (cuBLAS): hands each element of the dense row-major m × n
    /// <paramref name="product"/> to <paramref name="epilogue"/>, grid-stride (<see cref="GpuElementwise.Config"/>).</summary>
    public static void ApplyEpilogue<TEpilogue>(ArrayView<float> product, int m, int n, TEpilogue epilogue)
        where TEpilogue : struct, IGpuEpilogue
    {
        int count = m * n;
        for (int e = Grid.GlobalIndex.X; e < count; e += Grid.DimX * Group.DimX) epilogue.Store(e / n, e % n, product[e]);
    }

    /// <remarks>Operands of any storage: each element is widened to fp32 as it enters the shared-memory tile, so the
    /// products and sums are fp32 whatever the activations' precision (PyTorch's fp16 GEMMs also accumulate in fp32).</remarks>
    public static void Run<TA, TB, TEpilogue>(TA a, int aRow, int aCol, TB b, int bRow, int bCol,
        int m, int n, int k, TEpilogue epilogue)
        where TA : struct, IDeviceTensor
        where TB : struct, IDeviceTensor
        where TEpilogue : struct, IGpuEpilogue =>
        RunRange(a, aRow, aCol, b, bRow, bCol, m, n, 0, k, epilogue);

    // C's tile of this group over k in [kBegin, kEnd).
    private static void RunRange<TA, TB, TEpilogue>(TA a, int aRow, int aCol, TB b, int bRow, int bCol,
        int m, int n, int kBegin, int kEnd, TEpilogue epilogue)
        where TA : struct, IDeviceTensor
        where TB : struct, IDeviceTensor
        where TEpilogue : struct, IGpuEpilogue
    {
        // tileA[kk, i] = A(row0 + i, k0 + kk); tileB[kk, j] = B(k0 + kk, column0 + j).
        var tileA = SharedMemory.Allocate<float>(KStep * Padded);
        var tileB = SharedMemory.Allocate<float>(KStep * Padded);
        int tx = Group.IdxX, ty = Group.IdxY;
        int thread = ty * Threads + tx;
        int row0 = Grid.IdxY * Tile, column0 = Grid.IdxX * Tile;

        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int k0 = kBegin; k0 < kEnd; k0 += KStep)
        {
            // 256 threads load a 64×16 tile of each operand in four rounds.
            for (int round = 0; round < Tile * KStep / (Threads * Threads); round++)
            {
                int index = round * Threads * Threads + thread;
                // Contiguous along k: 16 consecutive threads read 16 consecutive k; otherwise along m (or n).
                int kkA = aCol == 1 ? index % KStep : index / Tile;
                int iA = aCol == 1 ? index / KStep : index % Tile;
                int rowA = row0 + iA, colA = k0 + kkA;
                tileA[kkA * Padded + iA] = rowA < m && colA < kEnd ? a.Load(rowA * aRow + colA * aCol) : 0f;

                int kkB = bRow == 1 ? index % KStep : index / Tile;
                int jB = bRow == 1 ? index / KStep : index % Tile;
                int rowB = k0 + kkB, colB = column0 + jB;
                tileB[kkB * Padded + jB] = rowB < kEnd && colB < n ? b.Load(rowB * bRow + colB * bCol) : 0f;
            }

            Group.Barrier();
            for (int kk = 0; kk < KStep; kk++)
            {
                // Thread (tx, ty) owns rows ty + 16·r and columns tx + 16·c: strided, so shared reads do not conflict.
                float a0 = tileA[kk * Padded + ty], a1 = tileA[kk * Padded + ty + 16];
                float a2 = tileA[kk * Padded + ty + 32], a3 = tileA[kk * Padded + ty + 48];
                float b0 = tileB[kk * Padded + tx], b1 = tileB[kk * Padded + tx + 16];
                float b2 = tileB[kk * Padded + tx + 32], b3 = tileB[kk * Padded + tx + 48];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }

            Group.Barrier();
        }

        int r = row0 + ty, c = column0 + tx;
        Store(ref epilogue, r, c, m, n, c00, c01, c02, c03);
        Store(ref epilogue, r + 16, c, m, n, c10, c11, c12, c13);
        Store(ref epilogue, r + 32, c, m, n, c20, c21, c22, c23);
        Store(ref epilogue, r + 48, c, m, n, c30, c31, c32, c33);
    }

    private static void Store<TEpilogue>(ref TEpilogue epilogue, int row, int column, int m, int n, float v0, float v1, float v2, float v3)
        where TEpilogue : struct, IGpuEpilogue
    {
        if (row >= m) return;
        if (column < n) epilogue.Store(row, column, v0);
        if (column + 16 < n) epilogue.Store(row, column + 16, v1);
        if (column + 32 < n) epilogue.Store(row, column + 32, v2);
        if (column + 48 < n) epilogue.Store(row, column + 48, v3);
    }
}
