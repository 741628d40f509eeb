using System.Globalization;
using DslNet.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace DslNet.Gpu.Tests;

/// <summary>
/// The GEMM choice: library-eligible GEMMs as a plain GEMM into a product buffer plus the epilogue kernel, against the
/// CPU path on ILGPU's CPU accelerator (the library there is the tiled kernel; cuBLAS itself is checked on CUDA), the
/// plain-GEMM contract in every operand layout, and the choice as Summary() shows it.
/// </summary>
public sealed class GemmChoiceTests
{
    private const int Rows = 7;

    [Fact]
    public void Library_gemms_with_epilogue_kernels_match_the_cpu_path()
    {
        var cpu = new WideLibraryGemms(23);
        var gpu = new WideLibraryGemms(23, Device.IlgpuCpu);
        try
        {
            var network = ((IDeviceModel)gpu).DeviceNetwork!;
            network.GemmCrossoverOverride = 0;
            var cpuOptimizer = new AdamW(cpu.Parameters, lr: 1e-2, weightDecay: 1e-2);
            var gpuOptimizer = new AdamW(gpu.Parameters, lr: 1e-2, weightDecay: 1e-2);
            for (var step = 0; step < 3; step++)
            {
                var (inputs, targets) = Models.Batch(cpu, Rows, seed: 70 + step);
                var cpuLoss = cpu.TrainStep(inputs, targets);
                var gpuLoss = gpu.TrainStep(inputs, targets);
                Assert.Equal(GemmPath.LibraryThenEpilogue, network.LastGemmPath);
                Assert.Equal(cpuLoss, gpuLoss, 1e-5 * Math.Max(1, Math.Abs(cpuLoss)));
                Tolerance.Close(cpu.Gradients.Span, gpu.Gradients.Span, 1e-4, $"gradients through library GEMMs, step {step}");
                cpuOptimizer.Step();
                gpuOptimizer.Step();
            }

            var (testInputs, _) = Models.Batch(cpu, Rows, seed: 80);
            var expected = new float[Rows];
            var actual = new float[Rows];
            cpu.Predict(testInputs, expected);
            gpu.Predict(testInputs, actual);
            // After three AdamW steps (which amplify the last bits of small gradients), as the other multi-step checks: 1e-4.
            Tolerance.Close(expected, actual, 1e-4, "predictions through library GEMMs");
            Tolerance.Close(cpu.RunningStatistics.Span, gpu.RunningStatistics.Span, 1e-5, "running statistics");
        }
        finally
        {
            Models.Dispose(gpu);
        }
    }

    [Fact]
    public void The_fused_and_the_library_path_give_the_same_step()
    {
        var fused = new WideLibraryGemms(29, Device.IlgpuCpu);
        var library = new WideLibraryGemms(29, Device.IlgpuCpu);
        try
        {
            ((IDeviceModel)library).DeviceNetwork!.GemmCrossoverOverride = 0;
            var (inputs, targets) = Models.Batch(fused, Rows, seed: 90);
            Assert.Equal(fused.TrainStep(inputs, targets), library.TrainStep(inputs, targets), 1e-6);
            Assert.Equal(GemmPath.FusedTiled, ((IDeviceModel)fused).DeviceNetwork!.LastGemmPath);
            Tolerance.Close(fused.Gradients.Span, library.Gradients.Span, 1e-5, "fused vs library gradients");
        }
        finally
        {
            Models.Dispose(fused);
            Models.Dispose(library);
        }
    }

    [Fact]
    public void Summary_shows_the_gemm_choice_per_layer()
    {
        var gpu = new WideLibraryGemms(1, Device.IlgpuCpu);
        try
        {
            var network = ((IDeviceModel)gpu).DeviceNetwork!;
            // No cuBLAS on the CPU accelerator: the plan's crossover does not apply, the fused kernels run at every size.
            Assert.Equal(DeviceNetwork.NeverRows, network.GemmCrossoverRows);
            var summary = gpu.Summary();
            Assert.Contains("fused tiled kernels at every batch size", summary);
            Assert.Contains("cuBLAS needs a CUDA accelerator", summary);
            Assert.Matches(@"Hidden1 forward\s+40 → 33\s+library-eligible", summary);
            Assert.Matches(@"Output weight gradient\s+40 → 1\s+fused tiled \(small weight\)", summary);
            network.GemmCrossoverOverride = 2048;
            Assert.Contains("tiled kernel + epilogue kernel from 2,048 rows", gpu.Summary());
            // Summary() reads the same in every culture: here one that groups digits with '.', as German does (built
            // from the invariant culture, so the test needs no ICU data).
            var culture = CultureInfo.CurrentCulture;
            var dotGrouping = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            dotGrouping.NumberFormat.NumberGroupSeparator = ".";
            try
            {
                CultureInfo.CurrentCulture = dotGrouping;
                Assert.Contains("from 2,048 rows", gpu.Summary());
            }
            finally
            {
                CultureInfo.CurrentCulture = culture;
            }

            Assert.DoesNotContain("Device GEMMs", new WideLibraryGemms(1).Summary());
        }
        finally
        {
            Models.Dispose(gpu);
        }
    }

