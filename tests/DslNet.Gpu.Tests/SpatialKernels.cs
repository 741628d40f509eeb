using DslNet.Kernels.Cpu;
using DslNet.Kernels.Cpu.Spatial;
using DslNet.Kernels.Gpu;
using DslNet.Kernels.Gpu.Spatial;
using ILGPU;

namespace DslNet.Gpu.Tests;

/// <summary>
/// Kernels around the spatial device functions, as a generated kernel would write them: storage tensors built from the
/// views inside the kernel (a tensor struct with its overflow flag is not a blittable kernel parameter), one device
/// function call per thread. fp32 storage for the parity tests; <see cref="Half"/> the same over 16-bit storage.
/// </summary>
internal static class SpatialKernels
{
    private static Fp32Tensor T(ArrayView<float> view) => new(view);

    public static void ConvForward(Index1D e, ArrayView<float> x, ArrayView<float> w, ArrayView<float> b, ArrayView<float> pre, ArrayView<float> y, Conv2dGeometry g) =>
        GpuConv2d.Forward(e, T(x), w, b, true, T(pre), T(y), true, g, default(Relu));

    public static void ConvBackwardInput(Index1D e, ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, Conv2dGeometry g) =>
        GpuConv2d.BackwardInput(e, T(dy), w, T(dx), g);

    public static void ConvBackwardWeights(Index1D e, ArrayView<float> dy, ArrayView<float> x, ArrayView<float> dw, ArrayView<float> db, Conv2dGeometry g) =>
        GpuConv2d.BackwardWeights(e, T(dy), T(x), dw, db, true, g);

    public static void ConvBackwardBias(Index1D e, ArrayView<float> dy, ArrayView<float> db, Conv2dGeometry g) =>
        GpuConv2d.BackwardBias(e, T(dy), db, g);

    public static void Im2ColGather(Index1D e, ArrayView<float> x, ArrayView<float> columns, Conv2dGeometry g) =>
        GpuIm2Col.Gather(e, T(x), T(columns), g);

    public static void Im2ColToImage(Index1D e, ArrayView<float> columns, ArrayView<float> dx, Conv2dGeometry g) =>
        GpuIm2Col.ToImage(e, T(columns), T(dx), g);

    public static void Im2ColToPatchOrder(Index1D e, ArrayView<float> w, ArrayView<float> patchOrder, Conv2dGeometry g) =>
        GpuIm2Col.ToPatchOrder(e, w, patchOrder, g);

    public static void Im2ColWeightGradient(Index1D e, ArrayView<float> product, ArrayView<float> dw, Conv2dGeometry g) =>
        GpuIm2Col.WeightGradientFromPatchOrder(e, product, dw, g);

    public static void MaxForward(Index1D e, ArrayView<float> x, ArrayView<float> y, ArrayView<int> argmax, Pool2dGeometry g) =>
        GpuPool2d.MaxForward(e, T(x), T(y), argmax, g);

    public static void MaxBackward(Index1D e, ArrayView<float> dy, ArrayView<int> argmax, ArrayView<float> dx, Pool2dGeometry g) =>
        GpuPool2d.MaxBackward(e, T(dy), argmax, T(dx), g);

    // bool is not a blittable kernel parameter: 1 counts the padding.
    public static void AvgForward(Index1D e, ArrayView<float> x, ArrayView<float> y, Pool2dGeometry g, int includePad) =>
        GpuPool2d.AvgForward(e, T(x), T(y), g, includePad != 0);

    public static void AvgBackward(Index1D e, ArrayView<float> dy, ArrayView<float> dx, Pool2dGeometry g, int includePad) =>
        GpuPool2d.AvgBackward(e, T(dy), T(dx), g, includePad != 0);

    public static void GlobalForward(Index1D e, ArrayView<float> x, ArrayView<float> y, int pixels, int channels) =>
        GpuPool2d.GlobalAvgForward(e, T(x), T(y), pixels, channels);

    public static void GlobalBackward(Index1D e, ArrayView<float> dy, ArrayView<float> dx, int pixels, int channels) =>
        GpuPool2d.GlobalAvgBackward(e, T(dy), T(dx), pixels, channels);

    public static void BatchNormStatistics(Index1D c, ArrayView<float> z, ArrayView<float> mean, ArrayView<float> inv, ArrayView<float> rm, ArrayView<float> rv,
        int pixels, int channels) =>
        GpuBatchNorm2d.Statistics(c, T(z), mean, inv, rm, rv, pixels, channels, 0.1f, 1e-5f);

    public static void BatchNormNormalize(Index1D e, ArrayView<float> z, ArrayView<float> y, ArrayView<float> mean, ArrayView<float> inv,
        ArrayView<float> gamma, ArrayView<float> beta, int channels) =>
        GpuBatchNorm2d.Normalize(e, T(z), T(y), mean, inv, gamma, beta, channels, default(Relu));

