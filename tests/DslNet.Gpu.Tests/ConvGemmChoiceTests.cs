using DslNet.Devices;
using DslNet.Kernels.Cpu.Spatial;

namespace DslNet.Gpu.Tests;

/// <summary>
/// Convolutions through the device GEMM choice: <see cref="LibraryConvNet"/>'s library-eligible convolutions as im2col, the
/// library GEMM (the tiled kernel standing in for cuBLAS on ILGPU's CPU accelerator) and epilogue kernels, the weight gradient
/// as columnsᵀ·dy and the input gradient through col2im, against the CPU path and against the direct kernels; the choice as
/// Summary() shows it; cuBLAS itself on CUDA.
/// </summary>
public sealed class ConvGemmChoiceTests
{
    private const int Rows = 4;

    /// <remarks>The step's loss, gradients and running statistics are compared element by element as for the other image
    /// models; after three AdamW steps, whole tensors (normwise): with 27k parameters some near-zero gradient's rounding
    /// is turned by Adam's normalized step into one visibly different element, on the direct kernels too (a stem weight
    /// off by 1.4e-7 where the element-wise check allows 1.0e-7, on both paths). Measured, direct kernels / library route:
    /// weights 3.8e-6 / 3.9e-6, running statistics 3.8e-7 / 3.9e-7, predictions 3.4e-6 / 3.8e-6; the bounds are 2e-5,
    /// 2e-6 and 2e-5.
    /// The CPU path trains with im2col's sums here, as the device does: its Winograd weight gradient for the 32 → 32
    /// convolution regroups them, and on these 2×2 images 416 of that convolution's 9,216 gradients are exactly zero on
    /// the device and im2col (taps that see only padding and ReLU zeros) but a rounding residue of up to 1.9e-8 through
    /// Winograd's transforms, which Adam (eps 1e-8) turns into steps of up to the learning rate: 6.8e-3 normwise after
    /// three steps. The first step's gradients agree either way (4.3e-7 normwise).</remarks>
    [Fact]
    public void Library_route_matches_the_cpu_path()
    {
        Conv2dGeometry.WinogradTraining = false;
        try
        {
            ImageModelParityTests.MatchCpuPath(nameof(LibraryConvNet), gemmCrossoverRows: 0, normwise: true);
        }
        finally
        {
            Conv2dGeometry.WinogradTraining = true;
        }
    }

    [Fact]
    public void The_direct_kernels_and_the_library_route_give_the_same_step()
    {
        var direct = new LibraryConvNet(11, Device.IlgpuCpu);
        var library = new LibraryConvNet(11, Device.IlgpuCpu);
        try
        {
            ((IDeviceModel)library).DeviceNetwork!.GemmCrossoverOverride = 0;
            var (inputs, targets) = Models.Batch(direct, Rows, seed: 12);
            Assert.Equal(direct.TrainStep(inputs, targets), library.TrainStep(inputs, targets), 1e-5);
            Assert.Equal(GemmPath.FusedTiled, ((IDeviceModel)direct).DeviceNetwork!.LastGemmPath);
            Assert.Equal(GemmPath.LibraryThenEpilogue, ((IDeviceModel)library).DeviceNetwork!.LastGemmPath);
            // The weight gradients sum the same products in another order (double per weight against fp32 GEMM tiles).
            Tolerance.Close(direct.Gradients.Span, library.Gradients.Span, 1e-4, "direct vs library gradients", floorFraction: 1e-2);
            Tolerance.Close(direct.RunningStatistics.Span, library.RunningStatistics.Span, 1e-5, "direct vs library running statistics");
            var expected = new float[Rows * LibraryConvNet.OutputSize];
            var actual = new float[Rows * LibraryConvNet.OutputSize];
            direct.Predict(inputs, expected);
            library.Predict(inputs, actual);
            Tolerance.Close(expected, actual, 1e-5, "direct vs library predictions");
        }
        finally
        {
            Models.Dispose(direct);
            Models.Dispose(library);
        }
    }

    [Fact]
    public void Summary_shows_the_choice_per_convolution()
    {
        var gpu = new LibraryConvNet(1, Device.IlgpuCpu);
        try
        {
            var network = ((IDeviceModel)gpu).DeviceNetwork!;
            var summary = gpu.Summary();
            Assert.Contains("direct convolution kernels at every batch size (cuBLAS needs a CUDA accelerator", summary);
            Assert.Matches(@"Down forward\s+288 → 32\s+library-eligible", summary);
            Assert.Matches(@"Pointwise weight gradient\s+32 → 32\s+library-eligible", summary);
            Assert.Matches(@"Stem forward\s+18 → 32\s+direct kernel \(small weight\)", summary);
            Assert.Matches(@"Grouped input gradient\s+144 → 32\s+direct kernel \(groups = 2\)", summary);
            Assert.Matches(@"Hidden\w* forward\s+32 → 32\s+library-eligible", summary);    // the Dense after global pooling
            Assert.Matches(@"Head\w* forward\s+32 → 3\s+direct kernel \(small weight\)", summary);
            Assert.DoesNotContain("Stem input gradient", summary);   // the stem reads the network input: no input gradient
            network.GemmCrossoverOverride = 256;
            Assert.Contains("tiled kernel + epilogue kernel from 256 images, direct convolution kernels below", gpu.Summary());
            Assert.DoesNotContain("Device GEMMs", new LibraryConvNet(1).Summary());
        }
        finally
        {
            Models.Dispose(gpu);
        }
    }

    [CudaFact]
    public void Convolutions_through_cublas_match_the_direct_kernels_on_cuda()
    {
        const int rows = 256;
        var direct = new LibraryConvNet(5, Device.Cuda());
        var library = new LibraryConvNet(5, Device.Cuda());
        try
        {
            ((IDeviceModel)direct).DeviceNetwork!.GemmCrossoverOverride = DeviceNetwork.NeverRows;
            var network = ((IDeviceModel)library).DeviceNetwork!;
            network.GemmCrossoverOverride = 0;
            Assert.True(network.Gemm.IsCuBlas, "cuBLAS did not load: " + library.Summary());
            var (inputs, targets) = Models.Batch(direct, rows, seed: 3);
            Assert.Equal(direct.TrainStep(inputs, targets), library.TrainStep(inputs, targets), 1e-4);
            Assert.Equal(GemmPath.LibraryThenEpilogue, network.LastGemmPath);
            Tolerance.Close(direct.Gradients.Span, library.Gradients.Span, 1e-3, "LibraryConvNet gradients, cuBLAS vs direct", floorFraction: 1e-2);
            var expected = new float[rows * LibraryConvNet.OutputSize];
            var actual = new float[rows * LibraryConvNet.OutputSize];
            direct.Predict(inputs, expected);
            library.Predict(inputs, actual);
            Tolerance.Close(expected, actual, 1e-4, "LibraryConvNet predictions, cuBLAS vs direct");
        }
        finally
        {
            Models.Dispose(direct);
            Models.Dispose(library);
        }
    }
}
