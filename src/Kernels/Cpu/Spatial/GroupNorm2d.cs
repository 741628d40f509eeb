using System.Runtime.CompilerServices;

namespace DslNet.Kernels.Cpu.Spatial;

/// <summary>Where a spatial normalization's gamma and beta live.</summary>
public enum NormAffine
{
    /// <summary>No affine: output = activation(x̂).</summary>
    None,

    /// <summary>One gamma and beta per channel (GroupNorm, InstanceNorm2d(affine=True)).</summary>
    PerChannel,

    /// <summary>One per element in PyTorch's [C, H, W] order (LayerNorm([C, H, W])).</summary>
    PerElement,
}

/// <summary>
/// GroupNorm over channels on NHWC activations: each image's channels split into <c>groups</c> contiguous groups,
/// each normalized over (C/groups, H, W). InstanceNorm2d is groups = C and LayerNorm over [C, H, W] is groups = 1 with
/// per-element affine; both are the wrappers below. One task per image (statistics never cross images); moments in
/// double, one pass (as <see cref="BatchNorm2d"/>). invStd is [N, groups].
/// </summary>
public static unsafe class GroupNorm2d
{
    private const long ParallelThreshold = 16 * 1024;

    /// <summary>values: in z, out x̂; output = activation(gamma·x̂ + beta) (gamma/beta as <paramref name="affine"/> says,
    /// empty for <see cref="NormAffine.None"/>).</summary>
    public static void Forward<TAct>(Span<float> values, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> invStd,
        Span<float> output, int batch, int pixels, int channels, int groups, float eps, NormAffine affine, TAct activation)
        where TAct : struct, IActivation
    {
        long count = Check(values.Length, output.Length, gamma.Length, beta.Length, invStd.Length, batch, pixels, channels, groups, affine);
        fixed (float* z = values)
        fixed (float* g = gamma)
        fixed (float* b = beta)
        fixed (float* s = invStd)
        fixed (float* y = output)
        {
            var job = new Job<TAct>
            {
                Z = z, Other = y, InvStd = s, Pixels = pixels, Channels = channels, Groups = groups, Eps = eps, Affine = affine,
                Activation = activation,
            };
            job.SetAffine(g, b);
            ChannelMath.Run(&Job<TAct>.Forward, Unsafe.AsPointer(ref job), batch, count, ParallelThreshold);
        }
    }

    /// <summary>gradient: in dL/doutput, out dL/dz; gammaGradient/betaGradient (same layout as gamma/beta) overwritten.</summary>
    public static void Backward<TAct>(Span<float> gradient, ReadOnlySpan<float> normalized, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, ReadOnlySpan<float> invStd, Span<float> gammaGradient, Span<float> betaGradient,
        int batch, int pixels, int channels, int groups, NormAffine affine, TAct activation)
        where TAct : struct, IActivation
    {
        long count = Check(gradient.Length, normalized.Length, gamma.Length, beta.Length, invStd.Length, batch, pixels, channels, groups, affine);
        int parameters = ParameterLength(affine, pixels, channels);
        Gemm.CheckShape(gammaGradient.Length, parameters, nameof(gammaGradient));
        Gemm.CheckShape(betaGradient.Length, parameters, nameof(betaGradient));
        fixed (float* dy = gradient)
        fixed (float* xhat = normalized)
        fixed (float* g = gamma)
        fixed (float* b = beta)
        fixed (float* s = invStd)
        fixed (float* dg = gammaGradient)
        fixed (float* db = betaGradient)
        {
            int stride = 2 * parameters;
            int maxThreads = Math.Min(CpuThreads.Count, batch);
            double* partials = SpatialScratch.Partials((long)maxThreads * stride + 1);
            new Span<double>(partials, maxThreads * stride).Clear();
            var job = new Job<TAct>
            {
                Z = dy, Other = xhat, InvStd = s, Partials = partials, ParameterStride = stride, Pixels = pixels, Channels = channels,
                Groups = groups, Affine = affine, Activation = activation,
            };
            job.SetAffine(g, b);
            int threads = ChannelMath.Run(&Job<TAct>.Backward, Unsafe.AsPointer(ref job), batch, count, ParallelThreshold);
            if (affine == NormAffine.None)
            {
                return;
            }

            ChannelMath.ReducePartials(partials, threads, stride);
            if (affine == NormAffine.PerChannel)
            {
                for (int c = 0; c < channels; c++)
                {
                    dg[c] = (float)partials[c];
                    db[c] = (float)partials[parameters + c];
                }

                return;
            }

            // Sums were kept in NHWC order; the parameters are [C, H, W].
            for (int p = 0; p < pixels; p++)
            {
                for (int c = 0; c < channels; c++)
                {
                    dg[(long)c * pixels + p] = (float)partials[(long)p * channels + c];
                    db[(long)c * pixels + p] = (float)partials[parameters + (long)p * channels + c];
                }
            }
        }
    }

