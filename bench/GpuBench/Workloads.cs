using System.Diagnostics;
using DslNet;
using DslNet.Devices;
using DslNet.Samples.FashionMnist;
using DslNet.Samples.StreamRec;

namespace GpuBench;

/// <summary>A network bench/gpu.sh times: how to build it on a device and a reproducible batch of its inputs.</summary>
/// <param name="Create">The network from a seed on a device in a storage precision.</param>
/// <param name="Data">Synthetic rows (inputs, targets) for a row count and a seed.</param>
internal sealed record BenchModel(string Name, Func<int, Device, Precision, INetwork> Create, Func<int, int, (float[] X, float[] Y)> Data)
{
    /// <summary>StreamRec's MLP on uniform features in [−1, 1], label x0 + x1 &gt; 0 (the same model as the PyTorch side).</summary>
    public static readonly BenchModel StreamRec = new(
        "StreamRec", (seed, device, precision) => new StreamRecMlp(seed, device, precision), StreamRecData);

    /// <summary>The Fashion-MNIST sample's ResNet (stem, three stages, global pooling) on uniform pixels in [−1, 1] and
    /// uniform class labels: its convolutions are the library-eligible GEMMs whose crossover is measured.</summary>
    public static readonly BenchModel ResNet = new(
        "Fashion-MNIST ResNet", (seed, device, precision) => new FashionResNet(seed, device, precision), ImageData);

    private static (float[] X, float[] Y) StreamRecData(int rows, int seed)
    {
        var random = new Random(seed);
        var x = new float[rows * StreamRecMlp.InputSize];
        var y = new float[rows];
        for (var i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
        for (var i = 0; i < rows; i++) y[i] = x[i * StreamRecMlp.InputSize] + x[i * StreamRecMlp.InputSize + 1] > 0 ? 1 : 0;
        return (x, y);
    }

    private static (float[] X, float[] Y) ImageData(int rows, int seed)
    {
        var random = new Random(seed);
        var x = new float[rows * FashionResNet.InputSize];
        var y = new float[rows];
        for (var i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
        for (var i = 0; i < rows; i++) y[i] = random.Next(FashionResNet.OutputSize);
        return (x, y);
    }
}

/// <summary>Training and inference timings (the same model, optimizer and clipping as bench/gpu.sh's PyTorch side).</summary>
internal static class Workloads
{
    /// <summary>How often a device-resident run reads its loss back (a PyTorch loop that logs <c>loss.item()</c> now and then).</summary>
    public const int ReadbackInterval = 100;

    /// <param name="crossover">The GEMM crossover in rows (images for an image model; null: the plan's, or
    /// DSLNET_GEMM_CROSSOVER_ROWS).</param>
    /// <param name="perStepRead">Device-resident only: read the loss back every step and copy each batch in from the host
    /// (the resident mode before the loss was read lazily); otherwise the training set lives on the device, batches are
    /// gathered there and the loss is read every <see cref="ReadbackInterval"/> steps: no host round trip per step.</param>
    public static double Train(BenchModel bench, Device device, int batch, bool resident, bool quick, Precision precision = Precision.Fp32,
        int? crossover = null, bool perStepRead = false)
    {
        var model = bench.Create(42, device, precision);
        var deviceModel = (IDeviceModel)model;
        if (deviceModel.DeviceNetwork is { } network) network.GemmCrossoverOverride = crossover;
        var (x, y) = bench.Data(batch, 1);
        Optimizer optimizer = resident
            ? new DeviceAdamW(deviceModel, lr: 1e-3, weightDecay: 1e-2, clipNorm: 1.0)
            : new AdamW(model.Parameters, lr: 1e-3, weightDecay: 1e-2);
        // fp16 trains with dynamic loss scaling (on the device optimizer: the unscale and the overflow check cost no extra pass).
        var scaler = new GradScaler(enabled: precision == Precision.Fp16);
        void Step()
        {
            model.TrainStep(x, y, scaler.Scale);
            if (!resident) GradClip.ByNorm(model.Gradients, 1.0);
            scaler.Step(optimizer);
            scaler.Update();
        }

        double rate;
        if (resident && !perStepRead)
        {
            // Four batches of rows on the device, shuffled per epoch like DataSet.Batches; one read-back per window.
            var (features, labels) = bench.Data(4 * batch, 1);
            using var data = new DeviceDataSet(DataSet.FromArrays(features, labels, model.InputSize), model);
            var deviceNetwork = deviceModel.DeviceNetwork!;
            deviceNetwork.ReadbackInterval = ReadbackInterval;
            var epoch = 0;
            var batches = data.Batches(batch, shuffle: true, seed: 1, epoch: epoch).GetEnumerator();
            void DeviceStep()
            {
                if (!batches.MoveNext())
                {
                    batches = data.Batches(batch, shuffle: true, seed: 1, epoch: ++epoch).GetEnumerator();
                    batches.MoveNext();
                }

                data.TrainStep(batches.Current, scaler.Scale);
                scaler.Step(optimizer);
                scaler.Update();
            }

            // The clock stops after a read-back: it waits for every queued kernel.
            rate = Measure(DeviceStep, batch, quick, finish: () => deviceNetwork.ReadBack());
        }
        else
        {
            rate = Measure(Step, batch, quick);
        }

        deviceModel.DeviceNetwork?.Dispose();
        (optimizer as IDisposable)?.Dispose();
        return rate;
    }

    public static double Predict(BenchModel bench, Device device, int batch, bool quick, Precision precision = Precision.Fp32, int? crossover = null)
    {
        var model = bench.Create(42, device, precision);
        var deviceModel = (IDeviceModel)model;
        if (deviceModel.DeviceNetwork is { } network) network.GemmCrossoverOverride = crossover;
        var (x, _) = bench.Data(batch, 2);
        var outputs = new float[batch * model.OutputSize];
        var rate = Measure(() => model.Predict(x, outputs), batch, quick);
        deviceModel.DeviceNetwork?.Dispose();
        return rate;
    }

    // Warm up (kernel compilation, allocation), then as many calls as fit in the time budget; samples per second.
    // finish: waits for work a step left queued on the device (a lazy read-back), inside the timed span.
    private static double Measure(Action step, int batch, bool quick, Action? finish = null)
    {
        for (var i = 0; i < 3; i++) step();
        var budget = TimeSpan.FromSeconds(quick ? 0.3 : 1.0);
        var watch = Stopwatch.StartNew();
        var calls = 0;
        while (watch.Elapsed < budget || calls < 3)
        {
            step();
            calls++;
        }

        finish?.Invoke();
        return (double)calls * batch / watch.Elapsed.TotalSeconds;
    }
}
