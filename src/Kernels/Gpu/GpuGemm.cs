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

    public static KernelConfig Config(int m, int n) =>
        new(new Index2D((n + Tile - 1) / Tile, (m + Tile - 1) / Tile), new Index2D(Threads, Threads));

    /// <remarks>Operands of any storage: each element is widened to fp32 as it enters the shared-memory tile, so the
    /// products and sums are fp32 whatever the activations' precision (PyTorch's fp16 GEMMs also accumulate in fp32).</remarks>
    public static void Run<TA, TB, TEpilogue>(TA a, int aRow, int aCol, TB b, int bRow, int bCol,
        int m, int n, int k, TEpilogue epilogue)
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
        for (int k0 = 0; k0 < k; k0 += KStep)
        {
            // 256 threads load a 64×16 tile of each operand in four rounds.
            for (int round = 0; round < Tile * KStep / (Threads * Threads); round++)
            {
                int index = round * Threads * Threads + thread;
                // Contiguous along k: 16 consecutive threads read 16 consecutive k; otherwise along m (or n).
                int kkA = aCol == 1 ? index % KStep : index / Tile;
                int iA = aCol == 1 ? index / KStep : index % Tile;
                int rowA = row0 + iA, colA = k0 + kkA;
                tileA[kkA * Padded + iA] = rowA < m && colA < k ? a.Load(rowA * aRow + colA * aCol) : 0f;

                int kkB = bRow == 1 ? index % KStep : index / Tile;
                int jB = bRow == 1 ? index / KStep : index % Tile;
                int rowB = k0 + kkB, colB = column0 + jB;
                tileB[kkB * Padded + jB] = rowB < k && colB < n ? b.Load(rowB * bRow + colB * bCol) : 0f;
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
