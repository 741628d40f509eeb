using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu.Spatial;

/// <summary>
/// BatchNorm2d in training fused with the MaxPool2d after it, for windows that tile the input (stride = kernel, no
/// padding or dilation, H and W multiples of the kernel: the usual 2 × 2 pooling). The forward normalizes, activates
/// and pools each window in registers, so the activation before the pooling is never stored, and keeps, per pooled
/// value, the x̂ it came from (the winner). The backward then needs no full-size pass for
/// BatchNorm's sums: they run over the pooled values (the gradient is zero everywhere else), and the one full-size
/// pass writes dL/dz at every tap from the window's gradient, instead of scattering the pooled gradient into a cleared
/// full-size buffer and reading it twice. Results are those of <see cref="BatchNorm2d.ForwardTraining"/> + <see cref="Pool2d.MaxForward"/> and
/// <see cref="Pool2d.MaxBackward"/> + <see cref="BatchNorm2d.Backward"/>: the same float arithmetic per element, the
/// per-channel sums in double in another order.
/// </summary>
public static unsafe class BatchNormMaxPool2d
{
    // Input pixels per task, as BatchNorm2d's passes (whole window rows, at least one).
    private const int PixelsPerTask = 512;
    private const long ParallelThreshold = 32 * 1024;

    /// <summary>Whether the pooling's windows tile its input, so the fused kernels apply.</summary>
    public static bool Fuses(in Pool2dGeometry pool) =>
        pool.StrideHeight == pool.KernelHeight && pool.StrideWidth == pool.KernelWidth && pool.PadHeight == 0 && pool.PadWidth == 0
        && pool.DilationHeight == 1 && pool.DilationWidth == 1 && pool.Height % pool.KernelHeight == 0 && pool.Width % pool.KernelWidth == 0;

    /// <summary>values: in z (NHWC, the pooling's input shape), out x̂; invStd and the running statistics as
    /// <see cref="BatchNorm2d.ForwardTraining"/>; pooled and argmax as <see cref="Pool2d.MaxForward"/> applied to
    /// activation(gamma·x̂ + beta), which is not stored; winners (pooled's shape) = x̂ at the argmax, 0 where a window
    /// took no tap, for <see cref="Backward"/>.</summary>
    public static void ForwardTraining<TAct>(Span<float> values, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean,
        Span<float> runningVar, Span<float> invStd, Span<float> pooled, Span<int> argmax, Span<float> winners, in Pool2dGeometry pool,
        float momentum, float eps, TAct activation)
        where TAct : struct, IActivation
    {
        var p = pool;
        CheckTiling(p);
        int pixels = checked(p.Batch * p.Height * p.Width);
        BatchNorm2d.CheckTrainingPixels(pixels, nameof(pool));
        BatchNorm.CheckForward(values, gamma, beta, runningMean, runningVar, invStd, values, pixels, p.Channels);
        Gemm.CheckShape(pooled.Length, p.OutputLength, nameof(pooled));
        Gemm.CheckShape(argmax.Length, p.OutputLength, nameof(argmax));
        Gemm.CheckShape(winners.Length, p.OutputLength, nameof(winners));
        fixed (float* z = values)
        fixed (float* g = gamma)
        fixed (float* b = beta)
        fixed (float* rm = runningMean)
        fixed (float* rv = runningVar)
        fixed (float* s = invStd)
        fixed (float* y = pooled)
        fixed (int* index = argmax)
        fixed (float* winner = winners)
        {
            float* mean = BatchNorm2d.Statistics(z, rm, rv, s, pixels, p.Channels, momentum, eps);
            var job = new ForwardJob<TAct>
            {
                Z = z, Mean = mean, Inv = mean + p.Channels, Gamma = g, Beta = b, Pooled = y, Argmax = index, Winners = winner,
                Windows = new Windows(p), Activation = activation,
            };
            ChannelMath.Run(&ForwardJob<TAct>.Run, Unsafe.AsPointer(ref job), job.Windows.Tasks, (long)pixels * p.Channels, ParallelThreshold);
        }
    }

