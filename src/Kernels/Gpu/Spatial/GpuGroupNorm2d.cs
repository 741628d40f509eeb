using DslNet.Kernels.Cpu;
using DslNet.Kernels.Cpu.Spatial;
using ILGPU;

namespace DslNet.Kernels.Gpu.Spatial;

/// <summary>
/// GroupNorm over channels on the device (InstanceNorm2d: groups = C; LayerNorm([C, H, W]): groups = 1, per-element
/// affine in [C, H, W] order), NHWC, with <see cref="GroupNorm2d"/>'s numerics. <c>groupStatistics</c> is fp32 scratch
/// of 2·N·groups values: the forward kernels keep each group's mean there, the backward ones mean(dx̂) and mean(dx̂·x̂).
/// Empty gamma/beta views for <see cref="NormAffine.None"/>.
/// </summary>
public static class GpuGroupNorm2d
{
    /// <summary>Thread (n, group) of N·groups: its mean (into groupStatistics) and invStd.</summary>
    public static void Statistics<TTensor>(int index, TTensor values, ArrayView<float> groupStatistics, ArrayView<float> invStd,
        int pixels, int channels, int groups, float eps)
        where TTensor : struct, IDeviceTensor
    {
        int n = index / groups, width = channels / groups, first = index % groups * width;
        double sum = 0, squares = 0;
        for (int p = 0; p < pixels; p++)
        {
            for (int k = 0; k < width; k++)
            {
                double v = values.Load((n * pixels + p) * channels + first + k);
                sum += v;
                squares += v * v;
            }
        }

        double count = (double)pixels * width, m = sum / count, variance = squares / count - m * m;
        if (variance < 0) variance = 0;
        groupStatistics[index] = (float)m;
        invStd[index] = (float)(1.0 / System.Math.Sqrt(variance + eps));
    }

    /// <summary>Thread e: values[e] = x̂, output[e] = activation(gamma·x̂ + beta).</summary>
    public static void Normalize<TTensor, TAct>(int e, TTensor values, TTensor output, ArrayView<float> groupStatistics,
        ArrayView<float> invStd, ArrayView<float> gamma, ArrayView<float> beta, int pixels, int channels, int groups, NormAffine affine,
        TAct activation)
        where TTensor : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        int c = e % channels, p = e / channels % pixels, n = e / channels / pixels, index = n * groups + c / (channels / groups);
        float x = (values.Load(e) - groupStatistics[index]) * invStd[index];
        values.Store(e, x);
        output.Store(e, activation.Apply(Affine(x, gamma, beta, c, p, pixels, affine)));
    }

    /// <summary>Thread (n, group): mean over the group of dx̂ and of dx̂·x̂, dx̂ = gamma·dy·f'(gamma·x̂ + beta), into groupStatistics.</summary>
    public static void GradientStatistics<TTensor, TAct>(int index, TTensor gradient, TTensor normalized, ArrayView<float> groupStatistics,
        ArrayView<float> gamma, ArrayView<float> beta, int pixels, int channels, int groups, NormAffine affine, TAct activation)
        where TTensor : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        int n = index / groups, width = channels / groups, first = index % groups * width, statistics = groupStatistics.IntLength / 2;
        double sum = 0, product = 0;
        for (int p = 0; p < pixels; p++)
        {
            for (int k = 0; k < width; k++)
            {
                int e = (n * pixels + p) * channels + first + k;
                float x = normalized.Load(e);
                float d = XHatGradient(gradient.Load(e), x, gamma, beta, first + k, p, pixels, affine, activation);
                sum += d;
                product += (double)d * x;
            }
        }

        double count = (double)pixels * width;
        groupStatistics[index] = (float)(sum / count);
        groupStatistics[statistics + index] = (float)(product / count);
    }

    /// <summary>Thread t of the parameters (C per channel, C·H·W per element, in [C, H, W] order): Σ g·x̂ and Σ g over the
    /// images (and pixels, per channel), g = dy·f'(gamma·x̂ + beta). Not launched for <see cref="NormAffine.None"/>.</summary>
    public static void ParameterGradients<TTensor, TAct>(int t, TTensor gradient, TTensor normalized, ArrayView<float> gamma,
        ArrayView<float> beta, ArrayView<float> gammaGradient, ArrayView<float> betaGradient, int batch, int pixels, int channels,
        NormAffine affine, TAct activation)
        where TTensor : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        bool perElement = affine == NormAffine.PerElement;
        int c = perElement ? t / pixels : t, firstPixel = perElement ? t % pixels : 0, endPixel = perElement ? firstPixel + 1 : pixels;
        double dGamma = 0, dBeta = 0;
        for (int n = 0; n < batch; n++)
        {
            for (int p = firstPixel; p < endPixel; p++)
            {
                int e = (n * pixels + p) * channels + c;
                float x = normalized.Load(e);
                float dy = gradient.Load(e) * activation.Derivative(Affine(x, gamma, beta, c, p, pixels, affine));
                dBeta += dy;
                dGamma += (double)dy * x;
            }
        }

        gammaGradient[t] = (float)dGamma;
        betaGradient[t] = (float)dBeta;
    }

    /// <summary>Thread e (after <see cref="GradientStatistics"/>): gradient[e] = invStd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)).</summary>
    public static void InputGradient<TTensor, TAct>(int e, TTensor gradient, TTensor normalized, ArrayView<float> groupStatistics,
        ArrayView<float> invStd, ArrayView<float> gamma, ArrayView<float> beta, int pixels, int channels, int groups, NormAffine affine,
        TAct activation)
        where TTensor : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        int c = e % channels, p = e / channels % pixels, n = e / channels / pixels, index = n * groups + c / (channels / groups);
        int statistics = groupStatistics.IntLength / 2;
        float x = normalized.Load(e);
        float d = XHatGradient(gradient.Load(e), x, gamma, beta, c, p, pixels, affine, activation);
        gradient.Store(e, (d - groupStatistics[index] - x * groupStatistics[statistics + index]) * invStd[index]);
    }

    private static float Affine(float x, ArrayView<float> gamma, ArrayView<float> beta, int c, int p, int pixels, NormAffine affine)
    {
        if (affine == NormAffine.None) return x;
        int k = affine == NormAffine.PerElement ? c * pixels + p : c;
        return gamma[k] * x + beta[k];
    }

    private static float XHatGradient<TAct>(float dy, float x, ArrayView<float> gamma, ArrayView<float> beta, int c, int p, int pixels,
        NormAffine affine, TAct activation)
        where TAct : struct, IActivation
    {
        float g = dy * activation.Derivative(Affine(x, gamma, beta, c, p, pixels, affine));
        if (affine == NormAffine.None) return g;
        return g * gamma[affine == NormAffine.PerElement ? c * pixels + p : c];
    }
}
