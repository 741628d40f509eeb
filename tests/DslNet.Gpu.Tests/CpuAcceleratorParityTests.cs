using DslNet.Devices;
using GpuKernels = DslNet.Kernels.Gpu;

namespace DslNet.Gpu.Tests;

/// <summary>
/// The generated ILGPU kernels, run on ILGPU's CPU accelerator, against the generated CPU path: forward to 1e-5
/// relative, gradients and running statistics to 1e-4, ten AdamW steps to 1e-4 (host-synchronised and device-resident).
/// </summary>
public sealed class CpuAcceleratorParityTests
{
    private const int Rows = 6;

    [Theory]
    [MemberData(nameof(Models.Names), MemberType = typeof(Models))]
    public void Training_step_matches_the_cpu_path(string name)
    {
        var cpu = Models.All[name](7, Device.Cpu);
        var gpu = Models.All[name](7, Device.IlgpuCpu);
        try
        {
            Tolerance.Close(cpu.Parameters.Span, gpu.Parameters.Span, 0, "initial parameters");
            var (inputs, targets) = Models.Batch(cpu, Rows, seed: 3);
            var cpuLoss = cpu.TrainStep(inputs, targets);
            var gpuLoss = gpu.TrainStep(inputs, targets);
            Assert.Equal(cpuLoss, gpuLoss, 1e-5 * Math.Max(1, Math.Abs(cpuLoss)));
            Tolerance.Close(cpu.Gradients.Span, gpu.Gradients.Span, 1e-4, name + " gradients");
            Tolerance.Close(cpu.RunningStatistics.Span, gpu.RunningStatistics.Span, 1e-5, name + " running statistics");
            Assert.Equal(cpu.StepCount, gpu.StepCount);
        }
        finally
        {
            Models.Dispose(gpu);
        }
    }

    [Fact]
    public void Weight_gradients_of_a_batch_split_over_groups_match_the_cpu_path()
    {
        // Long enough for the weight-gradient GEMM to split the batch (two splits, the second one shorter).
        const int rows = 2 * GpuKernels.GpuGemm.SplitLength + 37;
        Assert.Equal(2, GpuKernels.GpuGemm.Splits(12, 16, rows));
        var cpu = Models.All["MiniStreamRec"](13, Device.Cpu);
        var gpu = Models.All["MiniStreamRec"](13, Device.IlgpuCpu);
        try
        {
            var (inputs, targets) = Models.Batch(cpu, rows, seed: 9);
            var cpuLoss = cpu.TrainStep(inputs, targets);
            var gpuLoss = gpu.TrainStep(inputs, targets);
            Assert.Equal(cpuLoss, gpuLoss, 1e-5 * Math.Max(1, Math.Abs(cpuLoss)));
            Tolerance.Close(cpu.Gradients.Span, gpu.Gradients.Span, 1e-4, "gradients of a split batch");
        }
        finally
        {
            Models.Dispose(gpu);
        }
    }

    [Theory]
    [MemberData(nameof(Models.Names), MemberType = typeof(Models))]
    public void Predict_and_evaluate_loss_match_the_cpu_path(string name)
    {
        var cpu = Models.All[name](11, Device.Cpu);
        var gpu = Models.All[name](11, Device.IlgpuCpu);
        try
        {
            // One training step first, so BatchNorm's running statistics are not the initial ones.
            var (inputs, targets) = Models.Batch(cpu, Rows, seed: 5);
            cpu.TrainStep(inputs, targets);
            gpu.TrainStep(inputs, targets);
            var expected = new float[Rows * cpu.OutputSize];
            var actual = new float[Rows * cpu.OutputSize];
            cpu.Predict(inputs, expected);
            gpu.Predict(inputs, actual);
            Tolerance.Close(expected, actual, 1e-5, name + " outputs");
            var cpuLoss = cpu.EvaluateLoss(inputs, targets);
            var gpuLoss = gpu.EvaluateLoss(inputs, targets);
            Assert.Equal(cpuLoss, gpuLoss, 1e-5 * Math.Max(1, Math.Abs(cpuLoss)));
        }
        finally
        {
            Models.Dispose(gpu);
        }
    }

