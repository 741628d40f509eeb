using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu;

/// <summary>
/// BatchNorm1d over the rows of a [rows, features] batch, always affine, fused with the block's activation and
/// dropout. Statistics are accumulated in double and in two passes so results match PyTorch's float32 to ~1e-6.
/// </summary>
public static unsafe class BatchNorm
{
    /// <summary>values: in z, out x̂ (saved for backward). output = dropout(activation(gamma*x̂ + beta)).
    /// Normalizes with the biased batch variance; updates running statistics with the unbiased one.</summary>
    [SkipLocalsInit]
    public static void ForwardTraining<TAct>(Span<float> values, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> runningMean, Span<float> runningVar, Span<float> invStd, Span<float> output,
        int rows, int features, float momentum, float eps, TAct activation, Dropout dropout)
        where TAct : struct, IActivation
    {
        if (rows < 2)
        {
            throw new ArgumentException("BatchNorm needs more than one row per batch in training.", nameof(rows));
        }

        long count = (long)rows * features;
        Gemm.CheckShape(values.Length, count, nameof(values));
        Gemm.CheckShape(output.Length, count, nameof(output));
        CheckFeatures(gamma.Length, beta.Length, features);
        Gemm.CheckShape(runningMean.Length, features, nameof(runningMean));
        Gemm.CheckShape(runningVar.Length, features, nameof(runningVar));
        Gemm.CheckShape(invStd.Length, features, nameof(invStd));
        using var scratch = new DoubleScratch(3 * features, stackalloc double[DoubleScratch.StackLimit]);
        fixed (float* z = values)
        fixed (float* g = gamma)
        fixed (float* b = beta)
        fixed (float* rm = runningMean)
        fixed (float* rv = runningVar)
        fixed (float* s = invStd)
        fixed (float* y = output)
        {
            var job = new ForwardJob<TAct>
            {
                Z = z, Gamma = g, Beta = b, RunningMean = rm, RunningVar = rv, InvStd = s, Output = y,
                Scratch = scratch.Pointer, Rows = rows, Features = features, Momentum = momentum, Eps = eps,
                Activation = activation, Dropout = dropout,
            };
            job.Tasks = ColumnTasks(rows, features, out int threads);
            RunColumns(&ForwardJob<TAct>.RunTask, Unsafe.AsPointer(ref job), job.Tasks, threads);
        }
    }

    // Every statistic is per feature, so a feature range is independent work. Ranges are multiples of 32 features:
    // a multiple of the vector width, so each value takes exactly the arithmetic (vector or scalar tail) it takes in
    // one pass, and of the dropout chunk, so no Philox block is drawn twice.
    private const int ColumnGranule = 32;

    // Below this many values a fork/join costs more than the second core saves.
    private const long ParallelThreshold = 16 * 1024;

    /// <summary>How many feature ranges to split a [rows, features] pass into (1: run on the caller).</summary>
    private static int ColumnTasks(int rows, int features, out int threads)
    {
        int granules = (features + ColumnGranule - 1) / ColumnGranule;
        threads = (long)rows * features < ParallelThreshold ? 1 : Math.Min(CpuThreads.Count, granules);
        // Two tasks per thread: dynamic claiming evens out a core that is briefly taken by another process.
        return threads <= 1 ? 1 : Math.Min(granules, threads * 2);
    }

    private static void RunColumns(delegate*<void*, int, int, void> body, void* job, int tasks, int threads)
    {
        if (tasks <= 1)
        {
            body(job, 0, 0);
            return;
        }

        WorkerPool.Run(body, job, tasks, threads);
    }

    /// <summary>Feature range [first, end) of task <paramref name="task"/> of <paramref name="tasks"/>.</summary>
    private static (int First, int End) Columns(int task, int tasks, int features)
    {
        if (tasks <= 1)
        {
            return (0, features);
        }

        int granules = (features + ColumnGranule - 1) / ColumnGranule;
        int first = (int)((long)granules * task / tasks) * ColumnGranule;
        int end = Math.Min(features, (int)((long)granules * (task + 1) / tasks) * ColumnGranule);
        return (first, end);
    }

