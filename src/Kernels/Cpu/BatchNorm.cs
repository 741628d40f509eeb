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

        CheckForward(values, gamma, beta, runningMean, runningVar, invStd, output, rows, features);
        using var scratch = new DoubleScratch(ForwardScratchLength(features), stackalloc double[DoubleScratch.StackLimit]);
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
                Activation = activation, Dropout = dropout, Stage = ForwardStage.All, Count = rows,
            };
            job.Tasks = ColumnTasks(rows, features, out int threads);
            RunColumns(&ForwardJob<TAct>.RunTask, Unsafe.AsPointer(ref job), job.Tasks, threads);
        }
    }

    /// <summary>
    /// SyncBatchNorm's forward pass (PyTorch's <c>nn.SyncBatchNorm</c>): <see cref="ForwardTraining{TAct}"/> with the
    /// statistics of the batch of every process. Split into statistics → reduction → normalization: the row count and
    /// per-feature sums are summed over processes (<paramref name="statistics"/>, in double), then the squared
    /// deviations from that global mean, then each process normalizes its rows. Running statistics use the global mean
    /// and the unbiased variance of the global count. Two reductions instead of PyTorch's one of sums and sums of
    /// squares: the same statistics without the cancellation of E[x²] − E[x]², and with the identity as reduction the
    /// arithmetic, so the result, is exactly <see cref="ForwardTraining{TAct}"/>'s. A null
    /// <paramref name="statistics"/> (no job to sync with) is <see cref="ForwardTraining{TAct}"/> itself.
    /// </summary>
    [SkipLocalsInit]
    public static void ForwardTrainingSynced<TAct>(Span<float> values, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> runningMean, Span<float> runningVar, Span<float> invStd, Span<float> output,
        int rows, int features, float momentum, float eps, TAct activation, Dropout dropout, IStatisticsReducer? statistics)
        where TAct : struct, IActivation
    {
        if (statistics is null)
        {
            ForwardTraining(values, gamma, beta, runningMean, runningVar, invStd, output, rows, features, momentum, eps, activation, dropout);
            return;
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        CheckForward(values, gamma, beta, runningMean, runningVar, invStd, output, rows, features);
        using var scratch = new DoubleScratch(ForwardScratchLength(features), stackalloc double[DoubleScratch.StackLimit]);
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
                Activation = activation, Dropout = dropout, Stage = ForwardStage.Sums,
            };
            job.Tasks = ColumnTasks(rows, features, out int threads);
            var body = (delegate*<void*, int, int, void>)&ForwardJob<TAct>.RunTask;
            RunColumns(body, Unsafe.AsPointer(ref job), job.Tasks, threads);

            // [count, sums]: one message, summed in the same order on every process.
            scratch.Pointer[0] = rows;
            statistics.AllReduceSum(new Span<double>(scratch.Pointer, 1 + features));
            job.Count = scratch.Pointer[0];
            if (job.Count < 2)
            {
                throw new ArgumentException("SyncBatchNorm needs more than one row over all processes' batches in training.", nameof(rows));
            }

            job.Stage = ForwardStage.Deviations;
            RunColumns(body, Unsafe.AsPointer(ref job), job.Tasks, threads);
            statistics.AllReduceSum(new Span<double>(scratch.Pointer + 1 + features, features));
            job.Stage = ForwardStage.Normalize;
            RunColumns(body, Unsafe.AsPointer(ref job), job.Tasks, threads);
        }
    }

    internal static void CheckForward(Span<float> values, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean,
        Span<float> runningVar, Span<float> invStd, Span<float> output, int rows, int features)
    {
        long count = (long)rows * features;
        Gemm.CheckShape(values.Length, count, nameof(values));
        Gemm.CheckShape(output.Length, count, nameof(output));
        CheckFeatures(gamma.Length, beta.Length, features);
        Gemm.CheckShape(runningMean.Length, features, nameof(runningMean));
        Gemm.CheckShape(runningVar.Length, features, nameof(runningVar));
        Gemm.CheckShape(invStd.Length, features, nameof(invStd));
    }

    // Forward scratch, in doubles: [count, sums or means (features), squared deviations (features), float means and
    // inverse std (features floats each)]. The count sits right before the sums so both reduce as one message.
    private static int ForwardScratchLength(int features) => 1 + 3 * features;

    private enum ForwardStage
    {
        All,
        Sums,
        Deviations,
        Normalize,
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
        public ForwardStage Stage;

        /// <summary>Rows the statistics cover: this batch's, or every process's once reduced.</summary>
        public double Count;

        public static void RunTask(void* context, int task, int thread)
        {
            ref var job = ref Unsafe.AsRef<ForwardJob<TAct>>(context);
            var (first, end) = Columns(task, job.Tasks, job.Features);
            switch (job.Stage)
            {
                case ForwardStage.Sums:
                    job.Sums(first, end);
                    break;
                case ForwardStage.Deviations:
                    job.Deviations(first, end);
                    break;
                case ForwardStage.Normalize:
                    job.Normalize(first, end);
                    break;
                default:
                    job.Sums(first, end);
                    job.Deviations(first, end);
                    job.Normalize(first, end);
                    break;
            }
        }

        private readonly double* Means => Scratch + 1;

        private readonly double* Squares => Scratch + 1 + Features;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private readonly void Sums(int first, int end)
        {
            int rows = Rows, features = Features, width = end - first;
            double* mean = Means + first;
            new Span<double>(mean, width).Clear();
            float* z = Z + first;
            for (int i = 0; i < rows; i++)
            {
                Reductions.AccumulateRow(mean, z + (long)i * features, width);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private readonly void Deviations(int first, int end)
        {
            int rows = Rows, features = Features, width = end - first;
            double* mean = Means + first;
            double* squares = Squares + first;
            for (int j = 0; j < width; j++)
            {
                mean[j] /= Count;
            }

            new Span<double>(squares, width).Clear();
            float* z = Z + first;
            for (int i = 0; i < rows; i++)
            {
                Reductions.AccumulateSquaredDeviation(squares, z + (long)i * features, mean, width);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private readonly void Normalize(int first, int end)
        {
            int rows = Rows, features = Features, width = end - first;
            double* mean = Means + first;
            double* squares = Squares + first;
            float* meanF = (float*)(Scratch + 1 + 2 * features) + first;
            float* inv = meanF + features;
            float* s = InvStd + first, rm = RunningMean + first, rv = RunningVar + first;
            double momentum = Momentum, count = Count;
            for (int j = 0; j < width; j++)
            {
                double biased = squares[j] / count;
                inv[j] = s[j] = (float)(1.0 / Math.Sqrt(biased + Eps));
                meanF[j] = (float)mean[j];
                rm[j] = (float)((1.0 - momentum) * rm[j] + momentum * mean[j]);
                rv[j] = (float)((1.0 - momentum) * rv[j] + momentum * (squares[j] / (count - 1)));
            }

            float* z = Z + first, g = Gamma + first, b = Beta + first;
            for (int i = 0; i < rows; i++)
            {
                float* row = z + (long)i * features;
                int element = i * features + first;
                BatchNorm.Normalize(row, meanF, inv, width);
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

    /// <summary>Eval mode, out of place: output = activation(input·scale + shift) per feature, scale and shift from
    /// <see cref="InferenceAffine"/> (a pre-activation block's input normalization, which no GEMM epilogue can absorb).
    /// A [rows, features] batch is an image batch of one pixel per row, so this is <see cref="Spatial.BatchNorm2d.Inference"/>.</summary>
    public static void Inference<TAct>(ReadOnlySpan<float> input, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> output,
        int rows, int features, TAct activation)
        where TAct : struct, IActivation =>
        Spatial.BatchNorm2d.Inference(input, scale, shift, output, pixels: rows, channels: features, activation);

    /// <summary>gradient: in dL/doutput, out dL/dz. Applies the dropout mask and f'(gamma*x̂ + beta) first.
    /// gammaGradient and betaGradient are overwritten.</summary>
    [SkipLocalsInit]
    public static void Backward<TAct>(Span<float> gradient, ReadOnlySpan<float> normalized, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, ReadOnlySpan<float> invStd, Span<float> gammaGradient, Span<float> betaGradient,
        int rows, int features, TAct activation, Dropout dropout)
        where TAct : struct, IActivation
    {
        CheckBackward(gradient, normalized, gamma, beta, invStd, gammaGradient, betaGradient, rows, features);
        using var scratch = new DoubleScratch(BackwardScratchLength(features), stackalloc double[DoubleScratch.StackLimit]);
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
                Stage = BackwardStage.All, Count = rows,
            };
            job.Tasks = ColumnTasks(rows, features, out int threads);
            RunColumns(&BackwardJob<TAct>.RunTask, Unsafe.AsPointer(ref job), job.Tasks, threads);
        }
    }

    /// <summary>
    /// SyncBatchNorm's backward pass: <see cref="Backward{TAct}"/> with the two per-feature gradient sums (of dy and of
    /// dy·x̂) and the row count summed over processes (<paramref name="statistics"/>) before the input gradient, as
    /// PyTorch's <c>nn.SyncBatchNorm</c> does. γ and β gradients stay this process's own sums: data parallelism averages
    /// them with every other parameter gradient. A null <paramref name="statistics"/> is <see cref="Backward{TAct}"/> itself.
    /// </summary>
    [SkipLocalsInit]
    public static void BackwardSynced<TAct>(Span<float> gradient, ReadOnlySpan<float> normalized, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, ReadOnlySpan<float> invStd, Span<float> gammaGradient, Span<float> betaGradient,
        int rows, int features, TAct activation, Dropout dropout, IStatisticsReducer? statistics)
        where TAct : struct, IActivation
    {
        if (statistics is null)
        {
            Backward(gradient, normalized, gamma, beta, invStd, gammaGradient, betaGradient, rows, features, activation, dropout);
            return;
        }

        CheckBackward(gradient, normalized, gamma, beta, invStd, gammaGradient, betaGradient, rows, features);
        using var scratch = new DoubleScratch(BackwardScratchLength(features), stackalloc double[DoubleScratch.StackLimit]);
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
                Stage = BackwardStage.Sums,
            };
            job.Tasks = ColumnTasks(rows, features, out int threads);
            var body = (delegate*<void*, int, int, void>)&BackwardJob<TAct>.RunTask;
            RunColumns(body, Unsafe.AsPointer(ref job), job.Tasks, threads);

            // [count, Σ dy·x̂, Σ dy]: one message.
            scratch.Pointer[0] = rows;
            statistics.AllReduceSum(new Span<double>(scratch.Pointer, 1 + 2 * features));
            job.Count = scratch.Pointer[0];
            job.Stage = BackwardStage.InputGradient;
            RunColumns(body, Unsafe.AsPointer(ref job), job.Tasks, threads);
        }
    }

    internal static void CheckBackward(Span<float> gradient, ReadOnlySpan<float> normalized, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> invStd, Span<float> gammaGradient, Span<float> betaGradient, int rows, int features)
    {
        long count = (long)rows * features;
        Gemm.CheckShape(gradient.Length, count, nameof(gradient));
        Gemm.CheckShape(normalized.Length, count, nameof(normalized));
        CheckFeatures(gamma.Length, beta.Length, features);
        Gemm.CheckShape(invStd.Length, features, nameof(invStd));
        Gemm.CheckShape(gammaGradient.Length, features, nameof(gammaGradient));
        Gemm.CheckShape(betaGradient.Length, features, nameof(betaGradient));
    }

    // Backward scratch, in doubles: [count, Σ dy·x̂ (features), Σ dy (features), then γ·invStd and the two means as
    // floats (features each)]; the count and both sums reduce as one message. Up to 292 features it fits the stack.
    private static int BackwardScratchLength(int features) => 1 + 2 * features + (3 * features + 1) / 2;

    private enum BackwardStage
    {
        All,
        Sums,
        InputGradient,
    }

    private struct BackwardJob<TAct>
        where TAct : struct, IActivation
    {
        public float* Dy, XHat, Gamma, Beta, InvStd, GammaGradient, BetaGradient;
        public double* Scratch;
        public int Rows, Features, Tasks;
        public TAct Activation;
        public Dropout Dropout;
        public BackwardStage Stage;

        /// <summary>Rows the means cover: this batch's, or every process's once reduced.</summary>
        public double Count;

        public static void RunTask(void* context, int task, int thread)
        {
            ref var job = ref Unsafe.AsRef<BackwardJob<TAct>>(context);
            var (first, end) = Columns(task, job.Tasks, job.Features);
            if (job.Stage != BackwardStage.InputGradient) job.Sums(first, end);
            if (job.Stage != BackwardStage.Sums) job.InputGradients(first, end);
        }

        private readonly double* GammaSums => Scratch + 1;

        private readonly double* BetaSums => Scratch + 1 + Features;

        /// <summary>dy through dropout and the activation, in place; Σ dy·x̂ and Σ dy per feature, which are the γ and β gradients.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private readonly void Sums(int first, int end)
        {
            int rows = Rows, features = Features, width = end - first;
            double* dGamma = GammaSums + first;
            double* dBeta = BetaSums + first;
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

            float* dg = GammaGradient + first, db = BetaGradient + first;
            for (int j = 0; j < width; j++)
            {
                dg[j] = (float)dGamma[j];
                db[j] = (float)dBeta[j];
            }
        }

        /// <summary>dz = gamma*invStd*(dy - mean(dy) - x̂*mean(dy*x̂)), the means taken over <see cref="Count"/> rows.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private readonly void InputGradients(int first, int end)
        {
            int rows = Rows, features = Features, width = end - first;
            double* dGamma = GammaSums + first;
            double* dBeta = BetaSums + first;
            float* scale = (float*)(Scratch + 1 + 2 * features) + first;
            float* meanDBeta = scale + features;
            float* meanDGamma = meanDBeta + features;
            float* s = InvStd + first, g = Gamma + first;
            double count = Count;
            for (int j = 0; j < width; j++)
            {
                scale[j] = g[j] * s[j];
                meanDBeta[j] = (float)(dBeta[j] / count);
                meanDGamma[j] = (float)(dGamma[j] / count);
            }

            float* dy = Dy + first, xhat = XHat + first;
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
