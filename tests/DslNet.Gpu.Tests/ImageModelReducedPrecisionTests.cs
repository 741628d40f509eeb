using DslNet.Devices;

namespace DslNet.Gpu.Tests;

/// <summary>
/// Fp16 and Bf16 storage on the device against the CPU path's emulated fp16/bf16 (it rounds every stored activation and
/// activation gradient the same way), for the small ResNet: loss, gradients, running statistics, predictions and the
/// weights after three AdamW steps, normwise (see <see cref="ReducedPrecisionParityTests"/> for why).
/// </summary>
/// <remarks>Both paths round the same values, so they differ only where a sum in a different order lands on the other
/// side of a 16-bit rounding boundary, and where the device rounds twice (dropout applied to a stored output, eval-mode
/// BatchNorm applied to a stored convolution). The bounds are the MLP tests' (10u fp16, 5u bf16); that the fp32 path did
/// not run is checked against the fp32 CPU path.</remarks>
public sealed class ImageModelReducedPrecisionTests
{
    private const int Rows = 4;

    [Theory]
    [InlineData(Precision.Fp16)]
    [InlineData(Precision.Bf16)]
    public void The_resnet_matches_the_cpu_paths_emulated_storage(Precision precision)
    {
        const string name = "TinyResNet";
        var cpu = ImageModels.Create(name, 7, Device.Cpu, precision);
        var gpu = ImageModels.Create(name, 7, Device.IlgpuCpu, precision);
        var fp32 = ImageModels.Create(name, 7, Device.Cpu);
        var bound = ReducedPrecisionParityTests.Bound(precision);
        try
        {
            var cpuOptimizer = new AdamW(cpu.Parameters, lr: 1e-2, weightDecay: 1e-2);
            var gpuOptimizer = new AdamW(gpu.Parameters, lr: 1e-2, weightDecay: 1e-2);
            for (var step = 0; step < 3; step++)
            {
                var (inputs, targets) = Models.Batch(cpu, Rows, seed: 100 + step);
                var cpuLoss = cpu.TrainStep(inputs, targets);
                var gpuLoss = gpu.TrainStep(inputs, targets);
                if (step == 0)
                {
                    fp32.TrainStep(inputs, targets);
                    Close(new[] { cpuLoss }, new[] { gpuLoss }, bound, "loss");
                    Close(cpu.Gradients.Span, gpu.Gradients.Span, bound, "gradients");
                    Close(cpu.RunningStatistics.Span, gpu.RunningStatistics.Span, bound, "running statistics");
                    var fromFp32 = Tolerance.NormwiseRelativeError(fp32.Gradients.Span, gpu.Gradients.Span);
                    Assert.True(fromFp32 > 1e-5, $"{precision} device gradients agree with fp32 to {fromFp32:E2}: did the 16-bit path run?");
                    var expected = new float[Rows * cpu.OutputSize];
                    var actual = new float[Rows * cpu.OutputSize];
                    cpu.Predict(inputs, expected);
                    gpu.Predict(inputs, actual);
                    Close(expected, actual, bound, "predictions");
                }

                cpuOptimizer.Step();
                gpuOptimizer.Step();
            }

            Close(cpu.Parameters.Span, gpu.Parameters.Span, bound, "weights after 3 steps");
        }
        finally
        {
            Models.Dispose(gpu);
        }
    }

    private static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double bound, string what)
    {
        var error = Tolerance.NormwiseRelativeError(expected, actual);
        Assert.True(error <= bound, $"{what}: normwise relative error {error:E2} > {bound:E2}.");
    }
}