    private struct ForwardJob<TAct>
        where TAct : struct, IActivation
    {
        public float* Z, Gamma, Beta, RunningMean, RunningVar, InvStd, Output;
        public double* Scratch;
        public int Rows, Features, Tasks;
        public float Momentum, Eps;
        public TAct Activation;
        public Dropout Dropout;

        public static void RunTask(void* context, int task, int thread)
        {
            ref var job = ref Unsafe.AsRef<ForwardJob<TAct>>(context);
            var (first, end) = Columns(task, job.Tasks, job.Features);
            job.Run(first, end);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private readonly void Run(int first, int end)
        {
            int rows = Rows, features = Features, width = end - first;
            double* mean = Scratch + first;
            double* squares = Scratch + features + first;
            float* meanF = (float*)(Scratch + 2 * features) + first;
            float* inv = meanF + features;
            new Span<double>(mean, width).Clear();
            new Span<double>(squares, width).Clear();
            float* z = Z + first;
            for (int i = 0; i < rows; i++)
            {
                Reductions.AccumulateRow(mean, z + (long)i * features, width);
            }

            for (int j = 0; j < width; j++)
            {
                mean[j] /= rows;
            }

            for (int i = 0; i < rows; i++)
            {
                Reductions.AccumulateSquaredDeviation(squares, z + (long)i * features, mean, width);
            }

            float* s = InvStd + first, rm = RunningMean + first, rv = RunningVar + first;
            double momentum = Momentum;
            for (int j = 0; j < width; j++)
            {
                double biased = squares[j] / rows;
                inv[j] = s[j] = (float)(1.0 / Math.Sqrt(biased + Eps));
                meanF[j] = (float)mean[j];
                rm[j] = (float)((1.0 - momentum) * rm[j] + momentum * mean[j]);
                rv[j] = (float)((1.0 - momentum) * rv[j] + momentum * (squares[j] / (rows - 1)));
            }

            float* g = Gamma + first, b = Beta + first;
            for (int i = 0; i < rows; i++)
            {
                float* row = z + (long)i * features;
                int element = i * features + first;
                Normalize(row, meanF, inv, width);
                Elementwise.AffineActivate(row, g, b, Output + element, width, Activation);
                Dropout.Apply(Output + element, element, width);
            }
        }
    }

    /// <summary>Eval-mode BatchNorm as a per-feature affine map: scale = gamma/sqrt(runningVar + eps),
    /// shift = beta - runningMean*scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InferenceAffine(ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean,
        ReadOnlySpan<float> runningVar, float eps, Span<float> scale, Span<float> shift, int features)
    {
        CheckFeatures(gamma.Length, beta.Length, features);
        Gemm.CheckShape(runningMean.Length, features, nameof(runningMean));
        Gemm.CheckShape(runningVar.Length, features, nameof(runningVar));
        Gemm.CheckShape(scale.Length, features, nameof(scale));
        Gemm.CheckShape(shift.Length, features, nameof(shift));
        fixed (float* g = gamma)
        fixed (float* b = beta)
        fixed (float* rm = runningMean)
        fixed (float* rv = runningVar)
        fixed (float* sc = scale)
        fixed (float* sh = shift)
        {
            // Runs on every Predict: vectorized in double, with the scalar loop's exact operations (no FMA).
            int j = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var e = Vector512.Create((double)eps);
                for (; j + 16 <= features; j += 16)
                {
                    var (gLo, gHi) = Vector512.Widen(Vector512.Load(g + j));
                    var (vLo, vHi) = Vector512.Widen(Vector512.Load(rv + j));
                    var (mLo, mHi) = Vector512.Widen(Vector512.Load(rm + j));
                    var (bLo, bHi) = Vector512.Widen(Vector512.Load(b + j));
                    var sLo = gLo / Vector512.Sqrt(vLo + e);
                    var sHi = gHi / Vector512.Sqrt(vHi + e);
                    Vector512.Narrow(sLo, sHi).Store(sc + j);
                    Vector512.Narrow(bLo - mLo * sLo, bHi - mHi * sHi).Store(sh + j);
                }
            }

            for (; j < features; j++)
            {
                double s = g[j] / Math.Sqrt((double)rv[j] + eps);
                sc[j] = (float)s;
                sh[j] = (float)(b[j] - rm[j] * s);
            }
        }
    }

    /// <summary>gradient: in dL/doutput, out dL/dz. Applies the dropout mask and f'(gamma*x̂ + beta) first.
    /// gammaGradient and betaGradient are overwritten.</summary>
    [SkipLocalsInit]
    public static void Backward<TAct>(Span<float> gradient, ReadOnlySpan<float> normalized, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, ReadOnlySpan<float> invStd, Span<float> gammaGradient, Span<float> betaGradient,
        int rows, int features, TAct activation, Dropout dropout)
        where TAct : struct, IActivation
    {
        long count = (long)rows * features;
        Gemm.CheckShape(gradient.Length, count, nameof(gradient));
        Gemm.CheckShape(normalized.Length, count, nameof(normalized));
        CheckFeatures(gamma.Length, beta.Length, features);
        Gemm.CheckShape(invStd.Length, features, nameof(invStd));
        Gemm.CheckShape(gammaGradient.Length, features, nameof(gammaGradient));
        Gemm.CheckShape(betaGradient.Length, features, nameof(betaGradient));
        using var scratch = new DoubleScratch(4 * features, stackalloc double[DoubleScratch.StackLimit]);
        fixed (float* dy = gradient)
        fixed (float* xhat = normalized)
        fixed (float* g = gamma)
        fixed (float* b = beta)
        fixed (float* s = invStd)
        fixed (float* dg = gammaGradient)
        fixed (float* db = betaGradient)
        {
            var job = new BackwardJob<TAct>
            {
                Dy = dy, XHat = xhat, Gamma = g, Beta = b, InvStd = s, GammaGradient = dg, BetaGradient = db,
                Scratch = scratch.Pointer, Rows = rows, Features = features, Activation = activation, Dropout = dropout,
            };
            job.Tasks = ColumnTasks(rows, features, out int threads);
            RunColumns(&BackwardJob<TAct>.RunTask, Unsafe.AsPointer(ref job), job.Tasks, threads);
        }
    }

    private struct BackwardJob<TAct>
        where TAct : struct, IActivation
    {
        public float* Dy, XHat, Gamma, Beta, InvStd, GammaGradient, BetaGradient;
        public double* Scratch;
        public int Rows, Features, Tasks;
        public TAct Activation;
        public Dropout Dropout;

        public static void RunTask(void* context, int task, int thread)
        {
            ref var job = ref Unsafe.AsRef<BackwardJob<TAct>>(context);
            var (first, end) = Columns(task, job.Tasks, job.Features);
            job.Run(first, end);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private readonly void Run(int first, int end)
        {
            int rows = Rows, features = Features, width = end - first;
            double* dGamma = Scratch + first;
            double* dBeta = Scratch + features + first;
            float* scale = (float*)(Scratch + 2 * features) + first;
            float* meanDBeta = scale + features;
            float* meanDGamma = meanDBeta + features;
            new Span<double>(dGamma, width).Clear();
            new Span<double>(dBeta, width).Clear();
            float* dy = Dy + first, xhat = XHat + first, g = Gamma + first, b = Beta + first;
            for (int i = 0; i < rows; i++)
            {
                float* row = dy + (long)i * features;
                float* x = xhat + (long)i * features;
                Dropout.Apply(row, i * features + first, width);
                Elementwise.MultiplyAffineDerivative(row, x, g, b, width, Activation);
                Reductions.AccumulateRow(dBeta, row, width);
                Reductions.AccumulateProduct(dGamma, row, x, width);
            }

            float* s = InvStd + first, dg = GammaGradient + first, db = BetaGradient + first;
            for (int j = 0; j < width; j++)
            {
                dg[j] = (float)dGamma[j];
                db[j] = (float)dBeta[j];
                scale[j] = g[j] * s[j];
                meanDBeta[j] = (float)(dBeta[j] / rows);
                meanDGamma[j] = (float)(dGamma[j] / rows);
            }

            // dz = gamma*invStd*(dy - mean(dy) - x̂*mean(dy*x̂)), the means taken over the batch.
            for (int i = 0; i < rows; i++)
            {
                InputGradient(dy + (long)i * features, xhat + (long)i * features, scale, meanDBeta, meanDGamma, width);
            }
        }
    }

    internal static void CheckFeatures(int gammaLength, int betaLength, int features)
    {
        Gemm.CheckShape(gammaLength, features, "gamma");
        Gemm.CheckShape(betaLength, features, "beta");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Normalize(float* row, float* mean, float* inv, int count)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 16 <= count; j += 16)
            {
                ((Vector512.Load(row + j) - Vector512.Load(mean + j)) * Vector512.Load(inv + j)).Store(row + j);
            }
        }

        for (; j < count; j++)
        {
            row[j] = (row[j] - mean[j]) * inv[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputGradient(float* dy, float* xhat, float* scale, float* meanDBeta, float* meanDGamma, int count)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 16 <= count; j += 16)
            {
                var centered = Vector512.Load(dy + j) - Vector512.Load(meanDBeta + j) - Vector512.Load(xhat + j) * Vector512.Load(meanDGamma + j);
                (centered * Vector512.Load(scale + j)).Store(dy + j);
            }
        }

        for (; j < count; j++)
        {
            dy[j] = (dy[j] - meanDBeta[j] - xhat[j] * meanDGamma[j]) * scale[j];
        }
    }
}
