namespace DslNet.Kernels.Cpu.Spatial;

/// <summary>
/// The shape of one Conv2d (PyTorch's semantics): batch, input [C_in, H, W], C_out, kernel, stride, padding, dilation
/// and groups, each spatial one split into height and width. Output size per PyTorch:
/// <c>(in + 2·pad − dil·(k − 1) − 1) / stride + 1</c>, rounded down. Validated on construction.
/// </summary>
public readonly record struct Conv2dGeometry
{
    public Conv2dGeometry(int batch, int inChannels, int height, int width, int outChannels, int kernelHeight, int kernelWidth,
        int strideHeight = 1, int strideWidth = 1, int padHeight = 0, int padWidth = 0, int dilationHeight = 1, int dilationWidth = 1,
        int groups = 1)
        : this(Checked(batch, inChannels, height, width, outChannels, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth,
            dilationHeight, dilationWidth, groups), inChannels, height, width, outChannels, kernelHeight, kernelWidth, strideHeight, strideWidth,
            padHeight, padWidth, dilationHeight, dilationWidth, groups, fieldsOnly: true)
    {
    }

    // The checks run before the fields are computed (the output size divides by the stride); returns the batch.
    private static int Checked(int batch, int inChannels, int height, int width, int outChannels, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padHeight, int padWidth, int dilationHeight, int dilationWidth, int groups)
    {
        Positive(batch, nameof(batch));
        Positive(inChannels, nameof(inChannels));
        Positive(height, nameof(height));
        Positive(width, nameof(width));
        Positive(outChannels, nameof(outChannels));
        Positive(kernelHeight, nameof(kernelHeight));
        Positive(kernelWidth, nameof(kernelWidth));
        Positive(strideHeight, nameof(strideHeight));
        Positive(strideWidth, nameof(strideWidth));
        Positive(dilationHeight, nameof(dilationHeight));
        Positive(dilationWidth, nameof(dilationWidth));
        Positive(groups, nameof(groups));
        if (padHeight < 0 || padWidth < 0)
        {
            throw new ArgumentException($"Conv2d padding ({padHeight}, {padWidth}) must not be negative.");
        }

        if (inChannels % groups != 0 || outChannels % groups != 0)
        {
            throw new ArgumentException($"Conv2d groups ({groups}) must divide in channels ({inChannels}) and out channels ({outChannels}).", nameof(groups));
        }

        if (height + 2 * padHeight - dilationHeight * (kernelHeight - 1) - 1 < 0 || width + 2 * padWidth - dilationWidth * (kernelWidth - 1) - 1 < 0)
        {
            throw new ArgumentException(
                $"Conv2d kernel {kernelHeight}x{kernelWidth} (dilation {dilationHeight}x{dilationWidth}) is larger than the padded input {height + 2 * padHeight}x{width + 2 * padWidth}.");
        }

        return batch;
    }

    // The fields only, without the checks (which throw, so a device kernel cannot call them).
    private Conv2dGeometry(int batch, int inChannels, int height, int width, int outChannels, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padHeight, int padWidth, int dilationHeight, int dilationWidth, int groups, bool fieldsOnly)
    {
        Batch = batch;
        InChannels = inChannels;
        Height = height;
        Width = width;
        OutChannels = outChannels;
        KernelHeight = kernelHeight;
        KernelWidth = kernelWidth;
        StrideHeight = strideHeight;
        StrideWidth = strideWidth;
        PadHeight = padHeight;
        PadWidth = padWidth;
        DilationHeight = dilationHeight;
        DilationWidth = dilationWidth;
        Groups = groups;
        OutHeight = (height + 2 * padHeight - dilationHeight * (kernelHeight - 1) - 1) / strideHeight + 1;
        OutWidth = (width + 2 * padWidth - dilationWidth * (kernelWidth - 1) - 1) / strideWidth + 1;
    }

    /// <summary>A geometry the generator already checked at compile time, built without the checks: generated code builds one
    /// per call from the batch's row count, on the CPU and inside device kernels (which cannot throw).</summary>
    public static Conv2dGeometry Planned(int batch, int inChannels, int height, int width, int outChannels, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padHeight, int padWidth, int dilationHeight, int dilationWidth, int groups) =>
        new(batch, inChannels, height, width, outChannels, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth, dilationHeight,
            dilationWidth, groups, fieldsOnly: true);

    /// <summary>A square kernel with the same stride, padding and dilation both ways.</summary>
    public static Conv2dGeometry Square(int batch, int inChannels, int height, int width, int outChannels, int kernel,
        int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        new(batch, inChannels, height, width, outChannels, kernel, kernel, stride, stride, padding, padding, dilation, dilation, groups);

    public int Batch { get; }
    public int InChannels { get; }
    public int Height { get; }
    public int Width { get; }
    public int OutChannels { get; }
    public int KernelHeight { get; }
    public int KernelWidth { get; }
    public int StrideHeight { get; }
    public int StrideWidth { get; }
    public int PadHeight { get; }
    public int PadWidth { get; }
    public int DilationHeight { get; }
    public int DilationWidth { get; }
    public int Groups { get; }
    public int OutHeight { get; }
    public int OutWidth { get; }

    public int InChannelsPerGroup => InChannels / Groups;
    public int OutChannelsPerGroup => OutChannels / Groups;
    public int Taps => KernelHeight * KernelWidth;

    /// <summary>The GEMM depth: one row of the im2col matrix, (kh, kw, c_in) with c_in fastest.</summary>
    public int PatchLength => Taps * InChannelsPerGroup;

    public long InputLength => (long)Batch * Height * Width * InChannels;
    public long OutputLength => (long)Batch * OutHeight * OutWidth * OutChannels;
    public int WeightLength => OutChannels * PatchLength;
    public int OutputPixels => checked(Batch * OutHeight * OutWidth);

    /// <summary>Multiply-adds of one forward pass (the backward passes cost the same each).</summary>
    public long MultiplyAdds => (long)OutputPixels * OutChannels * PatchLength;

    /// <summary>Single-channel inputs with stride 1 along the width (a grayscale first layer): im2col is gathered
    /// transposed, tap by tap (<see cref="Im2Col.GatherTransposed"/>), where a tap's values over an output row are adjacent
    /// input pixels.</summary>
    internal bool GathersTransposed => InChannels == 1 && StrideWidth == 1 && !IsPointwise && !RunsDirect;

    /// <summary>A 1x1 kernel with stride 1 and no padding reads the input rows as its im2col matrix.</summary>
    internal bool IsPointwise => KernelHeight == 1 && KernelWidth == 1 && StrideHeight == 1 && StrideWidth == 1 && PadHeight == 0 && PadWidth == 0;

    /// <summary>groups = 1 with a patch shorter than this also runs the direct kernel (<see cref="GroupedConv2d"/>). 0: never.
    /// Measured (bench/SpatialBench --compare-paths 1: batch 128, 3x3 pad 1, one thread, process CPU time, interleaved
    /// medians): the direct kernel takes 1.1–1.6x the GEMM path's time at K = 9 (C_in = 1), 1.3–3.1x at K = 27 and
    /// 2.3–9x at K ≥ 72, in every pass. So groups = 1 always runs im2col + GEMM; settable so tests run both paths.</summary>
    internal static int DirectPatchLength { get; set; }

    internal bool RunsDirect => Groups > 1 || PatchLength < DirectPatchLength;

    /// <summary>groups = 1 stride-1 3×3 convolutions with both channel counts multiples of 8 and at least this many run
    /// Winograd's F(2×2, 3×3) (<see cref="WinogradConv2d"/>); settable so tests run both paths (int.MaxValue: never).</summary>
    internal static int WinogradChannels { get; set; } = 16;

    /// <summary>Whether training (the forward pass of a training step and both backward passes) runs Winograd too, as
    /// inference always does. On by default: its weight and input gradients carry 1.6–2.1x im2col's (tiny) error from a
    /// double-precision convolution on BatchNorm-like gradients (bench/README.md). Off: training sums exactly im2col's
    /// products, as the device kernels' parity tests need (Adam turns the rounding residue Winograd leaves in a gradient
    /// that is exactly zero into a full step).</summary>
    internal static bool WinogradTraining { get; set; } = true;

    internal bool RunsWinograd =>
        !RunsDirect && KernelHeight == 3 && KernelWidth == 3 && StrideHeight == 1 && StrideWidth == 1 && DilationHeight == 1 && DilationWidth == 1
        && PadHeight <= 2 && PadWidth <= 2 && InChannels % WinogradTransforms.Lanes == 0 && OutChannels % WinogradTransforms.Lanes == 0
        && Math.Min(InChannels, OutChannels) >= WinogradChannels;

    /// <summary>Whether this convolution's pass runs Winograd: inference whenever the shape allows it, training unless
    /// <see cref="WinogradTraining"/> is off.</summary>
    internal bool RunsWinogradFor(bool training) => RunsWinograd && (!training || WinogradTraining);

    private static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentException($"Conv2d {name} ({value}) must be positive.", name);
        }
    }
}
