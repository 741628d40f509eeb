namespace DslNet.Kernels.Cpu.Spatial;

/// <summary>
/// The shape of a MaxPool2d/AvgPool2d (PyTorch's semantics, ceil_mode = False): batch, [C, H, W], kernel, stride,
/// padding and (max pooling only) dilation. PyTorch requires padding ≤ kernel/2, so no window lies wholly in the padding.
/// </summary>
public readonly record struct Pool2dGeometry
{
    public Pool2dGeometry(int batch, int channels, int height, int width, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padHeight = 0, int padWidth = 0, int dilationHeight = 1, int dilationWidth = 1)
        : this(Checked(batch, channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth, dilationHeight,
            dilationWidth), channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth, dilationHeight,
            dilationWidth, fieldsOnly: true)
    {
    }

    // The checks run before the fields are computed (the output size divides by the stride); returns the batch.
    private static int Checked(int batch, int channels, int height, int width, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padHeight, int padWidth, int dilationHeight, int dilationWidth)
    {
        if (batch <= 0 || channels <= 0 || height <= 0 || width <= 0 || kernelHeight <= 0 || kernelWidth <= 0 || strideHeight <= 0
            || strideWidth <= 0 || dilationHeight <= 0 || dilationWidth <= 0)
        {
            throw new ArgumentException($"Pool2d sizes must be positive: batch {batch}, [{channels}, {height}, {width}], kernel {kernelHeight}x{kernelWidth}, stride {strideHeight}x{strideWidth}, dilation {dilationHeight}x{dilationWidth}.");
        }

        if (padHeight < 0 || padWidth < 0 || 2 * padHeight > kernelHeight || 2 * padWidth > kernelWidth)
        {
            throw new ArgumentException($"Pool2d padding ({padHeight}, {padWidth}) must be between 0 and half the kernel ({kernelHeight}x{kernelWidth}).");
        }

        int spanH = height + 2 * padHeight - dilationHeight * (kernelHeight - 1) - 1;
        int spanW = width + 2 * padWidth - dilationWidth * (kernelWidth - 1) - 1;
        if (spanH < 0 || spanW < 0)
        {
            throw new ArgumentException($"Pool2d kernel {kernelHeight}x{kernelWidth} is larger than the padded input {height + 2 * padHeight}x{width + 2 * padWidth}.");
        }

        return batch;
    }

    // The fields only, without the checks (which throw, so a device kernel cannot call them).
    private Pool2dGeometry(int batch, int channels, int height, int width, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth,
        int padHeight, int padWidth, int dilationHeight, int dilationWidth, bool fieldsOnly)
    {
        int spanH = height + 2 * padHeight - dilationHeight * (kernelHeight - 1) - 1;
        int spanW = width + 2 * padWidth - dilationWidth * (kernelWidth - 1) - 1;
        Batch = batch;
        Channels = channels;
        Height = height;
        Width = width;
        KernelHeight = kernelHeight;
        KernelWidth = kernelWidth;
        StrideHeight = strideHeight;
        StrideWidth = strideWidth;
        PadHeight = padHeight;
        PadWidth = padWidth;
        DilationHeight = dilationHeight;
        DilationWidth = dilationWidth;
        OutHeight = spanH / strideHeight + 1;
        OutWidth = spanW / strideWidth + 1;
    }

    /// <summary>A window the generator already checked at compile time, built without the checks: generated code builds one
    /// per call from the batch's row count, on the CPU and inside device kernels (which cannot throw).</summary>
    public static Pool2dGeometry Planned(int batch, int channels, int height, int width, int kernelHeight, int kernelWidth, int strideHeight,
        int strideWidth, int padHeight, int padWidth) =>
        new(batch, channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth, 1, 1, fieldsOnly: true);

    /// <summary>A square window; stride defaults to the kernel, as in PyTorch.</summary>
    public static Pool2dGeometry Square(int batch, int channels, int height, int width, int kernel, int stride = 0, int padding = 0, int dilation = 1) =>
        new(batch, channels, height, width, kernel, kernel, stride == 0 ? kernel : stride, stride == 0 ? kernel : stride, padding, padding, dilation, dilation);

    public int Batch { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int KernelHeight { get; }
    public int KernelWidth { get; }
    public int StrideHeight { get; }
    public int StrideWidth { get; }
    public int PadHeight { get; }
    public int PadWidth { get; }
    public int DilationHeight { get; }
    public int DilationWidth { get; }
    public int OutHeight { get; }
    public int OutWidth { get; }

    public long InputLength => (long)Batch * Height * Width * Channels;
    public long OutputLength => (long)Batch * OutHeight * OutWidth * Channels;
}
