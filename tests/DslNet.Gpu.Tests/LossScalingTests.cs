using DslNet.Devices;

namespace DslNet.Gpu.Tests;

/// <summary>
/// Fp16 semantics on the device: the overflow flag raised inside the backward kernels, the step skipped without touching
/// weights or optimizer state, <see cref="GradScaler"/>'s backoff and recovery, and gradients that flush to zero in fp16
/// without loss scaling but train with it. Models without dropout or BatchNorm, so a skipped step leaves no other state.
/// Each check takes the device, so <see cref="CudaTests"/> runs the same ones on a real GPU.
/// </summary>
public sealed class LossScalingTests
{
    private const int Rows = 6;

    [Fact]
    public void A_too_high_loss_scale_overflows_skips_the_step_halves_the_scale_and_training_recovers() =>
        OverflowSkipsBacksOffAndRecovers(Device.IlgpuCpu);

    [Fact]
    public void Device_adamw_skips_an_overflowed_step_inside_its_kernel() => KernelSkipsOverflowedStep(Device.IlgpuCpu);

    [Fact]
    public void Host_synchronised_training_sees_the_overflow_in_the_downloaded_gradients() => HostSeesOverflow(Device.IlgpuCpu);

    [Fact]
    public void Tiny_gradients_flush_to_zero_in_fp16_without_scaling_and_train_with_it() => ScalingRescuesTinyGradients(Device.IlgpuCpu);

    internal static void OverflowSkipsBacksOffAndRecovers(Device device)
    {
        const float tooHigh = 1 << 21;   // the loss gradient alone is about 0.1: ×2^21 ≈ 2e5, beyond fp16's 65504
        var model = new LayerNormGelu(5, device, Precision.Fp16);
        var initial = model.Parameters.Span.ToArray();
        using var optimizer = new DeviceAdamW(model, lr: 3e-2, weightDecay: 1e-2);
        var scaler = new GradScaler(initScale: tooHigh);
        var (inputs, targets) = Models.Batch(model, Rows, seed: 9);
        var losses = new List<float>();
        var skipped = 0;
        float scaleThatWorked = 0;
        for (var step = 0; step < 10; step++)
        {
            var scale = scaler.Scale;
            var loss = model.TrainStep(inputs, targets, scale);
            var stepped = scaler.Step(optimizer);
            Assert.Equal(!stepped, model.DeviceNetwork!.GradientsOverflowed);
            scaler.Update();
            if (stepped)
            {
                if (scaleThatWorked == 0) scaleThatWorked = scale;
                losses.Add(loss);
                continue;
            }

            Assert.Empty(losses);   // once a scale works, the gradients stay in range at this learning rate
            skipped++;
            Assert.Equal(scale / 2, scaler.Scale);
            model.SyncToHost();
            Assert.Equal(initial, model.Parameters.Span.ToArray());   // bit-identical: nothing reached the weights
        }

        Assert.True(skipped >= 1, "the forced scale did not overflow");
        Assert.Equal(tooHigh / (1 << skipped), scaleThatWorked);
        Assert.Equal(0, optimizer.SkippedSteps);         // GradScaler never called Step on the skipped ones
        Assert.True(losses.Count >= 5, $"only {losses.Count} steps ran");
        Assert.True(losses[^1] < 0.8 * losses[0], $"training did not recover: loss {losses[0]} → {losses[^1]}");

        // The same run started directly at the scale that worked ends bit-identical: the skipped steps left the weights,
        // the moments and the step count (Adam's bias correction) exactly as they were.
        var reference = new LayerNormGelu(5, device, Precision.Fp16);
        using var referenceOptimizer = new DeviceAdamW(reference, lr: 3e-2, weightDecay: 1e-2);
        var referenceScaler = new GradScaler(initScale: scaleThatWorked);
        for (var step = 0; step < losses.Count; step++)
        {
            reference.TrainStep(inputs, targets, referenceScaler.Scale);
            Assert.True(referenceScaler.Step(referenceOptimizer));
            referenceScaler.Update();
        }

        model.SyncToHost();
        reference.SyncToHost();
        Assert.Equal(reference.Parameters.Span.ToArray(), model.Parameters.Span.ToArray());
        Assert.Equal(referenceOptimizer.StepCount, optimizer.StepCount);
        Models.Dispose(model);
        Models.Dispose(reference);
    }

    internal static void KernelSkipsOverflowedStep(Device device)
    {
        // No scaler: optimizer.Step() is called on an overflowed step, and the kernel's own check must keep the state.
#pragma warning disable DSL3001 // fp16 without a GradScaler, on purpose: the overflow is forced through the loss scale argument.
        var model = new DenseTanhMse(4, device, Precision.Fp16);
        var reference = new DenseTanhMse(4, device, Precision.Fp16);
#pragma warning restore DSL3001
        using var optimizer = new DeviceAdamW(model, lr: 1e-2, weightDecay: 1e-2);
        using var referenceOptimizer = new DeviceAdamW(reference, lr: 1e-2, weightDecay: 1e-2);
        var (first, firstTargets) = Models.Batch(model, Rows, seed: 1);
        var (second, secondTargets) = Models.Batch(model, Rows, seed: 2);

        model.TrainStep(first, firstTargets);
        optimizer.Step();
        model.SyncToHost();
        var afterFirst = model.Parameters.Span.ToArray();

        model.TrainStep(second, secondTargets, lossScale: 1e30f);
        Assert.True(model.DeviceNetwork!.GradientsOverflowed);
        optimizer.Step();
        Assert.Equal(1, optimizer.SkippedSteps);
        Assert.Equal(1, optimizer.StepCount);
        model.SyncToHost();
        Assert.Equal(afterFirst, model.Parameters.Span.ToArray());

        // The next clean step lands where it would have without the overflowed one: the moments were not touched.
        model.TrainStep(second, secondTargets);
        Assert.False(model.DeviceNetwork.GradientsOverflowed);
        optimizer.Step();
        reference.TrainStep(first, firstTargets);
        referenceOptimizer.Step();
        reference.TrainStep(second, secondTargets);
        referenceOptimizer.Step();
        model.SyncToHost();
        reference.SyncToHost();
        Assert.Equal(reference.Parameters.Span.ToArray(), model.Parameters.Span.ToArray());
        Models.Dispose(model);
        Models.Dispose(reference);
    }

