using DslNet.Devices;

namespace DslNet.Gpu.Tests;

/// <summary>
/// Issue 15's "no host round trip per step": the loss and the overflow flag read back every N steps, the optimizer's
/// clipping, step count and the loss scaler decided on the device, and a device-resident data set gathered by a kernel.
/// Each run is compared with per-step reading of the same run (bit for bit), and the copies a step makes are counted.
/// Each check takes the device, so <see cref="CudaTests"/> runs the same ones on a real GPU.
/// </summary>
public sealed class DeviceResidentStepTests
{
    private const int Rows = 6;
    private const int Steps = 10;

    [Fact]
    public void Lazy_readback_with_overflows_ends_bit_identical_to_per_step_readback() => LazyMatchesPerStep(Device.IlgpuCpu);

    [Fact]
    public void A_device_resident_step_copies_nothing_between_readbacks() => CountTransfers(Device.IlgpuCpu);

    [Fact]
    public void The_device_data_set_gives_the_host_gathers_batches_and_weights() => DeviceGatherMatchesHost(Device.IlgpuCpu);

    [Fact]
    public void Device_clipping_matches_the_host_norm_and_the_cpu_path()
    {
        var cpu = new LayerNormGelu(3);
        var gpu = new LayerNormGelu(3, Device.IlgpuCpu);
        try
        {
            var cpuOptimizer = new AdamW(cpu.Parameters, lr: 1e-2, weightDecay: 1e-2);
            using var gpuOptimizer = new DeviceAdamW(gpu, lr: 1e-2, weightDecay: 1e-2, clipNorm: 0.05);
            for (var step = 0; step < 4; step++)
            {
                var (inputs, targets) = Models.Batch(cpu, Rows, seed: 60 + step);
                cpu.TrainStep(inputs, targets);
                gpu.TrainStep(inputs, targets);
                var norm = GradClip.ByNorm(cpu.Gradients, 0.05);
                Assert.True(norm > 0.05, $"the norm {norm} is below the clipping threshold: the test could not tell");
                cpuOptimizer.Step();
                gpuOptimizer.Step();
                Assert.Equal(norm, gpuOptimizer.LastGradientNorm, 1e-4 * norm);
                Assert.Equal(step + 1, gpuOptimizer.StepCount);
            }

            gpu.SyncToHost();
            Tolerance.Close(cpu.Parameters.Span, gpu.Parameters.Span, 1e-4, "weights after 4 clipped device steps");
        }
        finally
        {
            Models.Dispose(gpu);
        }
    }

