using System.Diagnostics;
using System.Globalization;
using System.Text;
using ILGPU;

namespace DslNet.Devices;

/// <summary>
/// The GEMM choice of a device network: each GEMM the plan marks library-eligible runs as cuBLAS plus an epilogue kernel
/// from <see cref="GemmCrossoverRows"/> rows on, and as the generated fused tiled kernel below (one launch, no product
/// buffer). The plan's crossover is a guess until bench/gpu.sh measures it on the GPU; set
/// <see cref="GemmCrossoverOverride"/> or the environment variable <see cref="CrossoverVariable"/> to move it.
/// </summary>
/// <remarks>Fp16/Bf16 always use the fused tiled kernels: ILGPU.Algorithms binds cublasHgemm only (fp16 inputs, fp16
/// accumulation, where PyTorch accumulates in fp32) and no bf16 GEMM, so the library path is Fp32 only.</remarks>
public abstract partial class DeviceNetwork
{
    /// <summary>Environment variable with a crossover in rows (0: always the library GEMM; a huge number: never).</summary>
    public const string CrossoverVariable = "DSLNET_GEMM_CROSSOVER_ROWS";

    /// <summary>The crossover when the library path cannot win (no cuBLAS, or 16-bit storage): never.</summary>
    public const int NeverRows = int.MaxValue;

    /// <summary>The plan's GEMMs with its library eligibility (generated).</summary>
    protected virtual IReadOnlyList<GemmChoice> GemmChoices => Array.Empty<GemmChoice>();

    /// <summary>The plan's crossover in rows (generated from the planner's named constant).</summary>
    protected virtual int PlannedGemmCrossoverRows => NeverRows;

    /// <summary>What runs below the crossover: an MLP's fused tiled GEMM kernels, an image model's direct convolution kernels.</summary>
    protected virtual string BelowCrossover => "fused tiled kernels";

    /// <summary>What the crossover counts: an MLP's rows, an image model's images (the batch's rows either way).</summary>
    protected virtual string RowsName => "rows";

    /// <summary>A crossover in rows that replaces the plan's (and the environment's); null: not overridden. 0 forces the
    /// library path for every eligible GEMM, which on a device without cuBLAS runs the tiled kernel as the library (tests).</summary>
    public int? GemmCrossoverOverride { get; set; }

    /// <summary>From this batch size on, library-eligible GEMMs run as the library GEMM plus an epilogue kernel.</summary>
    public int GemmCrossoverRows
    {
        get
        {
            if (Precision != Precision.Fp32) return NeverRows;
            if (GemmCrossoverOverride is { } rows) return rows;
            if (EnvironmentCrossover.Value is { } environment) return environment;
            return Accelerator is not null && Gemm.IsCuBlas ? PlannedGemmCrossoverRows : NeverRows;
        }
    }

    // Read once per process: a training step must not allocate.
    private static readonly Lazy<int?> EnvironmentCrossover = new(() =>
    {
        var variable = Environment.GetEnvironmentVariable(CrossoverVariable);
        if (string.IsNullOrEmpty(variable)) return null;
        return int.TryParse(variable, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new FormatException($"{CrossoverVariable}='{variable}' is not a row count (a non-negative integer).");
    });

    /// <summary>The library GEMM of this device: cuBLAS on CUDA where it loads, else the tiled kernel.</summary>
    public DeviceGemm Gemm => _gemm ??= DeviceGemm.Create(Accelerator ?? throw new DeviceUnavailableException("A PTX compile-only device runs nothing."),
        out _cuBlasUnavailable);

    /// <summary>The path the last training step or prediction took for its library-eligible GEMMs.</summary>
    public GemmPath? LastGemmPath => _lastGemmPath;

    /// <summary>One line per GEMM of the plan with the path it takes (for <c>Summary()</c>).</summary>
    public string DescribeGemms()
    {
        var crossover = Accelerator is null ? NeverRows : GemmCrossoverRows;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Device GEMMs on {Device} ({Precision}): ");
        text.AppendLine(crossover == NeverRows
            ? $"{BelowCrossover} at every batch size" + WhyFusedOnly()
            : string.Create(CultureInfo.InvariantCulture, $"{Gemm.Name} + epilogue kernel from {crossover:N0} {RowsName}, {BelowCrossover} below"));
        foreach (var gemm in GemmChoices)
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  {gemm.Operation,-32} {gemm.Inputs,6} → {gemm.Units,-6} {(gemm.LibraryEligible ? "library-eligible" : gemm.Otherwise)}");
        return text.ToString().TrimEnd();
    }

    private string WhyFusedOnly()
    {
        if (Accelerator is null) return "";
        if (Precision != Precision.Fp32) return " (16-bit storage)";
        return Gemm.IsCuBlas ? " (crossover set to never)" : $" ({_cuBlasUnavailable})";
    }

    /// <summary>Whether this step's library-eligible GEMMs take the library path; logs (Trace) when the path changes.</summary>
    protected bool UseLibraryGemm(int rows)
    {
        var path = rows >= GemmCrossoverRows ? GemmPath.LibraryThenEpilogue : GemmPath.FusedTiled;
        if (path != _lastGemmPath)
        {
            _lastGemmPath = path;
            Trace.TraceInformation(path == GemmPath.LibraryThenEpilogue
                ? $"DslNet {Device}: {rows} {RowsName} ≥ crossover {GemmCrossoverRows}: large GEMMs run as {Gemm.Name} + epilogue kernels."
                : $"DslNet {Device}: {rows} {RowsName}: GEMMs run as {BelowCrossover} (crossover {GemmCrossoverRows}).");
        }

        return path == GemmPath.LibraryThenEpilogue;
    }

    /// <summary>The library GEMM into <c>NetworkViews.GemmProduct</c> (row-major m × n); the epilogue kernel follows.</summary>
    protected void LibraryGemm(ArrayView<float> a, int aRow, int aCol, ArrayView<float> b, int bRow, int bCol, int m, int n, int k) =>
        Gemm.Multiply(a, aRow, aCol, b, bRow, bCol, m, n, k, Buffer(_gemmProduct).View.SubView(0, (long)m * n));

    /// <summary>The library GEMM into <paramref name="product"/> (row-major m × n): a convolution's input gradient into its
    /// columns, which col2im then reads.</summary>
    protected void LibraryGemm(ArrayView<float> a, int aRow, int aCol, ArrayView<float> b, int bRow, int bCol, int m, int n, int k,
        ArrayView<float> product) =>
        Gemm.Multiply(a, aRow, aCol, b, bRow, bCol, m, n, k, product.SubView(0, (long)m * n));
}