    [Fact]
    public void Sixteen_bit_storage_keeps_the_fused_kernels()
    {
        var gpu = new WideLibraryGemms(1, Device.IlgpuCpu, Precision.Bf16);
        try
        {
            var network = ((IDeviceModel)gpu).DeviceNetwork!;
            network.GemmCrossoverOverride = 0;
            Assert.Equal(DeviceNetwork.NeverRows, network.GemmCrossoverRows);
            Assert.Contains("(16-bit storage)", gpu.Summary());
        }
        finally
        {
            Models.Dispose(gpu);
        }
    }

    public static IEnumerable<object[]> Layouts =>
        from transposeA in new[] { false, true }
        from transposeB in new[] { false, true }
        select new object[] { transposeA, transposeB };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void The_plain_gemm_follows_the_strided_contract(bool transposeA, bool transposeB)
    {
        using var gemm = DeviceGemm.Create(Device.IlgpuCpu.Acquire(), out var reason);
        Assert.False(gemm.IsCuBlas);
        Assert.NotNull(reason);
        PlainGemmMatchesNaiveProduct(gemm, Device.IlgpuCpu.Acquire(), transposeA, transposeB);
    }

    [CudaFact]
    public void CuBlas_follows_the_strided_contract_on_cuda()
    {
        var accelerator = Device.Cuda().Acquire();
        using var gemm = DeviceGemm.Create(accelerator, out var reason);
        Assert.True(gemm.IsCuBlas, $"cuBLAS did not load on this CUDA machine: {reason}");
        foreach (var transposeA in new[] { false, true })
            foreach (var transposeB in new[] { false, true })
                PlainGemmMatchesNaiveProduct(gemm, accelerator, transposeA, transposeB);
    }

    [CudaFact]
    public void StreamRec_through_cublas_matches_the_fused_kernels_on_cuda()
    {
        var fused = new DslNet.Samples.StreamRec.StreamRecMlp(5, Device.Cuda());
        var library = new DslNet.Samples.StreamRec.StreamRecMlp(5, Device.Cuda());
        try
        {
            ((IDeviceModel)fused).DeviceNetwork!.GemmCrossoverOverride = DeviceNetwork.NeverRows;
            var network = ((IDeviceModel)library).DeviceNetwork!;
            network.GemmCrossoverOverride = 0;
            Assert.True(network.Gemm.IsCuBlas, "cuBLAS did not load: " + library.Summary());
            var (inputs, targets) = Models.Batch(fused, 4096, seed: 3);
            Assert.Equal(fused.TrainStep(inputs, targets), library.TrainStep(inputs, targets), 1e-5);
            Assert.Equal(GemmPath.LibraryThenEpilogue, network.LastGemmPath);
            Tolerance.Close(fused.Gradients.Span, library.Gradients.Span, 1e-3, "StreamRec gradients, cuBLAS vs fused");
            var expected = new float[4096];
            var actual = new float[4096];
            fused.Predict(inputs, expected);
            library.Predict(inputs, actual);
            Tolerance.Close(expected, actual, 1e-4, "StreamRec predictions, cuBLAS vs fused");
        }
        finally
        {
            Models.Dispose(fused);
            Models.Dispose(library);
        }
    }

    // C (m×n) = A·B with A stored m×k (or k×m when transposed) and B stored k×n (or n×k), against a double loop.
    private static void PlainGemmMatchesNaiveProduct(DeviceGemm gemm, Accelerator accelerator, bool transposeA, bool transposeB)
    {
        const int m = 70, n = 37, k = 45;
        var random = new Random(transposeA ? 1 : 2);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var (aRow, aCol) = transposeA ? (1, m) : (k, 1);
        var (bRow, bCol) = transposeB ? (1, k) : (n, 1);
        var expected = new float[m * n];
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                double sum = 0;
                for (var kk = 0; kk < k; kk++) sum += (double)a[i * aRow + kk * aCol] * b[kk * bRow + j * bCol];
                expected[i * n + j] = (float)sum;
            }

        using var aBuffer = accelerator.Allocate1D(a);
        using var bBuffer = accelerator.Allocate1D(b);
        using var cBuffer = accelerator.Allocate1D<float>(m * n);
        gemm.Multiply(aBuffer.View, aRow, aCol, bBuffer.View, bRow, bCol, m, n, k, cBuffer.View);
        accelerator.Synchronize();
        Tolerance.Close(expected, cBuffer.GetAsArray1D(), 1e-4, $"{gemm.Name} C, A{(transposeA ? "ᵀ" : "")}·B{(transposeB ? "ᵀ" : "")}");
    }
}
