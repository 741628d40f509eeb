using DslNet.Kernels.Gpu;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace DslNet.Devices;

/// <summary>
/// A plain fp32 GEMM on the device for the large products of a network's device path: C[m×n] (row-major, dense) =
/// Σ_k A(i, k)·B(k, j) with A(i, k) = a[i·aRow + k·aCol] and B(k, j) = b[k·bRow + j·bCol], the contract of
/// <see cref="GpuGemm.Run{TA, TB, TEpilogue}"/>. The generated code follows it with an epilogue kernel (bias,
/// activation, dropout, the previous block's backward) over C.
/// </summary>
public abstract class DeviceGemm : IDisposable
{
    /// <summary>What multiplies: "cuBLAS" or the generated tiled kernel.</summary>
    public abstract string Name { get; }

    /// <summary>True for NVIDIA's cuBLAS; false for the tiled-kernel stand-in (other accelerators, or CUDA without the library).</summary>
    public abstract bool IsCuBlas { get; }

    public abstract void Multiply(ArrayView<float> a, int aRow, int aCol, ArrayView<float> b, int bRow, int bCol, int m, int n, int k,
        ArrayView<float> c);

    /// <summary>cuBLAS on a CUDA accelerator where the library loads; otherwise the tiled kernel, and
    /// <paramref name="cuBlasUnavailable"/> says why cuBLAS is not used.</summary>
    public static DeviceGemm Create(Accelerator accelerator, out string? cuBlasUnavailable)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        cuBlasUnavailable = null;
        if (accelerator is CudaAccelerator cuda)
        {
            try
            {
                return new CuBlasGemm(cuda);
            }
            catch (Exception e) when (e is not OutOfMemoryException)   // a missing or mismatched libcublas surfaces in several ways
            {
                cuBlasUnavailable = $"cuBLAS did not load ({e.GetType().Name}: {e.Message}); install libcublas (CUDA 10–12) to use it";
            }
        }
        else
        {
            cuBlasUnavailable = $"cuBLAS needs a CUDA accelerator, not {accelerator.AcceleratorType}";
        }

        return new KernelGemm(accelerator);
    }

    public abstract void Dispose();
}

/// <summary>
/// NVIDIA's cuBLAS (cublasSgemm, through ILGPU.Algorithms' binding) on the accelerator's default stream, so it is
/// ordered with the generated kernels without a synchronisation. cuBLAS is column-major: a row-major m×n C is a
/// column-major n×m Cᵀ = Bᵀ·Aᵀ, and each operand is passed as-is or transposed by which of its strides is 1.
/// </summary>
internal sealed class CuBlasGemm : DeviceGemm
{
    private readonly CuBlas _blas;

    public CuBlasGemm(CudaAccelerator accelerator)
    {
        _blas = new CuBlas(accelerator);
        _blas.Stream = (CudaStream)accelerator.DefaultStream;
    }

    public override string Name => "cuBLAS";

    public override bool IsCuBlas => true;

    public override void Multiply(ArrayView<float> a, int aRow, int aCol, ArrayView<float> b, int bRow, int bCol, int m, int n, int k,
        ArrayView<float> c)
    {
        // Bᵀ (n×k): element (j, kk) = b[kk·bRow + j·bCol]: column-major with ld bRow when bCol = 1, else the transpose of a
        // column-major k×n with ld bCol. Aᵀ (k×m) likewise.
        var opB = bCol == 1 ? CuBlasOperation.NonTranspose : CuBlasOperation.Transpose;
        var opA = aCol == 1 ? CuBlasOperation.NonTranspose : CuBlasOperation.Transpose;
        _blas.Gemm(opB, opA, n, m, k, 1f, b, bCol == 1 ? bRow : bCol, a, aCol == 1 ? aRow : aCol, 0f, c, n);
    }

    public override void Dispose() => _blas.Dispose();
}

/// <summary>The generated tiled kernel as a plain GEMM: where cuBLAS is absent, and on ILGPU's CPU accelerator, where the
/// tests run the cuBLAS path's epilogue kernels with it.</summary>
internal sealed class KernelGemm : DeviceGemm
{
    private readonly Action<KernelConfig, ArrayView<float>, int, int, ArrayView<float>, int, int, int, int, int, ArrayView<float>> _kernel;

    public KernelGemm(Accelerator accelerator) =>
        _kernel = accelerator.LoadStreamKernel<ArrayView<float>, int, int, ArrayView<float>, int, int, int, int, int, ArrayView<float>>(Product);

    public override string Name => "tiled kernel";

    public override bool IsCuBlas => false;

    public override void Multiply(ArrayView<float> a, int aRow, int aCol, ArrayView<float> b, int bRow, int bCol, int m, int n, int k,
        ArrayView<float> c) =>
        _kernel(GpuGemm.Config(m, n), a, aRow, aCol, b, bRow, bCol, m, n, k, c);

    private static void Product(ArrayView<float> a, int aRow, int aCol, ArrayView<float> b, int bRow, int bCol, int m, int n, int k, ArrayView<float> c) =>
        GpuGemm.Run(new Fp32Tensor(a), aRow, aCol, new Fp32Tensor(b), bRow, bCol, m, n, k, new StoreEpilogue<Fp32Tensor>(new Fp32Tensor(c), n));

    public override void Dispose() { }
}