    [Theory]
    [MemberData(nameof(Models.Names), MemberType = typeof(Models))]
    public void Ten_adamw_steps_match_the_cpu_path(string name)
    {
        var cpu = Models.All[name](21, Device.Cpu);
        var gpu = Models.All[name](21, Device.IlgpuCpu);
        try
        {
            var cpuOptimizer = new AdamW(cpu.Parameters, lr: 1e-2, weightDecay: 1e-2);
            var gpuOptimizer = new AdamW(gpu.Parameters, lr: 1e-2, weightDecay: 1e-2);
            for (var step = 0; step < 10; step++)
            {
                var (inputs, targets) = Models.Batch(cpu, Rows, seed: 100 + step);
                cpu.TrainStep(inputs, targets);
                gpu.TrainStep(inputs, targets);
                GradClip.ByNorm(cpu.Gradients, 1.0);
                GradClip.ByNorm(gpu.Gradients, 1.0);
                cpuOptimizer.Step();
                gpuOptimizer.Step();
            }

            Tolerance.Close(cpu.Parameters.Span, gpu.Parameters.Span, 1e-4, name + " weights after 10 steps");
            Tolerance.Close(cpu.RunningStatistics.Span, gpu.RunningStatistics.Span, 1e-4, name + " running statistics after 10 steps");
        }
        finally
        {
            Models.Dispose(gpu);
        }
    }

    [Theory]
    [InlineData("MiniStreamRec")]
    [InlineData("LayerNormGelu")]
    public void Device_resident_adamw_with_clipping_matches_the_cpu_path(string name)
    {
        var cpu = Models.All[name](31, Device.Cpu);
        var gpu = Models.All[name](31, Device.IlgpuCpu);
        try
        {
            var cpuOptimizer = new AdamW(cpu.Parameters, lr: 1e-2, weightDecay: 1e-2);
            using var gpuOptimizer = new DeviceAdamW((IDeviceModel)gpu, lr: 1e-2, weightDecay: 1e-2, clipNorm: 0.5);
            for (var step = 0; step < 10; step++)
            {
                var (inputs, targets) = Models.Batch(cpu, Rows, seed: 200 + step);
                cpu.TrainStep(inputs, targets);
                gpu.TrainStep(inputs, targets);
                var norm = GradClip.ByNorm(cpu.Gradients, 0.5);
                cpuOptimizer.Step();
                gpuOptimizer.Step();
                Assert.Equal(norm, gpuOptimizer.LastGradientNorm, 1e-4 * Math.Max(1, norm));
            }

            Assert.True(((IDeviceModel)gpu).DeviceNetwork!.IsResident);
            ((IDeviceModel)gpu).SyncToHost();
            Tolerance.Close(cpu.Parameters.Span, gpu.Parameters.Span, 1e-4, name + " weights after 10 device steps");
            Tolerance.Close(cpu.RunningStatistics.Span, gpu.RunningStatistics.Span, 1e-4, name + " running statistics");
        }
        finally
        {
            Models.Dispose(gpu);
        }
    }

    [Fact]
    public void Device_resident_adamw_applies_a_gradient_scale_in_its_kernel()
    {
        // Optimizer.Step(gradientScale) is how a clipping coefficient rides along with the update: on the device the
        // factor must reach the kernel, not the host copy of the gradients (stale while the network is resident).
        var cpu = Models.All["MiniStreamRec"](37, Device.Cpu);
        var gpu = Models.All["MiniStreamRec"](37, Device.IlgpuCpu);
        try
        {
            var cpuOptimizer = new AdamW(cpu.Parameters, lr: 1e-2, weightDecay: 1e-2);
            using var gpuOptimizer = new DeviceAdamW((IDeviceModel)gpu, lr: 1e-2, weightDecay: 1e-2);
            for (var step = 0; step < 3; step++)
            {
                var (inputs, targets) = Models.Batch(cpu, Rows, seed: 300 + step);
                cpu.TrainStep(inputs, targets);
                gpu.TrainStep(inputs, targets);
                // Small enough that ε dominates Adam's denominator (Adam is otherwise nearly blind to a gradient scale).
                cpuOptimizer.Step(1e-9f);
                gpuOptimizer.Step(1e-9f);
            }

            ((IDeviceModel)gpu).SyncToHost();
            Tolerance.Close(cpu.Parameters.Span, gpu.Parameters.Span, 1e-4, "weights after 3 scaled device steps");
            var unscaled = Models.All["MiniStreamRec"](37, Device.Cpu);
            var unscaledOptimizer = new AdamW(unscaled.Parameters, lr: 1e-2, weightDecay: 1e-2);
            for (var step = 0; step < 3; step++)
            {
                var (inputs, targets) = Models.Batch(unscaled, Rows, seed: 300 + step);
                unscaled.TrainStep(inputs, targets);
                unscaledOptimizer.Step();
            }

            var largestDifference = unscaled.Parameters.Span.ToArray().Zip(cpu.Parameters.Span.ToArray(), (a, b) => Math.Abs(a - b)).Max();
            Assert.True(largestDifference > 1e-3, $"the scale changed the weights by only {largestDifference}: the test could not tell");
        }
        finally
        {
            Models.Dispose(gpu);
        }
    }
}