    private static int ParameterLength(NormAffine affine, int pixels, int channels) => affine switch
    {
        NormAffine.None => 0,
        NormAffine.PerChannel => channels,
        _ => checked(pixels * channels),
    };

    private static long Check(int values, int output, int gamma, int beta, int invStd, int batch, int pixels, int channels, int groups, NormAffine affine)
    {
        if (groups <= 0 || channels % groups != 0)
        {
            throw new ArgumentException($"groups ({groups}) must be positive and divide channels ({channels}).", nameof(groups));
        }

        long count = (long)batch * pixels * channels;
        Gemm.CheckShape(values, count, "values");
        Gemm.CheckShape(output, count, "output");
        Gemm.CheckShape(invStd, (long)batch * groups, nameof(invStd));
        BatchNorm.CheckFeatures(gamma, beta, ParameterLength(affine, pixels, channels));
        return count;
    }

    private struct Job<TAct>
        where TAct : struct, IActivation
    {
        public float* Z, Other, InvStd, Gamma, Beta;
        public double* Partials;
        public int ParameterStride, Pixels, Channels, Groups;
        public float Eps;
        public NormAffine Affine;
        public TAct Activation;

        /// <summary>Per-element gamma/beta are reordered to NHWC's [H, W, C] once per call, in the caller's scratch.</summary>
        public void SetAffine(float* gamma, float* beta)
        {
            if (Affine != NormAffine.PerElement)
            {
                Gamma = gamma;
                Beta = beta;
                return;
            }

            long length = (long)Pixels * Channels;
            float* reordered = SpatialScratch.Weights(2 * length);
            for (int c = 0; c < Channels; c++)
            {
                for (int p = 0; p < Pixels; p++)
                {
                    reordered[(long)p * Channels + c] = gamma[(long)c * Pixels + p];
                    reordered[length + (long)p * Channels + c] = beta[(long)c * Pixels + p];
                }
            }

            Gamma = reordered;
            Beta = reordered + length;
        }

        private readonly float* GammaAt(int pixel) => Affine == NormAffine.PerElement ? Gamma + (long)pixel * Channels : Gamma;

        private readonly float* BetaAt(int pixel) => Affine == NormAffine.PerElement ? Beta + (long)pixel * Channels : Beta;

        /// <summary>Per-channel float vectors of the image's per-group mean and 1/σ (channel scratch, 4·C floats).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Forward(void* context, int image, int thread)
        {
            ref var job = ref Unsafe.AsRef<Job<TAct>>(context);
            int c = job.Channels, pixels = job.Pixels, groups = job.Groups, width = c / groups;
            float* z = job.Z + (long)image * pixels * c, y = job.Other + (long)image * pixels * c;
            float* scratch = SpatialScratch.Columns(6L * c);
            double* sum = (double*)scratch, squares = sum + c;
            float* mean = (float*)(squares + c), inv = mean + c;
            new Span<double>(sum, 2 * c).Clear();
            for (int p = 0; p < pixels; p++)
            {
                ChannelMath.AccumulateMoments(sum, squares, z + (long)p * c, c);
            }

            double n = (double)pixels * width;
            for (int group = 0; group < groups; group++)
            {
                double s = 0, q = 0;
                for (int k = group * width; k < (group + 1) * width; k++)
                {
                    s += sum[k];
                    q += squares[k];
                }

                double m = s / n, variance = Math.Max(q / n - m * m, 0.0);
                float invStd = (float)(1.0 / Math.Sqrt(variance + job.Eps));
                job.InvStd[(long)image * groups + group] = invStd;
                for (int k = group * width; k < (group + 1) * width; k++)
                {
                    mean[k] = (float)m;
                    inv[k] = invStd;
                }
            }

            for (int p = 0; p < pixels; p++)
            {
                float* row = z + (long)p * c;
                ChannelMath.Normalize(row, mean, inv, c);
                if (job.Affine == NormAffine.None)
                {
                    Elementwise.Activate(row, y + (long)p * c, c, job.Activation);
                }
                else
                {
                    Elementwise.AffineActivate(row, job.GammaAt(p), job.BetaAt(p), y + (long)p * c, c, job.Activation);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Backward(void* context, int image, int thread)
        {
            ref var job = ref Unsafe.AsRef<Job<TAct>>(context);
            int c = job.Channels, pixels = job.Pixels, groups = job.Groups, width = c / groups;
            float* dy = job.Z + (long)image * pixels * c, xhat = job.Other + (long)image * pixels * c;
            float* scratch = SpatialScratch.Columns(8L * c);
            double* sumD = (double*)scratch, sumDx = sumD + c;
            float* meanD = (float*)(sumDx + c), meanDx = meanD + c, scale = meanDx + c, dxhat = scale + c;
            new Span<double>(sumD, 2 * c).Clear();
            double* dGamma = job.Partials + (long)thread * job.ParameterStride;
            double* dBeta = dGamma + job.ParameterStride / 2;
            for (int p = 0; p < pixels; p++)
            {
                float* g = dy + (long)p * c, x = xhat + (long)p * c;
                if (job.Affine == NormAffine.None)
                {
                    Elementwise.MultiplyDerivative(g, x, c, job.Activation);
                    Reductions.AccumulateRow(sumD, g, c);
                    Reductions.AccumulateProduct(sumDx, g, x, c);
                    continue;
                }

                Elementwise.MultiplyAffineDerivative(g, x, job.GammaAt(p), job.BetaAt(p), c, job.Activation);
                long offset = job.Affine == NormAffine.PerElement ? (long)p * c : 0;
                Reductions.AccumulateRow(dBeta + offset, g, c);
                Reductions.AccumulateProduct(dGamma + offset, g, x, c);

                // From here on g holds dL/dx̂ = gamma·dL/dy.
                ChannelMath.Multiply(g, job.GammaAt(p), g, c);
                Reductions.AccumulateRow(sumD, g, c);
                Reductions.AccumulateProduct(sumDx, g, x, c);
            }

            // dz = invStd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), means over the group's (C/groups, H, W).
            double n = (double)pixels * width;
            for (int group = 0; group < groups; group++)
            {
                double s = 0, q = 0;
                for (int k = group * width; k < (group + 1) * width; k++)
                {
                    s += sumD[k];
                    q += sumDx[k];
                }

                float invStd = job.InvStd[(long)image * groups + group];
                for (int k = group * width; k < (group + 1) * width; k++)
                {
                    meanD[k] = (float)(s / n);
                    meanDx[k] = (float)(q / n);
                    scale[k] = invStd;
                }
            }

            for (int p = 0; p < pixels; p++)
            {
                float* g = dy + (long)p * c;
                ChannelMath.InputGradient(g, xhat + (long)p * c, scale, meanD, meanDx, g, c);
            }
        }
    }
}

/// <summary>InstanceNorm2d (track_running_stats = False, PyTorch's default): GroupNorm with one group per channel.
/// invStd is [N, C]; gamma/beta per channel when affine, else empty.</summary>
public static class InstanceNorm2d
{
    public static void Forward<TAct>(Span<float> values, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> invStd,
        Span<float> output, int batch, int pixels, int channels, float eps, bool affine, TAct activation)
        where TAct : struct, IActivation =>
        GroupNorm2d.Forward(values, gamma, beta, invStd, output, batch, pixels, channels, channels, eps,
            affine ? NormAffine.PerChannel : NormAffine.None, activation);

    public static void Backward<TAct>(Span<float> gradient, ReadOnlySpan<float> normalized, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, ReadOnlySpan<float> invStd, Span<float> gammaGradient, Span<float> betaGradient,
        int batch, int pixels, int channels, bool affine, TAct activation)
        where TAct : struct, IActivation =>
        GroupNorm2d.Backward(gradient, normalized, gamma, beta, invStd, gammaGradient, betaGradient, batch, pixels, channels, channels,
            affine ? NormAffine.PerChannel : NormAffine.None, activation);
}

/// <summary>LayerNorm([C, H, W]) on NHWC activations: GroupNorm with one group and per-element gamma/beta in PyTorch's
/// [C, H, W] order (so checkpoints and the reference compare directly). invStd is [N].</summary>
public static class LayerNorm2d
{
    public static void Forward<TAct>(Span<float> values, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> invStd,
        Span<float> output, int batch, int pixels, int channels, float eps, TAct activation)
        where TAct : struct, IActivation =>
        GroupNorm2d.Forward(values, gamma, beta, invStd, output, batch, pixels, channels, 1, eps, NormAffine.PerElement, activation);

    public static void Backward<TAct>(Span<float> gradient, ReadOnlySpan<float> normalized, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, ReadOnlySpan<float> invStd, Span<float> gammaGradient, Span<float> betaGradient,
        int batch, int pixels, int channels, TAct activation)
        where TAct : struct, IActivation =>
        GroupNorm2d.Backward(gradient, normalized, gamma, beta, invStd, gammaGradient, betaGradient, batch, pixels, channels, 1,
            NormAffine.PerElement, activation);
}
