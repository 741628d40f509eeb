using DslNet.Devices;

namespace DslNet.Gpu.Tests;

/// <summary>
/// Fp16 and Bf16 device networks (16-bit activations and activation gradients, fp32 everything else) on ILGPU's CPU
/// accelerator against the fp32 CPU path: loss, gradients, running statistics, predictions and ten AdamW steps, each
/// to its format's precision.
/// </summary>
/// <remarks>
/// <para>Errors are normwise, ‖device − cpu‖₂ / ‖cpu‖₂ per tensor. Element-wise relative error is the wrong yardstick for
/// 16-bit storage: a rounding error is relative to the magnitudes that were summed, not to their sum, so a gradient
/// element that cancels over the batch, or a weight that Adam moves by ±lr on the sign of a near-zero gradient, can
/// differ by 50% while the tensor agrees to 1e-3.</para>
/// <para>Bounds: one rounding costs u = 2^-11 ≈ 4.9e-4 in fp16 and 2^-8 ≈ 3.9e-3 in bf16, and a gradient passes through
/// a handful of stores (pre-activation, output, loss gradient, fused activation backward, each layer). Measured worst
/// cases over these five models: fp16 1.0e-3 (gradients), 2.1e-3 (weights after ten steps); bf16 9.8e-3 (gradients),
/// 7.8e-3 (weights), 5.0e-3 (predictions). The bounds are 10u for fp16 (5e-3) and 5u for bf16 (2e-2): about 2× the
/// worst measured. The same checks on fp32 storage measure about 1e-7, so
/// <see cref="MinimumGradientError"/> also proves the 16-bit path is the one that ran.</para>
/// </remarks>
public sealed class ReducedPrecisionParityTests
{
    private const int Rows = 6;

    /// <summary>Below this, the gradients were not rounded to 16 bits at all (fp32 storage measures about 1e-7).</summary>
    private const double MinimumGradientError = 1e-5;

    public static IEnumerable<object[]> Cases =>
        from name in Models.Names.Select(n => (string)n[0])
        from precision in new[] { Precision.Fp16, Precision.Bf16 }
        select new object[] { name, precision };

    public static double Bound(Precision precision) => precision == Precision.Fp16 ? 5e-3 : 2e-2;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss_gradients_predictions_and_ten_adamw_steps_match_the_fp32_cpu_path(string name, Precision precision)
    {
        var cpu = Models.All[name](7, Device.Cpu);
        var gpu = Models.WithPrecision[name](7, Device.IlgpuCpu, precision);
        var bound = Bound(precision);
        try
        {
            Assert.Equal(precision, ((IDeviceModel)gpu).DeviceNetwork!.Precision);
            var cpuOptimizer = new AdamW(cpu.Parameters, lr: 1e-2, weightDecay: 1e-2);
            var gpuOptimizer = new AdamW(gpu.Parameters, lr: 1e-2, weightDecay: 1e-2);
            for (var step = 0; step < 10; step++)
            {
                var (inputs, targets) = Models.Batch(cpu, Rows, seed: 100 + step);
                var cpuLoss = cpu.TrainStep(inputs, targets);
                var gpuLoss = gpu.TrainStep(inputs, targets);
                if (step == 0)
                {
                    Close(new[] { cpuLoss }, new[] { gpuLoss }, bound, name + " loss");
                    Close(cpu.Gradients.Span, gpu.Gradients.Span, bound, name + " gradients");
                    Assert.True(Tolerance.NormwiseRelativeError(cpu.Gradients.Span, gpu.Gradients.Span) > MinimumGradientError,
                        $"{name} {precision} gradients agree with fp32 to better than 16-bit storage allows: did the fp32 path run?");
                    Close(cpu.RunningStatistics.Span, gpu.RunningStatistics.Span, bound, name + " running statistics");
                    var expected = new float[Rows * cpu.OutputSize];
                    var actual = new float[Rows * cpu.OutputSize];
                    cpu.Predict(inputs, expected);
                    gpu.Predict(inputs, actual);
                    Close(expected, actual, bound, name + " predictions");
                }

                GradClip.ByNorm(cpu.Gradients, 1.0);
                GradClip.ByNorm(gpu.Gradients, 1.0);
                cpuOptimizer.Step();
                gpuOptimizer.Step();
            }

            Close(cpu.Parameters.Span, gpu.Parameters.Span, bound, name + " weights after 10 steps");
            Close(cpu.RunningStatistics.Span, gpu.RunningStatistics.Span, bound, name + " running statistics after 10 steps");
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
