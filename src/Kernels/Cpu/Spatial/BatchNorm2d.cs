using System.Runtime.CompilerServices;

namespace DslNet.Kernels.Cpu.Spatial;

/// <summary>
/// BatchNorm2d on NHWC activations: statistics per channel over (N, H, W), i.e. over the rows of an
/// [N·H·W, C] matrix, split across threads by row ranges (a channel split would give each core a handful of channels).
/// Moments are summed in double in one pass (Σx, Σx²): with double sums the cancellation of Σx²/n − mean² costs
/// nothing at activation scales. Normalizes with the biased variance, updates running_var with the unbiased one, as
/// PyTorch (and <see cref="BatchNorm"/>). Always affine; fused with the block's activation.
/// </summary>
public static unsafe class BatchNorm2d
{
    private const int RowsPerTask = 512;
    private const long ParallelThreshold = 32 * 1024;

    /// <summary>values: in z (NHWC, <paramref name="pixels"/> = N·H·W rows of <paramref name="channels"/>), out x̂ (saved
    /// for backward); invStd[C] saved; output = activation(gamma·x̂ + beta); running statistics updated.</summary>
    public static void ForwardTraining<TAct>(Span<float> values, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> runningMean, Span<float> runningVar, Span<float> invStd, Span<float> output,
        int pixels, int channels, float momentum, float eps, TAct activation)
        where TAct : struct, IActivation
    {
        CheckTrainingPixels(pixels, nameof(pixels));
        BatchNorm.CheckForward(values, gamma, beta, runningMean, runningVar, invStd, output, pixels, channels);
        long count = (long)pixels * channels;
        fixed (float* z = values)
        fixed (float* g = gamma)
        fixed (float* b = beta)
        fixed (float* rm = runningMean)
        fixed (float* rv = runningVar)
        fixed (float* s = invStd)
        fixed (float* y = output)
        {
            float* mean = Statistics(z, rm, rv, s, pixels, channels, momentum, eps);
            var job = new Job<TAct>
            {
                Z = z, Output = y, Pixels = pixels, Channels = channels, Activation = activation, Mean = mean, Inv = mean + channels, Gamma = g, Beta = b,
            };
            ChannelMath.Run(&Job<TAct>.Normalize, Unsafe.AsPointer(ref job), Tasks(pixels), count, ParallelThreshold);
        }
    }

    /// <summary>
    /// The batch statistics of z's N·H·W pixel rows: Σx and Σx² per channel in double (per-thread partials, reduced in
    /// thread order), then invStd[C] and the running statistics updated. Returns the mean as floats followed by 1/σ
    /// (<paramref name="channels"/> each, in the caller's partials scratch) for the normalize pass.
    /// </summary>
    internal static float* Statistics(float* z, float* runningMean, float* runningVar, float* invStd, int pixels, int channels, float momentum,
        float eps)
    {
        int tasks = Tasks(pixels);
        int stride = 2 * channels;
        double* partials = PairPartials(channels, tasks);
        var job = new Job<Identity> { Z = z, Partials = partials, Pixels = pixels, Channels = channels };
        int threads = ChannelMath.Run(&Job<Identity>.Moments, Unsafe.AsPointer(ref job), tasks, (long)pixels * channels, ParallelThreshold);
        ChannelMath.ReducePartials(partials, threads, stride);

        float* mean = (float*)(partials + stride);
        float* inv = mean + channels;
        for (int c = 0; c < channels; c++)
        {
            double m = partials[c] / pixels;
            double biased = Math.Max(partials[channels + c] / pixels - m * m, 0.0);
            inv[c] = invStd[c] = (float)(1.0 / Math.Sqrt(biased + eps));
            mean[c] = (float)m;
            runningMean[c] = (float)((1.0 - momentum) * runningMean[c] + momentum * m);
            runningVar[c] = (float)((1.0 - momentum) * runningVar[c] + momentum * (biased * pixels / (pixels - 1)));
        }

        return mean;
    }

    /// <summary>Training statistics need more than one value per channel.</summary>
    internal static void CheckTrainingPixels(int pixels, string paramName)
    {
        if (pixels < 2)
        {
            throw new ArgumentException("BatchNorm2d needs more than one value per channel in training (N·H·W > 1).", paramName);
        }
    }

    private static int Tasks(int pixels) => (pixels + RowsPerTask - 1) / RowsPerTask;