    [Fact]
    public void A_readback_interval_below_one_is_refused()
    {
        var model = new DenseTanhMse(1, Device.IlgpuCpu);
        try
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.DeviceNetwork!.ReadbackInterval = 0);
            Assert.Equal(nameof(DeviceNetwork.ReadbackInterval), e.ParamName);
        }
        finally
        {
            Models.Dispose(model);
        }
    }

    [Fact]
    public void A_device_data_set_refuses_a_cpu_model_and_a_wrong_width()
    {
        var data = DataSet.FromArrays(new float[4 * 5], new float[4], 5);
        Assert.Contains("runs on the CPU", Assert.Throws<ArgumentException>(() => new DeviceDataSet(data, new DenseTanhMse(1))).Message);
        var model = new LayerNormGelu(1, Device.IlgpuCpu);
        try
        {
            Assert.Contains("5 feature columns; the model takes 7", Assert.Throws<ArgumentException>(() => new DeviceDataSet(data, model)).Message);
        }
        finally
        {
            Models.Dispose(model);
        }
    }

    /// <summary>
    /// Fp16 with a scale far too high (the first steps overflow and are skipped, the scale backs off), a short growth
    /// interval (the scale also grows), clipping, and a new batch each step: once with every step read back, once read
    /// every 4 steps. Parameters, scale, clean-step count, step count and every loss are the same bits.
    /// </summary>
    internal static void LazyMatchesPerStep(Device device)
    {
        var perStep = Train(device, readbackInterval: 1);
        var lazy = Train(device, readbackInterval: 4);
        Assert.True(perStep.Overflowed >= 2, $"only {perStep.Overflowed} steps overflowed: the test could not tell");
        Assert.True(perStep.Grew, "the scale never grew: the test could not tell");
        Assert.Equal(perStep.Overflowed, lazy.Overflowed);
        Assert.Equal(perStep.Parameters, lazy.Parameters);
        Assert.Equal(perStep.Losses, lazy.Losses);
        Assert.Equal(perStep.Scale, lazy.Scale);
        Assert.Equal(perStep.GrowthTracker, lazy.GrowthTracker);
        Assert.Equal(perStep.StepCount, lazy.StepCount);
        Assert.Equal(Steps - perStep.Overflowed, lazy.StepCount);
    }

    private sealed record Run(float[] Parameters, float[] Losses, float Scale, int GrowthTracker, long StepCount, int Overflowed, bool Grew);

    private static Run Train(Device device, int readbackInterval)
    {
        var model = new LayerNormGelu(5, device, Precision.Fp16);
        var network = model.DeviceNetwork!;
        network.ReadbackInterval = readbackInterval;
        using var optimizer = new DeviceAdamW(model, lr: 3e-2, weightDecay: 1e-2, clipNorm: 0.5);
        var scaler = new GradScaler(initScale: 1 << 21, growthInterval: 2);
        var losses = new List<float>();
        var (overflowed, grew) = (0, false);
        for (var step = 0; step < Steps; step++)
        {
            var (inputs, targets) = Models.Batch(model, Rows, seed: 70 + step);
            var before = scaler.Scale;
            var pendingBefore = network.PendingSteps;
            var loss = model.TrainStep(inputs, targets, scaler.Scale);
            scaler.Step(optimizer);
            scaler.Update();
            if (readbackInterval == 1)
            {
                losses.Add(loss);
                if (network.GradientsOverflowed) overflowed++;
                grew |= scaler.Scale > before;
                continue;
            }

            // Lazy: NaN until a window is full, then the window's last loss (the window itself in LastReadLosses). The first
            // step is read at once: the network becomes resident at the optimizer's first update.
            Assert.Equal(network.PendingSteps == 0, !float.IsNaN(loss));
            if (network.PendingSteps == 0) losses.AddRange(pendingBefore == 0 ? [loss] : network.LastReadLosses.ToArray());
        }

        if (readbackInterval > 1)
        {
            // The last, partial window, read as at the end of an epoch.
            losses.AddRange(network.ReadBack().ToArray());
            overflowed = (int)network.OverflowedSteps;
        }

        model.SyncToHost();
        var run = new Run(model.Parameters.Span.ToArray(), losses.ToArray(), scaler.Scale, scaler.GrowthTracker, optimizer.StepCount, overflowed, grew);
        Models.Dispose(model);
        return run;
    }

    /// <summary>
    /// The copies per step, counted by <see cref="DeviceNetwork.Transfers"/>, after the first step (the one before the
    /// optimizer's first update, which still synchronises the host's state, and where the scaler hands its scale to the
    /// device). Per-step reading with host batches: the batch in (inputs, targets) and the loss with its overflow flag
    /// out, one wait. Lazy reading with a device data set: nothing on a step between read-backs, one copy out per
    /// window, one upload of the row order per epoch.
    /// </summary>
    internal static void CountTransfers(Device device)
    {
        var data = ClassData(rows: 24, columns: 7, classes: 3, seed: 11);
        var model = new LayerNormGelu(2, device, Precision.Fp16);
        try
        {
            var network = model.DeviceNetwork!;
            using var optimizer = new DeviceAdamW(model, lr: 1e-2, clipNorm: 1.0);
            var scaler = new GradScaler(initScale: 1024);
            var batches = 0;
            foreach (var batch in data.Batches(6, shuffle: true, seed: 1))
            {
                if (batches++ == 1) network.Transfers.Reset();   // after the first step, which hands the scale to the device
                model.TrainStep(batch.Features, batch.Labels, scaler.Scale);
                scaler.Step(optimizer);
                scaler.Update();
            }

            Assert.Equal(2 * 3, network.Transfers.HostToDevice);
            Assert.Equal(1 * 3, network.Transfers.DeviceToHost);
        }
        finally
        {
            Models.Dispose(model);
        }

        const int interval = 4;
        var lazy = new LayerNormGelu(2, device, Precision.Fp16);
        try
        {
            var network = lazy.DeviceNetwork!;
            network.ReadbackInterval = interval;
            using var optimizer = new DeviceAdamW(lazy, lr: 1e-2, clipNorm: 1.0);
            var scaler = new GradScaler(initScale: 1024);
            using var deviceData = new DeviceDataSet(data, lazy);
            var step = 0;
            for (var epoch = 0; epoch < 2; epoch++)
            {
                network.Transfers.Reset();
                var order = deviceData.Batches(6, shuffle: true, seed: 1, epoch: epoch).ToList();
                Assert.Equal((1, 0), (network.Transfers.HostToDevice, network.Transfers.DeviceToHost));   // the epoch's row order
                foreach (var batch in order)
                {
                    network.Transfers.Reset();
                    deviceData.TrainStep(batch, scaler.Scale);
                    scaler.Step(optimizer);
                    scaler.Update();
                    if (step > 0)
                    {
                        // Steps 1–8: the first window, read by step 4, is steps 1–4 (step 0 read itself, not yet resident).
                        var expected = (0, step % interval == 0 ? 1 : 0);
                        Assert.Equal(expected, (network.Transfers.HostToDevice, network.Transfers.DeviceToHost));
                    }

                    step++;
                }
            }

            Assert.Equal(8, step);
            network.Transfers.Reset();
            Assert.Equal(3, network.ReadBack().Length);   // steps 5–7, read as at the end of a run: one copy
            Assert.Equal((0, 1), (network.Transfers.HostToDevice, network.Transfers.DeviceToHost));
        }
        finally
        {
            Models.Dispose(lazy);
        }
    }

    /// <summary>
    /// Two shuffled epochs with a short last batch, BatchNorm and dropout: once gathered on the host and copied in per
    /// step, once gathered on the device from the uploaded set. Losses, weights, running statistics: the same bits.
    /// </summary>
    internal static void DeviceGatherMatchesHost(Device device)
    {
        var random = new Random(5);
        var features = Enumerable.Range(0, 20 * 16).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var labels = Enumerable.Range(0, 20).Select(_ => (float)random.Next(2)).ToArray();
        var data = DataSet.FromArrays(features, labels, 16);
        var host = new MiniStreamRec(8, device);
        var gathered = new MiniStreamRec(8, device);
        try
        {
            using var hostOptimizer = new DeviceAdamW(host, lr: 1e-2, clipNorm: 1.0);
            using var gatheredOptimizer = new DeviceAdamW(gathered, lr: 1e-2, clipNorm: 1.0);
            using var deviceData = new DeviceDataSet(data, gathered);
            var (hostLosses, gatheredLosses) = (new List<float>(), new List<float>());
            for (var epoch = 0; epoch < 2; epoch++)
            {
                foreach (var batch in data.Batches(6, shuffle: true, seed: 3, epoch: epoch))
                {
                    hostLosses.Add(host.TrainStep(batch.Features, batch.Labels));
                    hostOptimizer.Step();
                }

                foreach (var batch in deviceData.Batches(6, shuffle: true, seed: 3, epoch: epoch))
                {
                    gatheredLosses.Add(deviceData.TrainStep(batch));
                    gatheredOptimizer.Step();
                }
            }

            Assert.Equal(8, gatheredLosses.Count);
            Assert.Equal(hostLosses, gatheredLosses);
            Assert.Equal(host.StepCount, gathered.StepCount);
            host.SyncToHost();
            gathered.SyncToHost();
            Assert.Equal(host.Parameters.Span.ToArray(), gathered.Parameters.Span.ToArray());
            Assert.Equal(host.RunningStatistics.Span.ToArray(), gathered.RunningStatistics.Span.ToArray());
        }
        finally
        {
            Models.Dispose(host);
            Models.Dispose(gathered);
        }
    }

    private static DataSet ClassData(int rows, int columns, int classes, int seed)
    {
        var random = new Random(seed);
        var features = Enumerable.Range(0, rows * columns).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var labels = Enumerable.Range(0, rows).Select(_ => (float)random.Next(classes)).ToArray();
        return DataSet.FromArrays(features, labels, columns);
    }
}