    public static void BatchNormParameterGradients(Index1D c, ArrayView<float> dy, ArrayView<float> xhat, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> dg, ArrayView<float> db, int pixels, int channels) =>
        GpuBatchNorm2d.ParameterGradients(c, T(dy), T(xhat), gamma, beta, dg, db, pixels, channels, default(Relu));

    public static void BatchNormInputGradient(Index1D e, ArrayView<float> dy, ArrayView<float> xhat, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> inv, ArrayView<float> dg, ArrayView<float> db, int pixels, int channels) =>
        GpuBatchNorm2d.InputGradient(e, T(dy), T(xhat), gamma, beta, inv, dg, db, pixels, channels, default(Relu));

    public static void BatchNormInference(Index1D e, ArrayView<float> x, ArrayView<float> y, ArrayView<float> scale, ArrayView<float> shift, int channels) =>
        GpuBatchNorm2d.Inference(e, T(x), T(y), scale, shift, channels, default(Relu));

    public static void GroupNormStatistics(Index1D i, ArrayView<float> z, ArrayView<float> stats, ArrayView<float> inv, int pixels, int channels, int groups) =>
        GpuGroupNorm2d.Statistics(i, T(z), stats, inv, pixels, channels, groups, 1e-5f);

    public static void GroupNormNormalize(Index1D e, ArrayView<float> z, ArrayView<float> y, ArrayView<float> stats, ArrayView<float> inv,
        ArrayView<float> gamma, ArrayView<float> beta, int pixels, int channels, int groups, NormAffine affine) =>
        GpuGroupNorm2d.Normalize(e, T(z), T(y), stats, inv, gamma, beta, pixels, channels, groups, affine, default(Relu));

    public static void GroupNormParameterGradients(Index1D t, ArrayView<float> dy, ArrayView<float> xhat, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> dg, ArrayView<float> db, int batch, int pixels, int channels, NormAffine affine) =>
        GpuGroupNorm2d.ParameterGradients(t, T(dy), T(xhat), gamma, beta, dg, db, batch, pixels, channels, affine, default(Relu));

    public static void GroupNormGradientStatistics(Index1D i, ArrayView<float> dy, ArrayView<float> xhat, ArrayView<float> stats, ArrayView<float> gamma,
        ArrayView<float> beta, int pixels, int channels, int groups, NormAffine affine) =>
        GpuGroupNorm2d.GradientStatistics(i, T(dy), T(xhat), stats, gamma, beta, pixels, channels, groups, affine, default(Relu));

    public static void GroupNormInputGradient(Index1D e, ArrayView<float> dy, ArrayView<float> xhat, ArrayView<float> stats, ArrayView<float> inv,
        ArrayView<float> gamma, ArrayView<float> beta, int pixels, int channels, int groups, NormAffine affine) =>
        GpuGroupNorm2d.InputGradient(e, T(dy), T(xhat), stats, inv, gamma, beta, pixels, channels, groups, affine, default(Relu));

    public static void Dropout2d(Index1D e, ArrayView<float> x, ArrayView<float> y, GpuDropout dropout, int pixels, int channels) =>
        GpuDropout2d.Apply(e, T(x), T(y), dropout, pixels, channels);

    public static void FromNchw(Index1D e, ArrayView<float> x, ArrayView<float> y, int pixels, int channels) =>
        GpuChannelsLast.FromNchw(e, T(x), T(y), pixels, channels);

    public static void ToNchw(Index1D e, ArrayView<float> x, ArrayView<float> y, int pixels, int channels) =>
        GpuChannelsLast.ToNchw(e, T(x), T(y), pixels, channels);

    public static void PointwiseForward(Index1D e, ArrayView<float> x, ArrayView<float> y, GpuDropout dropout) =>
        GpuPointwise.Forward(e, T(x), T(y), default(Relu), dropout);

    public static void PointwiseActivationBackward(Index1D e, ArrayView<float> dy, ArrayView<float> pre) =>
        GpuPointwise.ActivationBackward(e, T(dy), T(pre), default(Relu));

    public static void PointwiseAdd(Index1D e, ArrayView<float> x, ArrayView<float> skip, ArrayView<float> y) =>
        GpuPointwise.Add(e, T(x), T(skip), T(y), default(Relu));

    public static void PointwiseAddStoringSum(Index1D e, ArrayView<float> x, ArrayView<float> skip, ArrayView<float> sum, ArrayView<float> y) =>
        GpuPointwise.Add(e, T(x), T(skip), T(sum), T(y), default(Tanh));

    public static void PointwiseAddBackward(Index1D e, ArrayView<float> dy, ArrayView<float> y, ArrayView<float> dx, ArrayView<float> dskip) =>
        GpuPointwise.AddBackward(e, T(dy), T(y), default(Relu), T(dx), false, T(dskip), true);

