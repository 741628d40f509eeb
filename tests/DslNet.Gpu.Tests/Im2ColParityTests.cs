using DslNet.Devices;
using DslNet.Kernels.Cpu.Spatial;
using ILGPU;
using ILGPU.Runtime;

namespace DslNet.Gpu.Tests;

/// <summary>
/// A groups = 1 convolution composed as the generated library route composes it (im2col, the weight in the columns'
/// order, the plain GEMM, the weight gradient back to PyTorch's layout, col2im, the bias gradient), on ILGPU's CPU
/// accelerator against the CPU path's convolution at small shapes: stride, padding, dilation, a 1×1 kernel.
/// </summary>
public sealed class Im2ColParityTests
{
    [Theory]
    [InlineData(3, 4, 3, 1, 1, 1)]
    [InlineData(3, 5, 3, 2, 1, 1)]
    [InlineData(2, 4, 3, 1, 2, 2)]
    [InlineData(4, 6, 1, 2, 0, 1)]
    public void The_library_route_matches_the_cpu_convolution(int cin, int cout, int k, int stride, int pad, int dilation)
    {
        var g = Conv2dGeometry.Square(2, cin, 6, 5, cout, k, stride, pad, dilation);
        var random = new Random(cin * 100 + k);
        float[] Values(long count) => Enumerable.Range(0, checked((int)count)).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var (x, w, dy) = (Values(g.InputLength), Values(g.WeightLength), Values(g.OutputLength));
        var (pre, dx, dw, db) = (new float[g.OutputLength], new float[g.InputLength], new float[g.WeightLength], new float[cout]);
        Conv2d.Forward(x, w, ReadOnlySpan<float>.Empty, pre, Span<float>.Empty, g, default(DslNet.Kernels.Cpu.Identity));
        Conv2d.BackwardInput(dy, w, dx, g);
        Conv2d.BackwardWeights(dy, x, dw, db, g);

        var a = Device.IlgpuCpu.Acquire();
        using var gemm = DeviceGemm.Create(a, out _);
        using var xBuffer = a.Allocate1D(x);
        using var wBuffer = a.Allocate1D(w);
        using var dyBuffer = a.Allocate1D(dy);
        using var columns = a.Allocate1D<float>((long)g.OutputPixels * g.PatchLength);
        using var patchOrder = a.Allocate1D<float>(g.WeightLength);
        using var product = a.Allocate1D<float>(Math.Max(g.OutputLength, g.WeightLength));
        using var dxBuffer = a.Allocate1D<float>(g.InputLength);
        using var dwBuffer = a.Allocate1D<float>(g.WeightLength);
        using var dbBuffer = a.Allocate1D<float>(cout);
        int m = g.OutputPixels, patch = g.PatchLength;
        Kernel(a, SpatialKernels.Im2ColGather)(m * patch, xBuffer.View, columns.View, g);
        Kernel(a, SpatialKernels.Im2ColToPatchOrder)(g.WeightLength, wBuffer.View, patchOrder.View, g);
        gemm.Multiply(columns.View, patch, 1, patchOrder.View, 1, patch, m, cout, patch, product.View);
        a.Synchronize();
        Tolerance.Close(pre, product.GetAsArray1D().AsSpan(0, pre.Length), 1e-5, "forward: columns·Wᵀ");

        gemm.Multiply(columns.View, 1, patch, dyBuffer.View, cout, 1, patch, cout, m, product.View);
        Kernel(a, SpatialKernels.Im2ColWeightGradient)(g.WeightLength, product.View, dwBuffer.View, g);
        a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, Conv2dGeometry>(SpatialKernels.ConvBackwardBias)(cout, dyBuffer.View,
            dbBuffer.View, g);
        gemm.Multiply(dyBuffer.View, cout, 1, patchOrder.View, patch, 1, m, patch, cout, columns.View);
        Kernel(a, SpatialKernels.Im2ColToImage)((int)g.InputLength, columns.View, dxBuffer.View, g);
        a.Synchronize();
        // The gradients sum products that cancel, in another order than the CPU's: a floor of 1e-2 of the largest, as the
        // image models' gradient checks.
        Tolerance.Close(dw, dwBuffer.GetAsArray1D(), 1e-4, "weight gradient: columnsᵀ·dy", floorFraction: 1e-2);
        Tolerance.Close(db, dbBuffer.GetAsArray1D(), 1e-5, "bias gradient", floorFraction: 1e-2);
        Tolerance.Close(dx, dxBuffer.GetAsArray1D(), 1e-5, "input gradient: col2im of dy·W", floorFraction: 1e-2);
    }

    private static Action<Index1D, ArrayView<float>, ArrayView<float>, Conv2dGeometry> Kernel(Accelerator a,
        Action<Index1D, ArrayView<float>, ArrayView<float>, Conv2dGeometry> kernel) =>
        a.LoadAutoGroupedStreamKernel(kernel);
}
