using ILGPU;

namespace DslNet.Kernels.Gpu;

/// <summary>
/// The one argument every generated kernel takes: views of a device-resident network's flat buffers (same layouts
/// as the host's) and the step's scalars. One signature for every kernel keeps the generated launch code short.
/// </summary>
public struct NetworkViews
{
    /// <summary>Flat parameters (fp32 master weights), the host's <c>Parameters</c> layout.</summary>
    public ArrayView<float> Parameters;

    /// <summary>Flat gradients, same layout.</summary>
    public ArrayView<float> Gradients;

    /// <summary>BatchNorm running means and variances.</summary>
    public ArrayView<float> Statistics;

    /// <summary>Per-feature scratch: saved inverse std, eval-mode scale and shift.</summary>
    public ArrayView<float> Scratch;

    /// <summary>Activations and gradients in Precision.Fp32: a region starts at (offset per row) × <see cref="Capacity"/>.</summary>
    public ArrayView<float> Workspace;

    /// <summary>The same layout as <see cref="Workspace"/> in 16-bit storage (Precision.Fp16 and Bf16); only one of the two
    /// is allocated at full size.</summary>
    public ArrayView<ushort> HalfWorkspace;

    /// <summary>LayerNorm/GroupNorm inverse standard deviations per (row, group): normalization statistics, so fp32 in
    /// every precision; a block's region starts at (offset per row) × <see cref="Capacity"/>.</summary>
    public ArrayView<float> RowStatistics;

    /// <summary>Partial products of a split GEMM (<see cref="GpuGemm.RunSplit"/>): up to <see cref="GpuGemm.MaxSplits"/>
    /// copies of the largest weight gradient, fp32.</summary>
    public ArrayView<float> SplitPartials;

    /// <summary>Per-feature partial results of the batch-split column reductions (<see cref="RowSplit"/>), double:
    /// <see cref="RowSplit.PartialsPerColumn"/> per feature of the widest layer, reused by each reduction in turn.</summary>
    public ArrayView<double> ColumnPartials;

    /// <summary>The result of a library GEMM (cuBLAS) before its epilogue kernel: a dense row-major product, fp32 (allocated
    /// only in Precision.Fp32, where the library path can run).</summary>
    public ArrayView<float> GemmProduct;

    /// <summary>A library-eligible convolution's im2col columns ([N·OH·OW, kH·kW·C_in]) or the input-gradient GEMM's product
    /// before col2im, fp32 (allocated only in Precision.Fp32).</summary>
    public ArrayView<float> GemmColumns;

    public ArrayView<float> Inputs;
    public ArrayView<float> Targets;
    public ArrayView<float> Outputs;

    /// <summary>Reduction results (<see cref="GpuLosses.SumsLength"/>): [0] the loss sum, [1] the gradient overflow flag (see
    /// <see cref="OverflowFlag"/>), then the loss kernel's per-group partial sums (<see cref="GpuLosses.PartialsOffset"/>).</summary>
    public ArrayView<double> Sums;

    /// <summary>The network's step-state cells (<see cref="GpuStepState"/>): the loss scale, the scaler's clean-step count
    /// and the per-step loss history, on the device so that the scaler's decisions need no host round trip.</summary>
    public ArrayView<double> StepState;

    public int Rows;
    public int Capacity;
    public ulong Seed;
    public long Step;

    /// <summary>The loss scale the loss kernel multiplies the loss gradient by: read from the device, where a host value or
    /// the device loss scaler (<see cref="GpuStepState.UpdateLossScale"/>) put it.</summary>
    public readonly float LossScale => (float)StepState[GpuStepState.LossScaleCell];

    /// <summary>The workspace region of a block: <paramref name="width"/> values per row for <see cref="Rows"/> rows.</summary>
    public readonly ArrayView<float> Region(int offsetPerRow, int width) => Workspace.SubView((long)offsetPerRow * Capacity, (long)Rows * width);

    /// <summary>The same region of <see cref="HalfWorkspace"/>.</summary>
    public readonly ArrayView<ushort> HalfRegion(int offsetPerRow, int width) => HalfWorkspace.SubView((long)offsetPerRow * Capacity, (long)Rows * width);

    /// <summary>A block's region of <see cref="RowStatistics"/>: <paramref name="groups"/> values per row.</summary>
    public readonly ArrayView<float> RowStatisticsRegion(int offsetPerRow, int groups) => RowStatistics.SubView((long)offsetPerRow * Capacity, (long)Rows * groups);

    /// <summary>Non-zero once a backward kernel stored a gradient that is ±∞ or NaN in its storage (cleared with the
    /// loss sum each training step, read back with it; <c>DeviceAdamW</c>'s kernel skips its update when set).</summary>
    public readonly ArrayView<double> OverflowFlag => Sums.SubView(1, 1);

    /// <summary>The batch's inputs as a GEMM operand.</summary>
    public readonly Fp32Tensor InputTensor => new(Inputs);

    /// <summary>The inference outputs (fp32 in every precision: they go to the host).</summary>
    public readonly Fp32Tensor OutputTensor => new(Outputs);

    /// <summary>A parameter tensor (fp32 master weights) as a GEMM operand.</summary>
    public readonly Fp32Tensor ParameterTensor(int offset, int length) => new(Parameters.SubView(offset, length));

    /// <summary>A parameter's gradient (fp32); its stores raise <see cref="OverflowFlag"/> on ±∞ or NaN.</summary>
    public readonly Fp32Tensor GradientTensor(int offset, int length) => new(Gradients.SubView(offset, length), OverflowFlag, true);
}
