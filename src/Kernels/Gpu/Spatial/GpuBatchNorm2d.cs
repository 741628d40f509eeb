using DslNet.Kernels.Cpu;
using ILGPU;

namespace DslNet.Kernels.Gpu.Spatial;

/// <summary>
/// BatchNorm2d on the device, NHWC, with <see cref="Cpu.Spatial.BatchNorm2d"/>'s numerics (one-pass double moments,
/// biased variance to normalize, unbiased for running_var): a per-channel statistics kernel, then a per-element
/// kernel; backward the same way. <c>mean</c> is fp32 scratch of C values between the two forward kernels.
/// </summary>
public static class GpuBatchNorm2d
{
    /// <summary>Thread c: mean[c], invStd[c] and the running statistics from the N·H·W values of channel c.</summary>
    public static void Statistics<TTensor>(int c, TTensor values, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> runningMean, ArrayView<float> runningVar, int pixels, int channels, float momentum, float eps)
        where TTensor : struct, IDeviceTensor
    {
        double sum = 0, squares = 0;
        for (int p = 0; p < pixels; p++)
        {
            double v = values.Load(p * channels + c);
            sum += v;
            squares += v * v;
        }

        double m = sum / pixels, biased = squares / pixels - m * m;
        if (biased < 0) biased = 0;
        mean[c] = (float)m;
        invStd[c] = (float)(1.0 / System.Math.Sqrt(biased + eps));
        runningMean[c] = (float)((1.0 - momentum) * runningMean[c] + momentum * m);
        runningVar[c] = (float)((1.0 - momentum) * runningVar[c] + momentum * (biased * pixels / (pixels - 1)));
    }

    /// <summary>Thread e: values[e] = x̂; output[e] = activation(gamma·x̂ + beta).</summary>
    public static void Normalize<TTensor, TAct>(int e, TTensor values, TTensor output, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> gamma, ArrayView<float> beta, int channels, TAct activation)
        where TTensor : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        int c = e % channels;
        float x = (values.Load(e) - mean[c]) * invStd[c];
        values.Store(e, x);
        output.Store(e, activation.Apply(gamma[c] * x + beta[c]));
    }

    /// <summary>Thread c: betaGradient[c] = Σ g, gammaGradient[c] = Σ g·x̂ with g = dy·f'(gamma·x̂ + beta).</summary>
    public static void ParameterGradients<TTensor, TAct>(int c, TTensor gradient, TTensor normalized, ArrayView<float> gamma,
        ArrayView<float> beta, ArrayView<float> gammaGradient, ArrayView<float> betaGradient, int pixels, int channels, TAct activation)
        where TTensor : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        double dGamma = 0, dBeta = 0;
        float g = gamma[c], b = beta[c];
        for (int p = 0; p < pixels; p++)
        {
            float x = normalized.Load(p * channels + c);
            float dy = gradient.Load(p * channels + c) * activation.Derivative(g * x + b);
            dBeta += dy;
            dGamma += (double)dy * x;
        }

        gammaGradient[c] = (float)dGamma;
        betaGradient[c] = (float)dBeta;
    }

    /// <summary>Thread e (after <see cref="ParameterGradients"/>): gradient[e] = gamma·invStd·(g − mean(g) − x̂·mean(g·x̂)).</summary>
    public static void InputGradient<TTensor, TAct>(int e, TTensor gradient, TTensor normalized, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> invStd, ArrayView<float> gammaGradient, ArrayView<float> betaGradient, int pixels, int channels, TAct activation)
        where TTensor : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        int c = e % channels;
        float x = normalized.Load(e);
        float dy = gradient.Load(e) * activation.Derivative(gamma[c] * x + beta[c]);
        float meanDy = (float)((double)betaGradient[c] / pixels), meanDyX = (float)((double)gammaGradient[c] / pixels);
        gradient.Store(e, (dy - meanDy - x * meanDyX) * (gamma[c] * invStd[c]));
    }

    /// <summary>Eval mode, thread e: output = activation(input·scale + shift), scale/shift from <see cref="GpuNorm.InferenceAffine"/>.</summary>
    public static void Inference<TInput, TTensor, TAct>(int e, TInput input, TTensor output, ArrayView<float> scale, ArrayView<float> shift,
        int channels, TAct activation)
        where TInput : struct, IDeviceTensor
        where TTensor : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        int c = e % channels;
        output.Store(e, activation.Apply(input.Load(e) * scale[c] + shift[c]));
    }
}
