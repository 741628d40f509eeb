using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu.Spatial;

/// <summary>
/// MaxPool2d, AvgPool2d and global average pooling on NHWC activations: every window is a running max or sum of
/// whole channel vectors. Forward and backward side by side; one task per image, so backward scatters never race.
/// </summary>
public static unsafe class Pool2d
{
    /// <summary>output[n, oh, ow, c] = max over the window; argmax[same] = the flat NHWC index of the input it came from
    /// (the first maximum in window order on ties, NaN wins, as PyTorch).</summary>
    public static void MaxForward(ReadOnlySpan<float> input, Span<float> output, Span<int> argmax, in Pool2dGeometry geometry)
    {
        var g = geometry;
        Gemm.CheckShape(input.Length, g.InputLength, nameof(input));
        Gemm.CheckShape(output.Length, g.OutputLength, nameof(output));
        Gemm.CheckShape(argmax.Length, g.OutputLength, nameof(argmax));
        fixed (float* x = input)
        fixed (float* y = output)
        fixed (int* index = argmax)
        {
            CpuParallel.For(new MaxForwardTasks { X = x, Y = y, Index = index, Geometry = g }, TaskCount(g));
        }
    }

    /// <summary>inputGradient (overwritten) = dy routed to each window's argmax, summed where windows overlap.</summary>
    public static void MaxBackward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<int> argmax, Span<float> inputGradient, in Pool2dGeometry geometry)
    {
        var g = geometry;
        Gemm.CheckShape(outputGradient.Length, g.OutputLength, nameof(outputGradient));
        Gemm.CheckShape(argmax.Length, g.OutputLength, nameof(argmax));
        Gemm.CheckShape(inputGradient.Length, g.InputLength, nameof(inputGradient));
        fixed (float* dy = outputGradient)
        fixed (int* index = argmax)
        fixed (float* dx = inputGradient)
        {
            CpuParallel.For(new MaxBackwardTasks { Dy = dy, Index = index, Dx = dx, Geometry = g }, g.Batch);
        }
    }

    /// <summary>output = the window mean: divided by kH·kW when <paramref name="countIncludePad"/> (PyTorch's default),
    /// else by the number of taps inside the input.</summary>
    public static void AvgForward(ReadOnlySpan<float> input, Span<float> output, in Pool2dGeometry geometry, bool countIncludePad = true)
    {
        var g = geometry;
        CheckAvg(g);
        Gemm.CheckShape(input.Length, g.InputLength, nameof(input));
        Gemm.CheckShape(output.Length, g.OutputLength, nameof(output));
        fixed (float* x = input)
        fixed (float* y = output)
        {
            CpuParallel.For(new AvgTasks { X = x, Y = y, Geometry = g, IncludePad = countIncludePad }, TaskCount(g));
        }
    }

    /// <summary>inputGradient (overwritten): each window's dy divided by its divisor, added to every tap inside the input.</summary>
    public static void AvgBackward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, in Pool2dGeometry geometry, bool countIncludePad = true)
    {
        var g = geometry;
        CheckAvg(g);
        Gemm.CheckShape(outputGradient.Length, g.OutputLength, nameof(outputGradient));
        Gemm.CheckShape(inputGradient.Length, g.InputLength, nameof(inputGradient));
        fixed (float* dy = outputGradient)
        fixed (float* dx = inputGradient)
        {
            CpuParallel.For(new AvgTasks { X = dx, Y = dy, Geometry = g, IncludePad = countIncludePad, Backward = true }, g.Batch);
        }
    }

    /// <summary>output[n, c] = mean over H·W of input[n, h, w, c] (AdaptiveAvgPool2d(1) followed by a flatten).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GlobalAvgForward(ReadOnlySpan<float> input, Span<float> output, int batch, int pixels, int channels)
    {
        Gemm.CheckShape(input.Length, (long)batch * pixels * channels, nameof(input));
        Gemm.CheckShape(output.Length, (long)batch * channels, nameof(output));
        fixed (float* x = input)
        fixed (float* y = output)
        {
            CpuParallel.For(new GlobalTasks { X = x, Y = y, Pixels = pixels, Channels = channels }, batch);
        }
    }

    /// <summary>inputGradient[n, h, w, c] = outputGradient[n, c] / (H·W). Overwrites.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GlobalAvgBackward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch, int pixels, int channels)
    {
        Gemm.CheckShape(outputGradient.Length, (long)batch * channels, nameof(outputGradient));
        Gemm.CheckShape(inputGradient.Length, (long)batch * pixels * channels, nameof(inputGradient));
        fixed (float* dy = outputGradient)
        fixed (float* dx = inputGradient)
        {
            CpuParallel.For(new GlobalTasks { X = dx, Y = dy, Pixels = pixels, Channels = channels, Backward = true }, batch);
        }
    }

    private static void CheckAvg(in Pool2dGeometry g)
    {
        if (g.DilationHeight != 1 || g.DilationWidth != 1)
        {
            throw new ArgumentException("AvgPool2d has no dilation (PyTorch's neither).");
        }
    }

    // Forward tasks are output rows of one image when the batch is too small to keep both cores busy.
    private static int TaskCount(in Pool2dGeometry g) => ByImage(g) ? g.Batch : g.Batch * g.OutHeight;

    private static bool ByImage(in Pool2dGeometry g) => g.Batch >= 8;

    private static (int FirstImage, int EndImage, int FirstRow, int EndRow) Span(in Pool2dGeometry g, int task)
    {
        if (ByImage(g))
        {
            return (task, task + 1, 0, g.OutHeight);
        }

        int image = task / g.OutHeight, row = task - image * g.OutHeight;
        return (image, image + 1, row, row + 1);
    }

    private struct MaxForwardTasks : IParallelTasks
    {
        public float* X, Y;
        public int* Index;
        public Pool2dGeometry Geometry;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(int task)
        {
            var g = Geometry;
            int c = g.Channels;
            int* tapOffsets = SpatialScratch.TapOffsets(g.KernelHeight * g.KernelWidth);
            var (firstImage, endImage, firstRow, endRow) = Span(g, task);
            for (int n = firstImage; n < endImage; n++)
            {
                for (int oh = firstRow; oh < endRow; oh++)
                {
                    for (int ow = 0; ow < g.OutWidth; ow++)
                    {
                        // The window's taps inside the input, in window order.
                        int taps = 0;
                        for (int i = 0; i < g.KernelHeight; i++)
                        {
                            int ih = oh * g.StrideHeight - g.PadHeight + i * g.DilationHeight;
                            if ((uint)ih >= (uint)g.Height) continue;
                            for (int j = 0; j < g.KernelWidth; j++)
                            {
                                int iw = ow * g.StrideWidth - g.PadWidth + j * g.DilationWidth;
                                if ((uint)iw >= (uint)g.Width) continue;
                                tapOffsets[taps++] = ((n * g.Height + ih) * g.Width + iw) * c;
                            }
                        }

                        long o = (((long)n * g.OutHeight + oh) * g.OutWidth + ow) * c;
                        MaxWindow(X, tapOffsets, taps, Y + o, Index + o, c);
                    }
                }
            }
        }

        // The running maximum of each channel vector stays in registers over the window's taps and is stored once.
        // A tap is taken when it is greater or NaN (PyTorch's rule: a NaN propagates, the first maximum stays).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void MaxWindow(float* x, int* tapOffsets, int taps, float* max, int* index, int count)
        {
            int k = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var lane = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
                for (; k + 16 <= count; k += 16)
                {
                    var m = Vector512.Create(float.NegativeInfinity);
                    var at = Vector512.Create(-1);
                    for (int t = 0; t < taps; t++)
                    {
                        int offset = tapOffsets[t] + k;
                        var v = Vector512.Load(x + offset);
                        var take = Vector512.GreaterThan(v, m) | ~Vector512.Equals(v, v);
                        m = Vector512.ConditionalSelect(take, v, m);
                        at = Vector512.ConditionalSelect(take.AsInt32(), Vector512.Create(offset) + lane, at);
                    }

                    m.Store(max + k);
                    at.Store(index + k);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                var lane = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
                for (; k + 8 <= count; k += 8)
                {
                    var m = Vector256.Create(float.NegativeInfinity);
                    var at = Vector256.Create(-1);
                    for (int t = 0; t < taps; t++)
                    {
                        int offset = tapOffsets[t] + k;
                        var v = Vector256.Load(x + offset);
                        var take = Vector256.GreaterThan(v, m) | ~Vector256.Equals(v, v);
                        m = Vector256.ConditionalSelect(take, v, m);
                        at = Vector256.ConditionalSelect(take.AsInt32(), Vector256.Create(offset) + lane, at);
                    }

                    m.Store(max + k);
                    at.Store(index + k);
                }
            }

            for (; k < count; k++)
            {
                float m = float.NegativeInfinity;
                int at = -1;
                for (int t = 0; t < taps; t++)
                {
                    float v = x[tapOffsets[t] + k];
                    if (v > m || float.IsNaN(v))
                    {
                        m = v;
                        at = tapOffsets[t] + k;
                    }
                }

                max[k] = m;
                index[k] = at;
            }
        }
    }

    private struct MaxBackwardTasks : IParallelTasks
    {
        public float* Dy, Dx;
        public int* Index;
        public Pool2dGeometry Geometry;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(int image)
        {
            var g = Geometry;
            long inLength = (long)g.Height * g.Width * g.Channels, outLength = (long)g.OutHeight * g.OutWidth * g.Channels;
            new System.Span<float>(Dx + image * inLength, checked((int)inLength)).Clear();
            float* dy = Dy + image * outLength;
            int* index = Index + image * outLength;
            for (long o = 0; o < outLength; o++)
            {
                if (index[o] >= 0)
                {
                    Dx[index[o]] += dy[o];
                }
            }
        }
    }

    /// <summary>Forward (Y = mean of X's windows) or backward (X = the transposed map of Y) of average pooling.</summary>
    private struct AvgTasks : IParallelTasks
    {
        public float* X, Y;
        public Pool2dGeometry Geometry;
        public bool IncludePad, Backward;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(int task)
        {
            var g = Geometry;
            int c = g.Channels;
            var (firstImage, endImage, firstRow, endRow) = Backward ? (task, task + 1, 0, g.OutHeight) : Span(g, task);
            if (Backward)
            {
                long inLength = (long)g.Height * g.Width * c;
                new System.Span<float>(X + task * inLength, checked((int)inLength)).Clear();
            }

            for (int n = firstImage; n < endImage; n++)
            {
                for (int oh = firstRow; oh < endRow; oh++)
                {
                    int h0 = oh * g.StrideHeight - g.PadHeight, h1 = Math.Min(h0 + g.KernelHeight, g.Height);
                    int hStart = Math.Max(h0, 0);
                    for (int ow = 0; ow < g.OutWidth; ow++)
                    {
                        int w0 = ow * g.StrideWidth - g.PadWidth, w1 = Math.Min(w0 + g.KernelWidth, g.Width);
                        int wStart = Math.Max(w0, 0);
                        int divisor = IncludePad ? g.KernelHeight * g.KernelWidth : (h1 - hStart) * (w1 - wStart);
                        float scale = 1f / divisor;
                        float* y = Y + (((long)n * g.OutHeight + oh) * g.OutWidth + ow) * c;
                        if (!Backward)
                        {
                            new System.Span<float>(y, c).Clear();
                        }

                        for (int ih = hStart; ih < h1; ih++)
                        {
                            for (int iw = wStart; iw < w1; iw++)
                            {
                                float* x = X + (((long)n * g.Height + ih) * g.Width + iw) * c;
                                if (Backward)
                                {
                                    ScaledAdd(y, scale, x, c);
                                }
                                else
                                {
                                    Im2Col.Add(x, y, c);
                                }
                            }
                        }

                        if (!Backward)
                        {
                            Scale(y, scale, c);
                        }
                    }
                }
            }
        }
    }

    private struct GlobalTasks : IParallelTasks
    {
        public float* X, Y;
        public int Pixels, Channels;
        public bool Backward;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(int image)
        {
            int c = Channels;
            float* x = X + (long)image * Pixels * c, y = Y + (long)image * c;
            float scale = 1f / Pixels;
            if (Backward)
            {
                for (int p = 0; p < Pixels; p++)
                {
                    new System.Span<float>(x + (long)p * c, c).Clear();
                    ScaledAdd(y, scale, x + (long)p * c, c);
                }

                return;
            }

            new System.Span<float>(y, c).Clear();
            for (int p = 0; p < Pixels; p++)
            {
                Im2Col.Add(x + (long)p * c, y, c);
            }

            Scale(y, scale, c);
        }
    }

    /// <summary>dst[i] += scale·src[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaledAdd(float* src, float scale, float* dst, int count)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512.Create(scale);
            for (; i + 16 <= count; i += 16)
            {
                Vector512.FusedMultiplyAdd(Vector512.Load(src + i), s, Vector512.Load(dst + i)).Store(dst + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var s = Vector256.Create(scale);
            for (; i + 8 <= count; i += 8)
            {
                Vector256.FusedMultiplyAdd(Vector256.Load(src + i), s, Vector256.Load(dst + i)).Store(dst + i);
            }
        }

        for (; i < count; i++)
        {
            dst[i] = MathF.FusedMultiplyAdd(src[i], scale, dst[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scale(float* values, float scale, int count)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512.Create(scale);
            for (; i + 16 <= count; i += 16)
            {
                (Vector512.Load(values + i) * s).Store(values + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var s = Vector256.Create(scale);
            for (; i + 8 <= count; i += 8)
            {
                (Vector256.Load(values + i) * s).Store(values + i);
            }
        }

        for (; i < count; i++)
        {
            values[i] *= scale;
        }
    }
}
