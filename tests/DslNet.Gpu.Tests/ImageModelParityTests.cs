using DslNet.Devices;

namespace DslNet.Gpu.Tests;

/// <summary>
/// The generated device path of image models (convolutions, pooling, the 2-D norms, Flatten, residual Adds with and without
/// projection) on ILGPU's CPU accelerator against the generated CPU path, with the MLP device tests' tolerances: loss to
/// 1e-5, gradients and running statistics to 1e-4, Predict and EvaluateLoss to 1e-5, the weights after three AdamW steps to 1e-4.
/// </summary>
public sealed class ImageModelParityTests
{
    private const int Rows = 4;

    [Theory]
    [MemberData(nameof(ImageModels.Names), MemberType = typeof(ImageModels))]
    public void Training_step_prediction_and_adamw_steps_match_the_cpu_path(string name) => MatchCpuPath(name);

    /// <summary>Three training steps, AdamW, Predict and EvaluateLoss of <paramref name="name"/> on ILGPU's CPU accelerator
    /// against the CPU path; with <paramref name="gemmCrossoverRows"/> = 0 every library-eligible GEMM takes the library
    /// route (the tiled kernel standing in for cuBLAS), which each step and Predict must report. <paramref name="normwise"/>: the weights, running statistics
    /// and predictions after the AdamW steps compared as whole tensors (‖Δ‖/‖expected‖) rather than element by element.</summary>
    internal static void MatchCpuPath(string name, int? gemmCrossoverRows = null, bool normwise = false)
    {
        var cpu = ImageModels.Create(name, 7, Device.Cpu);
        var gpu = ImageModels.Create(name, 7, Device.IlgpuCpu);
        try
        {
            var network = ((IDeviceModel)gpu).DeviceNetwork!;
            network.GemmCrossoverOverride = gemmCrossoverRows;
            void ExpectLibraryPath()
            {
                if (gemmCrossoverRows == 0) Assert.Equal(GemmPath.LibraryThenEpilogue, network.LastGemmPath);
            }

            var cpuOptimizer = new AdamW(cpu.Parameters, lr: 1e-2, weightDecay: 1e-2);
            var gpuOptimizer = new AdamW(gpu.Parameters, lr: 1e-2, weightDecay: 1e-2);
            for (var step = 0; step < 3; step++)
            {
                var (inputs, targets) = Models.Batch(cpu, Rows, seed: 100 + step);
                var cpuLoss = cpu.TrainStep(inputs, targets);
                var gpuLoss = gpu.TrainStep(inputs, targets);
                ExpectLibraryPath();
                if (step == 0)
                {
                    // Later steps start from weights that differ by rounding, which Adam's normalized step can amplify
                    // in a near-zero gradient: those are compared through the weights at the end, as for the MLPs.
                    Assert.Equal(cpuLoss, gpuLoss, 1e-5 * Math.Max(1, Math.Abs(cpuLoss)));
                    // A convolution's weight gradient sums rows × pixels products that largely cancel, and the two paths sum
                    // them in different orders (the CPU per 1,024-pixel task): an element near zero keeps an error of a few
                    // fp32 ulps of the tensor's largest gradient, so the floor is 1e-2 of that, not the MLP tests' 1e-3.
                    Tolerance.Close(cpu.Gradients.Span, gpu.Gradients.Span, 1e-4, name + " gradients", floorFraction: 1e-2);
                    Tolerance.Close(cpu.RunningStatistics.Span, gpu.RunningStatistics.Span, 1e-5, name + " running statistics");
                }

                GradClip.ByNorm(cpu.Gradients, 1.0);
                GradClip.ByNorm(gpu.Gradients, 1.0);
                cpuOptimizer.Step();
                gpuOptimizer.Step();
            }

            CloseAfterSteps(cpu.Parameters.Span, gpu.Parameters.Span, 1e-4, normwiseBound: 2e-5, name + " weights after 3 steps");
            CloseAfterSteps(cpu.RunningStatistics.Span, gpu.RunningStatistics.Span, 1e-4, normwiseBound: 2e-6, name + " running statistics after 3 steps");
            Assert.Equal(cpu.StepCount, gpu.StepCount);
            var (evaluation, evaluationTargets) = Models.Batch(cpu, Rows + 1, seed: 5);
            var expected = new float[(Rows + 1) * cpu.OutputSize];
            var actual = new float[(Rows + 1) * cpu.OutputSize];
            cpu.Predict(evaluation, expected);
            gpu.Predict(evaluation, actual);
            ExpectLibraryPath();
            CloseAfterSteps(expected, actual, 1e-5, normwiseBound: 2e-5, name + " predictions");
            var cpuLoss2 = cpu.EvaluateLoss(evaluation, evaluationTargets);
            var gpuLoss2 = gpu.EvaluateLoss(evaluation, evaluationTargets);
            Assert.Equal(cpuLoss2, gpuLoss2, 1e-5 * Math.Max(1, Math.Abs(cpuLoss2)));
        }
        finally
        {
            Models.Dispose(gpu);
        }

        // After the AdamW steps: element by element, or as whole tensors (normwise) for a model where Adam's normalized step
        // turns the last bits of a near-zero gradient into a visible difference of one element on the direct kernels too.
        void CloseAfterSteps(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol, double normwiseBound, string what)
        {
            if (!normwise)
            {
                Tolerance.Close(expected, actual, rtol, what);
                return;
            }

            var error = Tolerance.NormwiseRelativeError(expected, actual);
            Assert.True(error < normwiseBound, $"{what}: normwise relative error {error:E2} ≥ {normwiseBound:E0}");
        }
    }
}
