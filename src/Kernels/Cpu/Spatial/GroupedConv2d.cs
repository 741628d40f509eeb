using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu.Spatial;

/// <summary>
/// Direct Conv2d for groups &gt; 1 (and groups = 1 below <see cref="Conv2dGeometry.DirectPatchLength"/>, off by default:
/// measured slower than the GEMM path even at K = 9) on NHWC activations: a GEMM per group would have C_out/groups columns (1 for
/// depthwise), which no register tile fills. The weights are reordered to [kH·kW, C_in/groups, C_out] so every tap
/// is a multiply-add across all output channels at once; depthwise with multiplier 1 (the common case) is a plain
/// vector multiply-add of an input pixel's channels with the tap's weights.
/// </summary>
internal static unsafe class GroupedConv2d
{
    private const int PixelsPerTask = 256;
    private const long ParallelThreshold = 1L << 16;

    public static void Forward<TEpilogue>(float* x, float* w, float* pre, in Conv2dGeometry g, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        var job = new ForwardJob<TEpilogue> { X = x, Weights = Reorder(w, g), Pre = pre, Geometry = g, Epilogue = epilogue };
        Run(&ForwardJob<TEpilogue>.RunTask, Unsafe.AsPointer(ref job), (g.OutputPixels + PixelsPerTask - 1) / PixelsPerTask, g);
    }

    public static void BackwardInput(float* dy, float* w, float* dx, in Conv2dGeometry g)
    {
        var job = new BackwardInputJob { Dy = dy, Weights = Reorder(w, g), Dx = dx, Geometry = g };
        Run(&BackwardInputJob.RunTask, Unsafe.AsPointer(ref job), g.Batch, g);
    }

    /// <summary>partial[(tap·C_in/g + c)·C_out + co] += Σ over the chunk's pixels of x·dy.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateWeightGradient(float* dy, float* x, double* partial, in Conv2dGeometry g, int first, int rows)
    {
        int cout = g.OutChannels, cpg = g.InChannelsPerGroup, opg = g.OutChannelsPerGroup, length = g.WeightLength;
        float* sums = SpatialScratch.Columns(length);
        new Span<float>(sums, length).Clear();
        int* taps = stackalloc int[g.Taps];
        for (int r = 0; r < rows; r++)
        {
            float* gradient = dy + (long)r * cout;
            TapOffsets(g, first + r, taps);
            for (int tap = 0; tap < g.Taps; tap++)
            {
                if (taps[tap] < 0)
                {
                    continue;
                }

                float* pixel = x + (long)taps[tap] * g.InChannels;
                for (int c = 0; c < cpg; c++)
                {
                    float* sum = sums + ((long)tap * cpg + c) * cout;
                    if (cpg == 1 && opg == 1)
                    {
                        MultiplyAdd(pixel, gradient, sum, cout);
                    }
                    else if (g.Groups == 1)
                    {
                        BroadcastMultiplyAdd(pixel[c], gradient, sum, cout);
                    }
                    else
                    {
                        for (int co = 0; co < cout; co++)
                        {
                            sum[co] += pixel[co / opg * cpg + c] * gradient[co];
                        }
                    }
                }
            }
        }

        Reductions.AccumulateRow(partial, sums, length);
    }

    public static void StoreWeightGradient(double* sums, float* dw, in Conv2dGeometry g)
    {
        int cpg = g.InChannelsPerGroup, taps = g.Taps, cout = g.OutChannels;
        for (int co = 0; co < cout; co++)
        {
            for (int c = 0; c < cpg; c++)
            {
                for (int tap = 0; tap < taps; tap++)
                {
                    dw[((long)co * cpg + c) * taps + tap] = (float)sums[((long)tap * cpg + c) * cout + co];
                }
            }
        }
    }

    /// <summary>[C_out, C_in/g, kH, kW] → [kH·kW, C_in/g, C_out] in the caller's scratch.</summary>
    private static float* Reorder(float* w, in Conv2dGeometry g)
    {
        int cpg = g.InChannelsPerGroup, taps = g.Taps, cout = g.OutChannels;
        float* reordered = SpatialScratch.Weights(g.WeightLength);
        for (int co = 0; co < cout; co++)
        {
            for (int c = 0; c < cpg; c++)
            {
                for (int tap = 0; tap < taps; tap++)
                {
                    reordered[((long)tap * cpg + c) * cout + co] = w[((long)co * cpg + c) * taps + tap];
                }
            }
        }

        return reordered;
    }

    /// <summary>offsets[tap] = the input pixel index (n·H + ih)·W + iw the tap of output pixel <paramref name="pixel"/>
    /// reads, or −1 in the padding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void TapOffsets(in Conv2dGeometry g, int pixel, int* offsets)
    {
        int outPixels = g.OutHeight * g.OutWidth;
        int n = pixel / outPixels, rest = pixel - n * outPixels;
        int oh = rest / g.OutWidth, ow = rest - oh * g.OutWidth;
        for (int i = 0, tap = 0; i < g.KernelHeight; i++)
        {
            int ih = oh * g.StrideHeight - g.PadHeight + i * g.DilationHeight;
            for (int j = 0; j < g.KernelWidth; j++, tap++)
            {
                int iw = ow * g.StrideWidth - g.PadWidth + j * g.DilationWidth;
                offsets[tap] = (uint)ih < (uint)g.Height && (uint)iw < (uint)g.Width ? (n * g.Height + ih) * g.Width + iw : -1;
            }
        }
    }