    /// <summary>The same device functions over 16-bit storage (fp16 or bf16 bits, overflow flag raised by gradient stores).</summary>
    public static class Half<TFormat>
        where TFormat : struct, IHalfFormat
    {
        private static HalfTensor<TFormat> H(ArrayView<ushort> bits, ArrayView<double> flag, bool gradient = false) => new(bits, flag, gradient);

        public static void ConvForward(Index1D e, ArrayView<ushort> x, ArrayView<float> w, ArrayView<float> b, ArrayView<ushort> pre, ArrayView<ushort> y,
            ArrayView<double> flag, Conv2dGeometry g) =>
            GpuConv2d.Forward(e, H(x, flag), w, b, true, H(pre, flag), H(y, flag), true, g, default(Relu));

        public static void ConvBackwardInput(Index1D e, ArrayView<ushort> dy, ArrayView<float> w, ArrayView<ushort> dx, ArrayView<double> flag, Conv2dGeometry g) =>
            GpuConv2d.BackwardInput(e, H(dy, flag, true), w, H(dx, flag, true), g);

        public static void ConvBackwardWeights(Index1D e, ArrayView<ushort> dy, ArrayView<ushort> x, ArrayView<float> dw, ArrayView<float> db,
            ArrayView<double> flag, Conv2dGeometry g) =>
            GpuConv2d.BackwardWeights(e, H(dy, flag, true), H(x, flag), dw, db, true, g);

        public static void ConvBackwardBias(Index1D e, ArrayView<ushort> dy, ArrayView<float> db, ArrayView<double> flag, Conv2dGeometry g) =>
            GpuConv2d.BackwardBias(e, H(dy, flag, true), db, g);

        public static void Im2ColGather(Index1D e, ArrayView<ushort> x, ArrayView<float> columns, ArrayView<double> flag, Conv2dGeometry g) =>
            GpuIm2Col.Gather(e, H(x, flag), T(columns), g);

        public static void Im2ColToImage(Index1D e, ArrayView<float> columns, ArrayView<ushort> dx, ArrayView<double> flag, Conv2dGeometry g) =>
            GpuIm2Col.ToImage(e, T(columns), H(dx, flag, true), g);

        public static void MaxForward(Index1D e, ArrayView<ushort> x, ArrayView<ushort> y, ArrayView<int> argmax, ArrayView<double> flag, Pool2dGeometry g) =>
            GpuPool2d.MaxForward(e, H(x, flag), H(y, flag), argmax, g);

        public static void MaxBackward(Index1D e, ArrayView<ushort> dy, ArrayView<int> argmax, ArrayView<ushort> dx, ArrayView<double> flag, Pool2dGeometry g) =>
            GpuPool2d.MaxBackward(e, H(dy, flag, true), argmax, H(dx, flag, true), g);

        public static void AvgForward(Index1D e, ArrayView<ushort> x, ArrayView<ushort> y, ArrayView<double> flag, Pool2dGeometry g) =>
            GpuPool2d.AvgForward(e, H(x, flag), H(y, flag), g, true);

        public static void BatchNormNormalize(Index1D e, ArrayView<ushort> z, ArrayView<ushort> y, ArrayView<float> mean, ArrayView<float> inv,
            ArrayView<float> gamma, ArrayView<float> beta, ArrayView<double> flag, int channels) =>
            GpuBatchNorm2d.Normalize(e, H(z, flag), H(y, flag), mean, inv, gamma, beta, channels, default(Relu));

        public static void GroupNormInputGradient(Index1D e, ArrayView<ushort> dy, ArrayView<ushort> xhat, ArrayView<float> stats, ArrayView<float> inv,
            ArrayView<float> gamma, ArrayView<float> beta, ArrayView<double> flag, int pixels, int channels, int groups) =>
            GpuGroupNorm2d.InputGradient(e, H(dy, flag, true), H(xhat, flag), stats, inv, gamma, beta, pixels, channels, groups, NormAffine.PerChannel, default(Relu));

        public static void Dropout2d(Index1D e, ArrayView<ushort> x, ArrayView<ushort> y, ArrayView<double> flag, GpuDropout dropout, int pixels, int channels) =>
            GpuDropout2d.Apply(e, H(x, flag), H(y, flag), dropout, pixels, channels);

        public static void FromNchw(Index1D e, ArrayView<float> x, ArrayView<ushort> y, ArrayView<double> flag, int pixels, int channels) =>
            GpuChannelsLast.FromNchw(e, T(x), H(y, flag), pixels, channels);

        public static void PointwiseAdd(Index1D e, ArrayView<ushort> x, ArrayView<ushort> skip, ArrayView<ushort> y, ArrayView<double> flag) =>
            GpuPointwise.Add(e, H(x, flag), H(skip, flag), H(y, flag), default(Relu));

        public static void PointwiseAddBackward(Index1D e, ArrayView<ushort> dy, ArrayView<ushort> y, ArrayView<ushort> dx, ArrayView<ushort> dskip,
            ArrayView<double> flag) =>
            GpuPointwise.AddBackward(e, H(dy, flag, true), H(y, flag), default(Relu), H(dx, flag, true), false, H(dskip, flag, true), true);
    }
}