    /// <summary>inputGradient (overwritten) = dL/dz from the pooled output's gradient, the forward's argmax and winners,
    /// and x̂; gammaGradient and betaGradient overwritten, as <see cref="Pool2d.MaxBackward"/> followed by
    /// <see cref="BatchNorm2d.Backward"/>. winners: in the forward's, out the gradient at each argmax (dy·f').</summary>
    public static void Backward<TAct>(ReadOnlySpan<float> pooledGradient, ReadOnlySpan<int> argmax, Span<float> winners,
        ReadOnlySpan<float> normalized, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> invStd,
        Span<float> gammaGradient, Span<float> betaGradient, Span<float> inputGradient, in Pool2dGeometry pool, TAct activation)
        where TAct : struct, IActivation
    {
        var p = pool;
        CheckTiling(p);
        int pixels = checked(p.Batch * p.Height * p.Width);
        Gemm.CheckShape(pooledGradient.Length, p.OutputLength, nameof(pooledGradient));
        Gemm.CheckShape(argmax.Length, p.OutputLength, nameof(argmax));
        Gemm.CheckShape(winners.Length, p.OutputLength, nameof(winners));
        Gemm.CheckShape(inputGradient.Length, p.InputLength, nameof(inputGradient));
        BatchNorm.CheckBackward(inputGradient, normalized, gamma, beta, invStd, gammaGradient, betaGradient, pixels, p.Channels);
        fixed (float* dy = pooledGradient)
        fixed (int* index = argmax)
        fixed (float* winner = winners)
        fixed (float* xhat = normalized)
        fixed (float* g = gamma)
        fixed (float* b = beta)
        fixed (float* s = invStd)
        fixed (float* dg = gammaGradient)
        fixed (float* db = betaGradient)
        fixed (float* dz = inputGradient)
        {
            var windows = new Windows(p);
            double* partials = BatchNorm2d.PairPartials(p.Channels, windows.Tasks);
            var job = new BackwardJob<TAct>
            {
                PooledGradient = dy, Argmax = index, Winners = winner, Normalized = xhat, Gamma = g, Beta = b, Partials = partials,
                InputGradient = dz, Windows = windows, Activation = activation,
            };
            int threads = ChannelMath.Run(&BackwardJob<TAct>.Sums, Unsafe.AsPointer(ref job), windows.Tasks, p.OutputLength, ParallelThreshold);
            job.Scale = BatchNorm2d.GradientCoefficients(partials, threads, pixels, p.Channels, g, s, dg, db);
            job.MeanGradient = job.Scale + p.Channels;
            job.MeanProduct = job.MeanGradient + p.Channels;
            ChannelMath.Run(&BackwardJob<TAct>.InputGradients, Unsafe.AsPointer(ref job), windows.Tasks, (long)pixels * p.Channels, ParallelThreshold);
        }
    }

    private static void CheckTiling(in Pool2dGeometry p)
    {
        if (!Fuses(p))
        {
            throw new ArgumentException(
                $"The fused BatchNorm2d + MaxPool2d needs windows that tile the input: kernel {p.KernelHeight}x{p.KernelWidth}, stride " +
                $"{p.StrideHeight}x{p.StrideWidth}, padding ({p.PadHeight}, {p.PadWidth}), dilation ({p.DilationHeight}, {p.DilationWidth}), " +
                $"input {p.Height}x{p.Width}.");
        }
    }

    /// <summary>The pooling's window rows (image n, output row oh; their kH input rows are adjacent in NHWC), split into
    /// tasks, and where a window's taps and output lie.</summary>
    private readonly struct Windows
    {
        public Windows(in Pool2dGeometry pool)
        {
            Channels = pool.Channels;
            OutWidth = pool.OutWidth;
            KernelWidth = pool.KernelWidth;
            Taps = pool.KernelHeight * pool.KernelWidth;
            Width = pool.Width;
            RowPixels = pool.KernelHeight * pool.Width;
            WindowRows = pool.Batch * pool.OutHeight;
            RowsPerTask = Math.Max(1, PixelsPerTask / RowPixels);
            Tasks = (WindowRows + RowsPerTask - 1) / RowsPerTask;
        }

        public int Channels { get; }
        public int OutWidth { get; }
        public int KernelWidth { get; }
        public int Taps { get; }
        public int Width { get; }

        /// <summary>Input pixels of one window row (kH input rows).</summary>
        public int RowPixels { get; }

        public int WindowRows { get; }
        public int RowsPerTask { get; }
        public int Tasks { get; }

        public (int First, int End) Rows(int task)
        {
            int first = task * RowsPerTask;
            return (first, Math.Min(first + RowsPerTask, WindowRows));
        }

        /// <summary>The task's pooled values: flat offsets [first, end) of whole output pixels.</summary>
        public (long First, long End) Outputs(int task)
        {
            var (first, end) = Rows(task);
            return ((long)first * OutWidth * Channels, (long)end * OutWidth * Channels);
        }

        /// <summary>The taps' offsets from their window's first tap (window order), in the thread's scratch.</summary>
        public int* TapOffsets()
        {
            int* taps = SpatialScratch.TapOffsets(Taps);
            for (int t = 0; t < Taps; t++)
            {
                taps[t] = (t / KernelWidth * Width + t % KernelWidth) * Channels;
            }

            return taps;
        }

        /// <summary>Window (windowRow, ow): the flat input offset of its first tap and the flat offset of its output.</summary>
        public (int First, long Output) Window(int windowRow, int ow) =>
            ((windowRow * RowPixels + ow * KernelWidth) * Channels, ((long)windowRow * OutWidth + ow) * Channels);
    }