    private static void Run(delegate*<void*, int, int, void> body, void* job, int tasks, in Conv2dGeometry g)
    {
        int threads = g.MultiplyAdds < ParallelThreshold ? 1 : Math.Min(CpuThreads.Count, tasks);
        if (threads <= 1)
        {
            for (int task = 0; task < tasks; task++)
            {
                body(job, task, 0);
            }

            return;
        }

        WorkerPool.Run(body, job, tasks, threads);
    }

    /// <summary>sum[i] += a[i]·b[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAdd(float* a, float* b, float* sum, int count)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= count; i += 16)
            {
                Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), Vector512.Load(sum + i)).Store(sum + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= count; i += 8)
            {
                Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), Vector256.Load(sum + i)).Store(sum + i);
            }
        }

        for (; i < count; i++)
        {
            sum[i] = MathF.FusedMultiplyAdd(a[i], b[i], sum[i]);
        }
    }

    /// <summary>sum[i] += a·b[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BroadcastMultiplyAdd(float a, float* b, float* sum, int count)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a);
            for (; i + 16 <= count; i += 16)
            {
                Vector512.FusedMultiplyAdd(va, Vector512.Load(b + i), Vector512.Load(sum + i)).Store(sum + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            for (; i + 8 <= count; i += 8)
            {
                Vector256.FusedMultiplyAdd(va, Vector256.Load(b + i), Vector256.Load(sum + i)).Store(sum + i);
            }
        }

        for (; i < count; i++)
        {
            sum[i] = MathF.FusedMultiplyAdd(a, b[i], sum[i]);
        }
    }

    private struct ForwardJob<TEpilogue>
        where TEpilogue : struct, IGemmEpilogue
    {
        public float* X, Weights, Pre;
        public Conv2dGeometry Geometry;
        public TEpilogue Epilogue;

        [SkipLocalsInit]
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void RunTask(void* context, int task, int thread)
        {
            ref var job = ref Unsafe.AsRef<ForwardJob<TEpilogue>>(context);
            ref readonly var g = ref job.Geometry;
            int cout = g.OutChannels, cpg = g.InChannelsPerGroup, opg = g.OutChannelsPerGroup;
            int first = task * PixelsPerTask, end = Math.Min(g.OutputPixels, first + PixelsPerTask);
            int* taps = stackalloc int[g.Taps];
            for (int p = first; p < end; p++)
            {
                float* row = job.Pre + (long)p * cout;
                new Span<float>(row, cout).Clear();
                TapOffsets(g, p, taps);
                for (int tap = 0; tap < g.Taps; tap++)
                {
                    if (taps[tap] < 0)
                    {
                        continue;
                    }

                    float* pixel = job.X + (long)taps[tap] * g.InChannels;
                    for (int c = 0; c < cpg; c++)
                    {
                        float* weights = job.Weights + ((long)tap * cpg + c) * cout;
                        if (cpg == 1 && opg == 1)
                        {
                            MultiplyAdd(pixel, weights, row, cout);
                        }
                        else if (g.Groups == 1)
                        {
                            BroadcastMultiplyAdd(pixel[c], weights, row, cout);
                        }
                        else
                        {
                            for (int co = 0; co < cout; co++)
                            {
                                row[co] += pixel[co / opg * cpg + c] * weights[co];
                            }
                        }
                    }
                }

                job.Epilogue.Apply(row, cout, p, 0, 1, cout);
            }
        }
    }

    private struct BackwardInputJob
    {
        public float* Dy, Weights, Dx;
        public Conv2dGeometry Geometry;

        [SkipLocalsInit]
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void RunTask(void* context, int image, int thread)
        {
            ref var job = ref Unsafe.AsRef<BackwardInputJob>(context);
            ref readonly var g = ref job.Geometry;
            int cout = g.OutChannels, cpg = g.InChannelsPerGroup, opg = g.OutChannelsPerGroup;
            long imageLength = (long)g.Height * g.Width * g.InChannels;
            new Span<float>(job.Dx + image * imageLength, checked((int)imageLength)).Clear();
            int pixels = g.OutHeight * g.OutWidth;
            int* taps = stackalloc int[g.Taps];
            for (int p = image * pixels; p < (image + 1) * pixels; p++)
            {
                float* gradient = job.Dy + (long)p * cout;
                TapOffsets(g, p, taps);
                for (int tap = 0; tap < g.Taps; tap++)
                {
                    if (taps[tap] < 0)
                    {
                        continue;
                    }

                    float* pixel = job.Dx + (long)taps[tap] * g.InChannels;
                    for (int c = 0; c < cpg; c++)
                    {
                        float* weights = job.Weights + ((long)tap * cpg + c) * cout;
                        if (cpg == 1 && opg == 1)
                        {
                            MultiplyAdd(gradient, weights, pixel, cout);
                        }
                        else if (g.Groups == 1)
                        {
                            pixel[c] += (float)Reductions.Dot(gradient, weights, cout);
                        }
                        else
                        {
                            for (int co = 0; co < cout; co++)
                            {
                                pixel[co / opg * cpg + c] += gradient[co] * weights[co];
                            }
                        }
                    }
                }
            }
        }
    }
}
