using DslNet.Kernels.Cpu;
using DslNet.Kernels.Cpu.Spatial;
using ILGPU;

namespace DslNet.Kernels.Gpu.Spatial;

/// <summary>
/// Conv2d on the device with the CPU path's layouts (<see cref="Conv2d"/>): NHWC activations in the network's storage
/// (<see cref="IDeviceTensor"/>; the input may be the network's fp32 input), fp32 weights [C_out, C_in/groups, kH, kW]. One thread per output value, each a gather
/// (the input gradient gathers over the output pixels whose window covers its pixel), so no kernel needs atomics and
/// every result is deterministic. These are device functions: a kernel (the generator's, or a test's wrapper) builds the
/// storage tensors from its views and calls one per thread index; sums in fp32 for the two passes per pixel, in double for the weight gradient's long
/// reductions, as on the CPU. Any groups (depthwise included), stride, padding and dilation.
/// </summary>
public static class GpuConv2d
{
    /// <summary>Thread e of N·OH·OW·C_out: pre[e] = Σ x·w + bias; output[e] = activation(pre[e]) when <paramref name="hasOutput"/>.</summary>
    public static void Forward<TInput, TTensor, TAct>(int e, TInput input, ArrayView<float> weight, ArrayView<float> bias, bool hasBias,
        TTensor preActivation, TTensor output, bool hasOutput, Conv2dGeometry g, TAct activation)
        where TInput : struct, IDeviceTensor
        where TTensor : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        int co = e % g.OutChannels, pixel = e / g.OutChannels;
        int ow = pixel % g.OutWidth, rest = pixel / g.OutWidth, oh = rest % g.OutHeight, n = rest / g.OutHeight;
        int cpg = g.InChannels / g.Groups, first = co / (g.OutChannels / g.Groups) * cpg;
        float sum = 0f;
        for (int i = 0; i < g.KernelHeight; i++)
        {
            int ih = oh * g.StrideHeight - g.PadHeight + i * g.DilationHeight;
            if (ih < 0 || ih >= g.Height) continue;
            for (int j = 0; j < g.KernelWidth; j++)
            {
                int iw = ow * g.StrideWidth - g.PadWidth + j * g.DilationWidth;
                if (iw < 0 || iw >= g.Width) continue;
                int x = ((n * g.Height + ih) * g.Width + iw) * g.InChannels + first;
                for (int c = 0; c < cpg; c++)
                {
                    sum += input.Load(x + c) * weight[((co * cpg + c) * g.KernelHeight + i) * g.KernelWidth + j];
                }
            }
        }

        if (hasBias) sum += bias[co];
        preActivation.Store(e, sum);
        if (hasOutput) output.Store(e, activation.Apply(sum));
    }

    /// <summary>Thread e of N·H·W·C_in: dx[e] = Σ over the (output pixel, tap) pairs that read input value e of dy·w.</summary>
    public static void BackwardInput<TTensor>(int e, TTensor gradPre, ArrayView<float> weight, TTensor inputGradient, Conv2dGeometry g)
        where TTensor : struct, IDeviceTensor
    {
        int ci = e % g.InChannels, pixel = e / g.InChannels;
        int iw = pixel % g.Width, rest = pixel / g.Width, ih = rest % g.Height, n = rest / g.Height;
        var contribution = new GradientThroughWeights<TTensor>(gradPre, weight, g, ci);
        inputGradient.Store(e, GpuReadingTaps.Sum(n, ih, iw, g, contribution));
    }

    /// <summary>dy·w of one output pixel and tap, over the output channels of the input channel's group.</summary>
    private readonly struct GradientThroughWeights<TTensor> : ITapContribution
        where TTensor : struct, IDeviceTensor
    {
        private readonly TTensor _gradPre;
        private readonly ArrayView<float> _weight;
        private readonly Conv2dGeometry _g;
        private readonly int _channelsPerGroup, _outputsPerGroup, _firstOutput, _channelInGroup;

        public GradientThroughWeights(TTensor gradPre, ArrayView<float> weight, Conv2dGeometry g, int inputChannel)
        {
            _gradPre = gradPre;
            _weight = weight;
            _g = g;
            _channelsPerGroup = g.InChannels / g.Groups;
            _outputsPerGroup = g.OutChannels / g.Groups;
            int group = inputChannel / _channelsPerGroup;
            _firstOutput = group * _outputsPerGroup;
            _channelInGroup = inputChannel - group * _channelsPerGroup;
        }

        public float Read(int outputPixel, int kernelRow, int kernelColumn)
        {
            int dy = outputPixel * _g.OutChannels;
            float sum = 0f;
            for (int k = 0; k < _outputsPerGroup; k++)
            {
                int co = _firstOutput + k;
                int weightIndex = ((co * _channelsPerGroup + _channelInGroup) * _g.KernelHeight + kernelRow) * _g.KernelWidth + kernelColumn;
                sum += _gradPre.Load(dy + co) * _weight[weightIndex];
            }

            return sum;
        }
    }

    /// <summary>Thread e of C_out·C_in/groups·kH·kW (+ C_out more when <paramref name="hasBias"/>): the weight gradient
    /// Σ over N·OH·OW of x·dy, then the bias gradient Σ dy; overwritten, summed in double.</summary>
    public static void BackwardWeights<TInput, TTensor>(int e, TTensor gradPre, TInput input, ArrayView<float> weightGradient,
        ArrayView<float> biasGradient, bool hasBias, Conv2dGeometry g)
        where TInput : struct, IDeviceTensor
        where TTensor : struct, IDeviceTensor
    {
        int weights = g.WeightLength, pixels = g.OutputPixels;
        if (e >= weights)
        {
            if (hasBias && e - weights < g.OutChannels) BackwardBias(e - weights, gradPre, biasGradient, g);
            return;
        }

        int cpg = g.InChannels / g.Groups, opg = g.OutChannels / g.Groups;
        int j = e % g.KernelWidth, r = e / g.KernelWidth, i = r % g.KernelHeight, r2 = r / g.KernelHeight, c = r2 % cpg, co = r2 / cpg;
        int ci = co / opg * cpg + c;
        double sum = 0;
        for (int p = 0; p < pixels; p++)
        {
            int ow = p % g.OutWidth, rest = p / g.OutWidth, oh = rest % g.OutHeight, n = rest / g.OutHeight;
            int ih = oh * g.StrideHeight - g.PadHeight + i * g.DilationHeight, iw = ow * g.StrideWidth - g.PadWidth + j * g.DilationWidth;
            if (ih < 0 || ih >= g.Height || iw < 0 || iw >= g.Width) continue;
            sum += (double)input.Load(((n * g.Height + ih) * g.Width + iw) * g.InChannels + ci) * gradPre.Load(p * g.OutChannels + co);
        }

        weightGradient[e] = (float)sum;
    }

    /// <summary>Thread <paramref name="channel"/> of C_out: the bias gradient Σ over N·OH·OW of dy, summed in double in pixel
    /// order (the library route's weight gradient leaves the bias to this).</summary>
    public static void BackwardBias<TTensor>(int channel, TTensor gradPre, ArrayView<float> biasGradient, Conv2dGeometry g)
        where TTensor : struct, IDeviceTensor
    {
        double bias = 0;
        for (int p = 0; p < g.OutputPixels; p++) bias += gradPre.Load(p * g.OutChannels + channel);
        biasGradient[channel] = (float)bias;
    }
}
