namespace DslNet.Kernels.Cpu;

/// <summary>
/// Work applied by the GEMM to each finished tile of C while it is still in L1, so the bias, normalization affine,
/// activation and dropout cost no extra pass over memory. Implemented by structs and passed as a generic argument,
/// so the JIT specializes the GEMM driver per epilogue.
/// </summary>
public unsafe interface IGemmEpilogue
{
    /// <summary>
    /// Called exactly once per finished tile: <paramref name="tile"/> points at C[row, column]; the tile has
    /// <paramref name="rows"/> rows of <paramref name="columns"/> values, <paramref name="ldc"/> apart.
    /// Tiles of one GEMM may run concurrently on different threads; they never overlap.
    /// </summary>
    void Apply(float* tile, int ldc, int row, int column, int rows, int columns);
}

/// <summary>Plain C = A·B.</summary>
public readonly struct NoEpilogue : IGemmEpilogue
{
    public unsafe void Apply(float* tile, int ldc, int row, int column, int rows, int columns)
    {
    }
}