    /// <summary>gradient: in dL/doutput, out dL/dz (NHWC). Applies f'(gamma·x̂ + beta) first. gammaGradient and
    /// betaGradient are overwritten.</summary>
    public static void Backward<TAct>(Span<float> gradient, ReadOnlySpan<float> normalized, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, ReadOnlySpan<float> invStd, Span<float> gammaGradient, Span<float> betaGradient,
        int pixels, int channels, TAct activation)
        where TAct : struct, IActivation
    {
        long count = (long)pixels * channels;
        BatchNorm.CheckBackward(gradient, normalized, gamma, beta, invStd, gammaGradient, betaGradient, pixels, channels);
        fixed (float* dy = gradient)
        fixed (float* xhat = normalized)
        fixed (float* g = gamma)
        fixed (float* b = beta)
        fixed (float* s = invStd)
        fixed (float* dg = gammaGradient)
        fixed (float* db = betaGradient)
        {
            int tasks = Tasks(pixels);
            double* partials = PairPartials(channels, tasks);
            var job = new Job<TAct>
            {
                Z = dy, Output = xhat, Partials = partials, Pixels = pixels, Channels = channels, Activation = activation, Gamma = g, Beta = b,
            };
            int threads = ChannelMath.Run(&Job<TAct>.GradientSums, Unsafe.AsPointer(ref job), tasks, count, ParallelThreshold);
            job.Inv = GradientCoefficients(partials, threads, pixels, channels, g, s, dg, db);
            job.Mean = job.Inv + channels;
            job.MeanProduct = job.Mean + channels;
            ChannelMath.Run(&Job<TAct>.InputGradient, Unsafe.AsPointer(ref job), tasks, count, ParallelThreshold);
        }
    }

    /// <summary>Cleared per-thread partial sums, two per channel in double (Σx and Σx², or Σdy and Σdy·x̂), for at most
    /// <paramref name="tasks"/> threads, in the caller's partials scratch with room after them for the floats
    /// <see cref="Statistics"/> and <see cref="GradientCoefficients"/> write there.</summary>
    internal static double* PairPartials(int channels, int tasks)
    {
        int maxThreads = Math.Min(CpuThreads.Count, tasks);
        double* partials = SpatialScratch.Partials((long)maxThreads * 2 * channels + 2 * channels);
        new Span<double>(partials, maxThreads * 2 * channels).Clear();
        return partials;
    }

    /// <summary>
    /// Reduces the threads' Σdy and Σdy·x̂, writes betaGradient and gammaGradient, and returns the input gradient's
    /// coefficients, dz = gamma·invStd·(dy − mean(dy) − x̂·mean(dy·x̂)) with the means over N·H·W: gamma·invStd,
    /// mean(dy) and mean(dy·x̂), <paramref name="channels"/> floats each, one after another in the partials scratch.
    /// </summary>
    internal static float* GradientCoefficients(double* partials, int threads, int pixels, int channels, float* gamma, float* invStd,
        float* gammaGradient, float* betaGradient)
    {
        ChannelMath.ReducePartials(partials, threads, 2 * channels);
        float* scale = (float*)(partials + 2 * channels);
        float* meanDy = scale + channels;
        float* meanDyX = meanDy + channels;
        for (int c = 0; c < channels; c++)
        {
            betaGradient[c] = (float)partials[c];
            gammaGradient[c] = (float)partials[channels + c];
            scale[c] = gamma[c] * invStd[c];
            meanDy[c] = (float)(partials[c] / pixels);
            meanDyX[c] = (float)(partials[channels + c] / pixels);
        }

        return scale;
    }

    /// <summary>Eval mode, out of place: output = activation(input·scale + shift) per channel, scale/shift from
    /// <see cref="BatchNorm.InferenceAffine"/> (the running statistics folded into an affine map).</summary>
    public static void Inference<TAct>(ReadOnlySpan<float> input, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> output,
        int pixels, int channels, TAct activation)
        where TAct : struct, IActivation
    {
        long count = (long)pixels * channels;
        Gemm.CheckShape(input.Length, count, nameof(input));
        Gemm.CheckShape(output.Length, count, nameof(output));
        Gemm.CheckShape(scale.Length, channels, nameof(scale));
        Gemm.CheckShape(shift.Length, channels, nameof(shift));
        fixed (float* x = input)
        fixed (float* sc = scale)
        fixed (float* sh = shift)
        fixed (float* y = output)
        {
            var job = new Job<TAct> { Z = x, Output = y, Gamma = sc, Beta = sh, Pixels = pixels, Channels = channels, Activation = activation };
            ChannelMath.Run(&Job<TAct>.Affine, Unsafe.AsPointer(ref job), (pixels + RowsPerTask - 1) / RowsPerTask, count, ParallelThreshold);
        }
    }

