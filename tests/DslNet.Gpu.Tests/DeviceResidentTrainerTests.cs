using DslNet.Devices;

namespace DslNet.Gpu.Tests;

/// <summary>
/// <see cref="TrainerOptions.DeviceResident"/>: Trainer's loop with the data, AdamW, clipping and the loss scaler on the
/// device and the losses and norms read back per window. The same run as the CPU path's Trainer (history, weights,
/// predictions), the copies an epoch makes, the callbacks' view of each step, and the options it refuses.
/// </summary>
public sealed class DeviceResidentTrainerTests
{
    // 7 batches per epoch (the last one short), read back in windows of 4 and 3: full and partial windows both run.
    private const int Rows = 200;
    private const int BatchSize = 32;
    private const int Interval = 4;

    private static (DataSet Train, DataSet Validation) Data()
    {
        DataSet Make(int rows, int seed)
        {
            var random = new Random(seed);
            var x = new float[rows * MiniStreamRec.InputSize];
            var y = new float[rows];
            for (var i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
            for (var r = 0; r < rows; r++) y[r] = x[r * MiniStreamRec.InputSize] + 0.5f * x[r * MiniStreamRec.InputSize + 1] > 0 ? 1 : 0;
            return DataSet.FromArrays(x, y, MiniStreamRec.InputSize);
        }

        return (Make(Rows, 1), Make(64, 2));
    }

    private static TrainerOptions Options(bool resident, int interval = Interval, IReadOnlyList<ITrainerCallback>? callbacks = null) => new()
    {
        Epochs = 2, BatchSize = BatchSize, LearningRate = 1e-2, ClipNorm = 0.5, Progress = ProgressMode.Silent,
        DeviceResident = resident, ReadbackInterval = interval, Callbacks = callbacks ?? [],
    };

    [Fact]
    public void The_run_is_the_cpu_paths_run() => MatchesTheCpuPath(Device.IlgpuCpu);

    /// <summary>Fit with and without <see cref="TrainerOptions.DeviceResident"/> (CPU path) give the same history, weights
    /// and predictions; <see cref="CudaTests"/> runs it on a GPU.</summary>
    internal static void MatchesTheCpuPath(Device device)
    {
        var (train, validation) = Data();
        var cpu = new MiniStreamRec(5);
        var gpu = new MiniStreamRec(5, device);
        try
        {
            var expected = new Trainer(cpu, Options(resident: false)).Fit(train, validation);
            var actual = new Trainer(gpu, Options(resident: true)).Fit(train, validation);

            Assert.Equal(14, actual.StepLosses.Length);
            Tolerance.Close(ToFloats(expected.StepLosses), ToFloats(actual.StepLosses), 1e-4, "step losses");
            Tolerance.Close(ToFloats(expected.GradientNorms), ToFloats(actual.GradientNorms), 1e-4, "gradient norms");
            Assert.Contains(actual.GradientNorms.ToArray(), norm => norm > 0.5);   // some steps were clipped
            Assert.Equal(expected.LearningRates.ToArray(), actual.LearningRates.ToArray());
            for (var e = 0; e < 2; e++)
            {
                Assert.Equal(expected.Epochs[e].TrainLoss, actual.Epochs[e].TrainLoss, 1e-4);
                Assert.Equal(expected.Epochs[e].ValidationLoss!.Value, actual.Epochs[e].ValidationLoss!.Value, 1e-4);
            }

            // After Fit the host holds the trained state, and Predict uses it.
            Tolerance.Close(cpu.Parameters.Span, gpu.Parameters.Span, 1e-4, "weights after the run");
            Tolerance.Close(cpu.RunningStatistics.Span, gpu.RunningStatistics.Span, 1e-4, "running statistics after the run");
            var cpuOutputs = new float[validation.Rows];
            var gpuOutputs = new float[validation.Rows];
            cpu.Predict(validation.Features, cpuOutputs);
            gpu.Predict(validation.Features, gpuOutputs);
            Tolerance.Close(cpuOutputs, gpuOutputs, 1e-4, "predictions after the run");
        }
        finally
        {
            Models.Dispose(gpu);
        }
    }

    [Fact]
    public void Fp16_with_loss_scaling_trains_as_the_host_optimizer_does()
    {
        var (train, _) = Data();
        var hosted = new MiniStreamRec(5, Device.IlgpuCpu, Precision.Fp16);
        var resident = new MiniStreamRec(5, Device.IlgpuCpu, Precision.Fp16);
        try
        {
            var expectedTrainer = new Trainer(hosted, new TrainerOptions
            {
                Epochs = 2, BatchSize = BatchSize, LearningRate = 1e-2, ClipNorm = 0.5, Progress = ProgressMode.Silent, LossScaling = true,
            });
            var expected = expectedTrainer.Fit(train);
            var actualTrainer = new Trainer(resident, new TrainerOptions
            {
                Epochs = 2, BatchSize = BatchSize, LearningRate = 1e-2, ClipNorm = 0.5, Progress = ProgressMode.Silent, LossScaling = true,
                DeviceResident = true, ReadbackInterval = Interval,
            });
            var actual = actualTrainer.Fit(train);

            // The scaler kept its scale on the device and ends where the host's did (2¹⁶, no overflow in 14 steps).
            Assert.Equal(expectedTrainer.Scaler!.Scale, actualTrainer.Scaler!.Scale);
            Tolerance.Close(ToFloats(expected.StepLosses), ToFloats(actual.StepLosses), 1e-4, "fp16 step losses");
            Tolerance.Close(ToFloats(expected.GradientNorms), ToFloats(actual.GradientNorms), 1e-4, "fp16 gradient norms");
            Tolerance.Close(hosted.Parameters.Span, resident.Parameters.Span, 1e-4, "fp16 weights after the run");
        }
        finally
        {
            Models.Dispose(hosted);
            Models.Dispose(resident);
        }
    }

    [Fact]
    public void A_resumed_run_ends_bit_identical_to_an_uninterrupted_one()
    {
        var (train, validation) = Data();
        var directory = Directory.CreateTempSubdirectory("dslnet-device-resume-").FullName;
        var straight = new MiniStreamRec(5, Device.IlgpuCpu);
        var first = new MiniStreamRec(5, Device.IlgpuCpu);
        var resumed = new MiniStreamRec(77, Device.IlgpuCpu);   // another seed: the checkpoint must restore it
        try
        {
            TrainerOptions Run(string? checkpoint = null, string? resume = null, bool stopAfterFirstEpoch = false) => new()
            {
                Epochs = 2, BatchSize = BatchSize, LearningRate = 1e-2, ClipNorm = 0.5, Progress = ProgressMode.Silent,
                DeviceResident = true, ReadbackInterval = Interval, CheckpointPath = checkpoint, ResumeFrom = resume,
                Callbacks = stopAfterFirstEpoch ? [new TrainerCallback { EpochEnd = (c, _) => c.RequestStop("split") }] : [],
            };

            var path = Path.Combine(directory, "run.safetensors");
            var straightHistory = new Trainer(straight, Run()).Fit(train, validation);
            new Trainer(first, Run(checkpoint: path, stopAfterFirstEpoch: true)).Fit(train, validation);
            var resumedHistory = new Trainer(resumed, Run(checkpoint: path, resume: path)).Fit(train, validation);

            Assert.Equal(straight.Parameters.Span.ToArray(), resumed.Parameters.Span.ToArray());
            Assert.Equal(straight.RunningStatistics.Span.ToArray(), resumed.RunningStatistics.Span.ToArray());
            Assert.Equal(straightHistory.StepLosses[7..].ToArray(), resumedHistory.StepLosses.ToArray());
            Assert.Equal(straightHistory.Epochs[^1].ValidationLoss, resumedHistory.Epochs[^1].ValidationLoss);
        }
        finally
        {
            Models.Dispose(straight);
            Models.Dispose(first);
            Models.Dispose(resumed);
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(Interval, 2)]   // windows of 4 and 3
    [InlineData(1, 7)]          // a read-back every step
    public void An_epoch_reads_back_once_per_window(int interval, int windows)
    {
        var (train, _) = Data();
        var gpu = new MiniStreamRec(5, Device.IlgpuCpu);
        try
        {
            var transfers = gpu.DeviceNetwork!.Transfers;
            var inEpoch = new List<(long In, long Out)>();
            var counter = new EpochTransfers(transfers, inEpoch);
            new Trainer(gpu, Options(resident: true, interval, [counter])).Fit(train);

            // Per epoch: the row order up (1); per window the losses and the norms down (2); at the end of the epoch the
            // parameters, gradients and running statistics down (3). Nothing per step.
            Assert.Equal(2, inEpoch.Count);
            Assert.All(inEpoch, epoch => Assert.Equal((1L, 2L * windows + 3), epoch));
        }
        finally
        {
            Models.Dispose(gpu);
        }
    }

    [Fact]
    public void Callbacks_see_every_step_with_its_loss_and_norm()
    {
        var (train, _) = Data();
        var gpu = new MiniStreamRec(5, Device.IlgpuCpu);
        try
        {
            var seen = new List<(long Step, double Loss, double Norm)>();
            var callback = new TrainerCallback { BatchEnd = c => seen.Add((c.OptimizerStep, c.Loss, c.GradientNorm)) };
            var history = new Trainer(gpu, Options(resident: true, callbacks: [callback])).Fit(train);

            Assert.Equal(Enumerable.Range(1, 14).Select(s => (long)s), seen.Select(s => s.Step));
            Assert.Equal(history.StepLosses.ToArray(), seen.Select(s => s.Loss));
            Assert.Equal(history.GradientNorms.ToArray(), seen.Select(s => s.Norm));
            Assert.All(seen, s => Assert.True(double.IsFinite(s.Loss) && double.IsFinite(s.Norm)));
        }
        finally
        {
            Models.Dispose(gpu);
        }
    }

    [Fact]
    public void A_stop_requested_in_a_window_ends_the_epoch_at_that_read_back()
    {
        var (train, _) = Data();
        var gpu = new MiniStreamRec(5, Device.IlgpuCpu);
        try
        {
            var calls = 0;
            var stopper = new TrainerCallback { BatchEnd = c => { if (++calls == 2) c.RequestStop("test stop"); } };
            var history = new Trainer(gpu, Options(resident: true, callbacks: [stopper])).Fit(train);

            // The request at step 2 is seen at the first read-back (after step 4): the four steps taken are recorded,
            // no callback sees steps 3 and 4, and no epoch follows.
            Assert.Equal("test stop", history.StopReason);
            Assert.Equal(2, calls);
            Assert.Equal(4, history.StepLosses.Length);
            Assert.Single(history.Epochs);
        }
        finally
        {
            Models.Dispose(gpu);
        }
    }

    [Fact]
    public void Options_that_need_host_gradients_and_cpu_models_are_refused()
    {
        var gpu = new MiniStreamRec(5, Device.IlgpuCpu);
        try
        {
            var cpuModel = Assert.Throws<ArgumentException>(() => new Trainer(new MiniStreamRec(5), new TrainerOptions { DeviceResident = true }));
            Assert.Contains("constructed on a device", cpuModel.Message);
            var accumulation = Assert.Throws<ArgumentException>(() =>
                new Trainer(gpu, new TrainerOptions { DeviceResident = true, AccumulationSteps = 2 }));
            Assert.Contains("AccumulationSteps", accumulation.Message);
            var factory = Assert.Throws<ArgumentException>(() =>
                new Trainer(gpu, new TrainerOptions { DeviceResident = true, Optimizer = p => new Sgd(p, lr: 0.1) }));
            Assert.Contains("Optimizer factory", factory.Message);
            Assert.Throws<ArgumentException>(() => new Trainer(gpu, new TrainerOptions { DeviceResident = true, MonitorInterval = 5 }));
            Assert.Throws<ArgumentException>(() => new Trainer(gpu, new TrainerOptions { DeviceResident = true, DetectAnomalies = true }));
            Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(gpu, new TrainerOptions { DeviceResident = true, ReadbackInterval = 0 }));
        }
        finally
        {
            Models.Dispose(gpu);
        }
    }

    private static float[] ToFloats(ReadOnlySpan<double> values)
    {
        var floats = new float[values.Length];
        for (var i = 0; i < values.Length; i++) floats[i] = (float)values[i];
        return floats;
    }

    /// <summary>The copies each epoch made, from its start to its end (validation and checkpoints come after).</summary>
    private sealed class EpochTransfers(DeviceTransfers transfers, List<(long In, long Out)> epochs) : ITrainerCallback
    {
        private (long In, long Out) _start;

        public void OnEpochBegin(TrainingContext context) => _start = (transfers.HostToDevice, transfers.DeviceToHost);

        public void OnEpochEnd(TrainingContext context, EpochRecord epoch) =>
            epochs.Add((transfers.HostToDevice - _start.In, transfers.DeviceToHost - _start.Out));
    }
}