    internal static void HostSeesOverflow(Device device)
    {
        var model = new DenseTanhMse(4, device, Precision.Fp16);
        var optimizer = new AdamW(model.Parameters, lr: 1e-2);
        var scaler = new GradScaler(initScale: 1e30);
        var before = model.Parameters.Span.ToArray();
        var (inputs, targets) = Models.Batch(model, Rows, seed: 3);
        model.TrainStep(inputs, targets, scaler.Scale);
        Assert.True(model.DeviceNetwork!.GradientsOverflowed);
        Assert.False(scaler.Step(optimizer));
        scaler.Update();
        Assert.Equal(5e29f, scaler.Scale);
        Assert.Equal(before, model.Parameters.Span.ToArray());
        Models.Dispose(model);
    }

    internal static void ScalingRescuesTinyGradients(Device device)
    {
        // Four steps: enough for Adam to move the hidden weights visibly in the fp32 reference. Output weights of about 1e-7, frozen (their gradients cleared before each step, like requires_grad=False),
        // make the hidden layer's activation gradients about 1e-9: below half fp16's smallest subnormal (2^-25 ≈ 3e-8),
        // so without scaling they round to zero; ×65536 they are normal fp16 numbers. Host-synchronised AdamW, so the
        // host GradScaler path (unscale and inf check on the downloaded gradients) is the one exercised here.
        var cpu = new DenseTanhMse(6, Device.Cpu);
        foreach (ref var w in cpu.Output.Weight.Span) w *= 1e-6f;
        var initialHidden = cpu.Hidden.Weight.Span.ToArray();
        var unscaled = WithWeightsOf(cpu, device);
        var scaled = WithWeightsOf(cpu, device);
        var cpuOptimizer = new AdamW(cpu.Parameters, lr: 1e-2, weightDecay: 0);
        var unscaledOptimizer = new AdamW(unscaled.Parameters, lr: 1e-2, weightDecay: 0);
        var scaledOptimizer = new AdamW(scaled.Parameters, lr: 1e-2, weightDecay: 0);
        var scaler = new GradScaler(initScale: 65536);
        for (var step = 0; step < 4; step++)
        {
            var (inputs, targets) = Models.Batch(cpu, Rows, seed: 40 + step);
            cpu.TrainStep(inputs, targets);
            unscaled.TrainStep(inputs, targets);
            scaled.TrainStep(inputs, targets, scaler.Scale);
            Assert.True(scaler.Unscale(scaledOptimizer));
            Assert.Contains(cpu.Hidden.WeightGradient.Span.ToArray(), g => g != 0);
            Assert.All(unscaled.Hidden.WeightGradient.Span.ToArray(), g => Assert.Equal(0f, g));
            Assert.InRange(Tolerance.NormwiseRelativeError(cpu.Hidden.WeightGradient.Span, scaled.Hidden.WeightGradient.Span), 0, 5e-3);

            foreach (var model in new[] { cpu, unscaled, scaled })
            {
                model.Output.WeightGradient.Span.Clear();
                model.Output.BiasGradient!.Span.Clear();
            }

            cpuOptimizer.Step();
            unscaledOptimizer.Step();
            Assert.True(scaler.Step(scaledOptimizer));
            scaler.Update();
        }

        Assert.Equal(initialHidden, unscaled.Hidden.Weight.Span.ToArray());
        var cpuMoved = Displacement(cpu.Hidden.Weight.Span, initialHidden);
        var scaledMoved = Displacement(scaled.Hidden.Weight.Span, initialHidden);
        Assert.True(cpuMoved.Max(Math.Abs) > 1e-3, "the fp32 reference's hidden layer did not train");
        Assert.InRange(Tolerance.NormwiseRelativeError(cpuMoved, scaledMoved), 0, 5e-3);
        Models.Dispose(unscaled);
        Models.Dispose(scaled);
    }

    private static DenseTanhMse WithWeightsOf(DenseTanhMse cpu, Device device)
    {
        var model = new DenseTanhMse(6, device, Precision.Fp16);
        cpu.Parameters.Span.CopyTo(model.Parameters.Span);
        model.SyncToDevice();
        return model;
    }

    private static float[] Displacement(ReadOnlySpan<float> weights, float[] initial)
    {
        var moved = new float[initial.Length];
        for (var i = 0; i < moved.Length; i++) moved[i] = weights[i] - initial[i];
        return moved;
    }
}