    /// <summary>Backward of eval mode (frozen statistics, e.g. fine-tuning): gradient in dL/doutput (activation
    /// derivative taken at input·scale + shift), out dL/dinput = gradient·scale; gammaGradient = Σ dy·(x − mean)/σ,
    /// betaGradient = Σ dy over N·H·W, overwritten. Runs on the calling thread.</summary>
    [SkipLocalsInit]
    public static void InferenceBackward<TAct>(Span<float> gradient, ReadOnlySpan<float> input, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, float eps, Span<float> gammaGradient, Span<float> betaGradient,
        int pixels, int channels, TAct activation)
        where TAct : struct, IActivation
    {
        long count = (long)pixels * channels;
        Gemm.CheckShape(gradient.Length, count, nameof(gradient));
        Gemm.CheckShape(input.Length, count, nameof(input));
        BatchNorm.CheckFeatures(gamma.Length, beta.Length, channels);
        Gemm.CheckShape(runningMean.Length, channels, nameof(runningMean));
        Gemm.CheckShape(runningVar.Length, channels, nameof(runningVar));
        Gemm.CheckShape(gammaGradient.Length, channels, nameof(gammaGradient));
        Gemm.CheckShape(betaGradient.Length, channels, nameof(betaGradient));
        double* sums = SpatialScratch.Partials(2L * channels + 2L * channels);
        new Span<double>(sums, 2 * channels).Clear();
        float* scale = (float*)(sums + 2 * channels), shift = scale + channels;
        fixed (float* g = gamma)
        fixed (float* b = beta)
        fixed (float* rm = runningMean)
        fixed (float* rv = runningVar)
        fixed (float* dy = gradient)
        fixed (float* x = input)
        fixed (float* dg = gammaGradient)
        fixed (float* db = betaGradient)
        {
            BatchNorm.InferenceAffine(gamma, beta, runningMean, runningVar, eps, new Span<float>(scale, channels), new Span<float>(shift, channels), channels);
            for (long r = 0; r < pixels; r++)
            {
                float* row = dy + r * channels, xr = x + r * channels;
                for (int c = 0; c < channels; c++)
                {
                    float pre = MathF.FusedMultiplyAdd(xr[c], scale[c], shift[c]);
                    float d = row[c] * activation.Derivative(pre);
                    double xhat = (xr[c] - (double)rm[c]) / Math.Sqrt((double)rv[c] + eps);
                    sums[c] += d;
                    sums[channels + c] += d * xhat;
                    row[c] = d * scale[c];
                }
            }

            for (int c = 0; c < channels; c++)
            {
                db[c] = (float)sums[c];
                dg[c] = (float)sums[channels + c];
            }
        }
    }

    private struct Job<TAct>
        where TAct : struct, IActivation
    {
        public float* Z, Output, Gamma, Beta, Mean, Inv, MeanProduct;
        public double* Partials;
        public int Pixels, Channels;
        public TAct Activation;

        private readonly (long First, int Rows) Rows(int task)
        {
            int first = task * RowsPerTask;
            return ((long)first * Channels, Math.Min(RowsPerTask, Pixels - first));
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Moments(void* context, int task, int thread)
        {
            ref var job = ref Unsafe.AsRef<Job<TAct>>(context);
            var (first, rows) = job.Rows(task);
            int c = job.Channels;
            double* sum = job.Partials + (long)thread * 2 * c;
            for (int r = 0; r < rows; r++)
            {
                ChannelMath.AccumulateMoments(sum, sum + c, job.Z + first + (long)r * c, c);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Normalize(void* context, int task, int thread)
        {
            ref var job = ref Unsafe.AsRef<Job<TAct>>(context);
            var (first, rows) = job.Rows(task);
            int c = job.Channels;
            for (int r = 0; r < rows; r++)
            {
                float* row = job.Z + first + (long)r * c;
                ChannelMath.Normalize(row, job.Mean, job.Inv, c);
                Elementwise.AffineActivate(row, job.Gamma, job.Beta, job.Output + first + (long)r * c, c, job.Activation);
            }
        }

        /// <summary>Z holds dy (made dL/d(pre-activation of the affine) in place), Output holds x̂.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void GradientSums(void* context, int task, int thread)
        {
            ref var job = ref Unsafe.AsRef<Job<TAct>>(context);
            var (first, rows) = job.Rows(task);
            int c = job.Channels;
            double* sum = job.Partials + (long)thread * 2 * c;
            for (int r = 0; r < rows; r++)
            {
                float* dy = job.Z + first + (long)r * c;
                float* x = job.Output + first + (long)r * c;
                Elementwise.MultiplyAffineDerivative(dy, x, job.Gamma, job.Beta, c, job.Activation);
                Reductions.AccumulateRow(sum, dy, c);
                Reductions.AccumulateProduct(sum + c, dy, x, c);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void InputGradient(void* context, int task, int thread)
        {
            ref var job = ref Unsafe.AsRef<Job<TAct>>(context);
            var (first, rows) = job.Rows(task);
            int c = job.Channels;
            for (int r = 0; r < rows; r++)
            {
                float* dy = job.Z + first + (long)r * c;
                ChannelMath.InputGradient(dy, job.Output + first + (long)r * c, job.Inv, job.Mean, job.MeanProduct, dy, c);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Affine(void* context, int task, int thread)
        {
            ref var job = ref Unsafe.AsRef<Job<TAct>>(context);
            var (first, rows) = job.Rows(task);
            int c = job.Channels;
            for (int r = 0; r < rows; r++)
            {
                Elementwise.AffineActivate(job.Z + first + (long)r * c, job.Gamma, job.Beta, job.Output + first + (long)r * c, c, job.Activation);
            }
        }
    }
}