    private struct ForwardJob<TAct>
        where TAct : struct, IActivation
    {
        public float* Z, Mean, Inv, Gamma, Beta, Pooled, Winners;
        public int* Argmax;
        public Windows Windows;
        public TAct Activation;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(void* context, int task, int thread)
        {
            ref var job = ref Unsafe.AsRef<ForwardJob<TAct>>(context);
            int* taps = job.Windows.TapOffsets();
            var (first, end) = job.Windows.Rows(task);
            for (int windowRow = first; windowRow < end; windowRow++)
            {
                for (int ow = 0; ow < job.Windows.OutWidth; ow++)
                {
                    var (window, o) = job.Windows.Window(windowRow, ow);
                    job.Pool(taps, window, o);
                }
            }
        }

        // One window, eight channels at a time in registers: each tap is normalized (x̂ stored in place), activated
        // and compared, as BatchNorm2d's normalize pass and Pool2d.MaxForward would (the same float operations; a tap
        // is taken when greater or NaN, so the first maximum stays), carrying the x̂ of the maximum along.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly void Pool(int* taps, int window, long o)
        {
            int c = Windows.Channels, k = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var lane = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
                for (; k + 8 <= c; k += 8)
                {
                    var (mean, inv) = (Vector256.Load(Mean + k), Vector256.Load(Inv + k));
                    var (gamma, beta) = (Vector256.Load(Gamma + k), Vector256.Load(Beta + k));
                    var (max, at, winner) = (Vector256.Create(float.NegativeInfinity), Vector256.Create(-1), Vector256<float>.Zero);
                    for (int t = 0; t < Windows.Taps; t++)
                    {
                        int tap = window + taps[t] + k;
                        var x = (Vector256.Load(Z + tap) - mean) * inv;
                        x.Store(Z + tap);
                        var v = Activation.Apply(Vector256.FusedMultiplyAdd(gamma, x, beta));
                        var take = Vector256.GreaterThan(v, max) | ~Vector256.Equals(v, v);
                        max = Vector256.ConditionalSelect(take, v, max);
                        at = Vector256.ConditionalSelect(take.AsInt32(), Vector256.Create(tap) + lane, at);
                        winner = Vector256.ConditionalSelect(take, x, winner);
                    }

                    max.Store(Pooled + o + k);
                    at.Store(Argmax + o + k);
                    winner.Store(Winners + o + k);
                }
            }

            for (; k < c; k++)
            {
                var (max, at, winner) = (float.NegativeInfinity, -1, 0f);
                for (int t = 0; t < Windows.Taps; t++)
                {
                    int tap = window + taps[t] + k;
                    float x = Z[tap] = (Z[tap] - Mean[k]) * Inv[k];
                    float v = Activation.Apply(MathF.FusedMultiplyAdd(Gamma[k], x, Beta[k]));
                    if (v > max || float.IsNaN(v))
                    {
                        (max, at, winner) = (v, tap, x);
                    }
                }

                Pooled[o + k] = max;
                Argmax[o + k] = at;
                Winners[o + k] = winner;
            }
        }
    }

    private struct BackwardJob<TAct>
        where TAct : struct, IActivation
    {
        public float* PooledGradient, Winners, Normalized, Gamma, Beta, InputGradient, Scale, MeanGradient, MeanProduct;
        public int* Argmax;
        public double* Partials;
        public Windows Windows;
        public TAct Activation;

        /// <summary>Over the task's pooled values: g = dy·f'(gamma·x̂ + beta) at the argmax (zero where no tap was taken),
        /// stored over the winner; Σ g and Σ g·x̂ per channel (the gradient is zero at every other input).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Sums(void* context, int task, int thread)
        {
            ref var job = ref Unsafe.AsRef<BackwardJob<TAct>>(context);
            int c = job.Windows.Channels;
            double* sum = job.Partials + (long)thread * 2 * c, product = sum + c;
            var (first, end) = job.Windows.Outputs(task);
            for (long o = first; o < end; o += c)
            {
                int k = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    for (; k + 8 <= c; k += 8)
                    {
                        var x = Vector256.Load(job.Winners + o + k);
                        var y = Vector256.FusedMultiplyAdd(Vector256.Load(job.Gamma + k), x, Vector256.Load(job.Beta + k));
                        var taken = Vector256.GreaterThanOrEqual(Vector256.Load(job.Argmax + o + k), Vector256<int>.Zero).AsSingle();
                        var g = Vector256.ConditionalSelect(taken, Vector256.Load(job.PooledGradient + o + k) * job.Activation.Derivative(y),
                            Vector256<float>.Zero);
                        g.Store(job.Winners + o + k);
                        var (g0, g1) = Vector256.Widen(g);
                        var (x0, x1) = Vector256.Widen(x);
                        (Vector256.Load(sum + k) + g0).Store(sum + k);
                        (Vector256.Load(sum + k + 4) + g1).Store(sum + k + 4);
                        Vector256.FusedMultiplyAdd(g0, x0, Vector256.Load(product + k)).Store(product + k);
                        Vector256.FusedMultiplyAdd(g1, x1, Vector256.Load(product + k + 4)).Store(product + k + 4);
                    }
                }

                for (; k < c; k++)
                {
                    float x = job.Winners[o + k];
                    float g = job.Argmax[o + k] >= 0
                        ? job.PooledGradient[o + k] * job.Activation.Derivative(MathF.FusedMultiplyAdd(job.Gamma[k], x, job.Beta[k]))
                        : 0f;
                    job.Winners[o + k] = g;
                    sum[k] += g;
                    product[k] += (double)g * x;
                }
            }
        }

        /// <summary>dz = scale·(g − mean(g) − x̂·mean(g·x̂)) at every tap, g the window's gradient at its argmax, zero at
        /// the other taps.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void InputGradients(void* context, int task, int thread)
        {
            ref var job = ref Unsafe.AsRef<BackwardJob<TAct>>(context);
            int* taps = job.Windows.TapOffsets();
            var (first, end) = job.Windows.Rows(task);
            for (int windowRow = first; windowRow < end; windowRow++)
            {
                for (int ow = 0; ow < job.Windows.OutWidth; ow++)
                {
                    var (window, o) = job.Windows.Window(windowRow, ow);
                    job.WindowGradient(taps, window, o);
                }
            }
        }

        // One window's taps, eight channels at a time with the window's gradient, argmax and the channels' coefficients
        // in registers.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly void WindowGradient(int* taps, int window, long o)
        {
            int c = Windows.Channels, k = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var lane = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
                for (; k + 8 <= c; k += 8)
                {
                    var (g, index) = (Vector256.Load(Winners + o + k), Vector256.Load(Argmax + o + k));
                    var (meanGradient, meanProduct, scale) = (Vector256.Load(MeanGradient + k), Vector256.Load(MeanProduct + k), Vector256.Load(Scale + k));
                    for (int t = 0; t < Windows.Taps; t++)
                    {
                        int tap = window + taps[t] + k;
                        var here = Vector256.Equals(index, Vector256.Create(tap) + lane).AsSingle();
                        var centered = Vector256.ConditionalSelect(here, g, Vector256<float>.Zero) - meanGradient - Vector256.Load(Normalized + tap) * meanProduct;
                        (centered * scale).Store(InputGradient + tap);
                    }
                }
            }

            for (; k < c; k++)
            {
                for (int t = 0; t < Windows.Taps; t++)
                {
                    int tap = window + taps[t] + k;
                    float here = Argmax[o + k] == tap ? Winners[o + k] : 0f;
                    InputGradient[tap] = (here - MeanGradient[k] - Normalized[tap] * MeanProduct[k]) * Scale[k];
                }
            }
        }
    }
}
