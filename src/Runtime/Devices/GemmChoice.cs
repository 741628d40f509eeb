namespace DslNet.Devices;

/// <summary>One GEMM of a network's device path, as its plan describes it: a dense layer of <paramref name="Inputs"/> →
/// <paramref name="Units"/> (a convolution: its patch kH·kW·C_in → C_out) in a role (forward, inference, input or weight
/// gradient), over the batch.</summary>
/// <param name="Operation">e.g. "Hidden1 forward".</param>
/// <param name="LibraryEligible">Whether the plan lets this GEMM run as a library GEMM (cuBLAS) plus an epilogue kernel at
/// large batches; otherwise it always runs as <paramref name="Otherwise"/>.</param>
/// <param name="Otherwise">What runs when the GEMM is not library-eligible, and why (a convolution: its direct kernel).</param>
public readonly record struct GemmChoice(string Operation, int Inputs, int Units, bool LibraryEligible, string Otherwise = "fused tiled (small weight)");

/// <summary>Which GEMM implementation a launch used.</summary>
public enum GemmPath
{
    /// <summary>The generated tiled kernel with the epilogue fused in (one launch).</summary>
    FusedTiled,

    /// <summary>A library GEMM (cuBLAS on CUDA) into a product buffer, then the epilogue as its own kernel.</summary>
    LibraryThenEpilogue,
}
