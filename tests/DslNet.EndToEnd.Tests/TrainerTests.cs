using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// <see cref="Trainer"/> on small generated models: the §7.10 defaults learn, every option does what it says
/// (schedule horizon, accumulation, loss scaling, early stopping, callbacks, checkpoints, monitoring, anomaly mode),
/// bad labels are refused with the set and row named, and the batch loop allocates nothing.
/// </summary>
public sealed class TrainerTests
{
    [Fact]
    public void Default_options_are_the_recipe()
    {
        var options = new TrainerOptions();
        Assert.Equal(1e-3, options.LearningRate);
        Assert.Equal(1e-2, options.WeightDecay);
        Assert.Equal(1.0, options.ClipNorm);
        Assert.Equal(1, options.AccumulationSteps);
        Assert.True(options.Shuffle);
        Assert.False(options.LossScaling);

        var model = new TrainerBinaryNet(seed: 1);
        var trainer = new Trainer(model, options);
        var adamW = Assert.IsType<AdamW>(trainer.Optimizer);
        Assert.Equal(1e-3, adamW.LearningRate);
        Assert.Equal(ParameterSelection.WeightsOnly, adamW.WeightDecayOn);
        var schedule = Assert.IsType<OneCycleLR>(options.Schedule(adamW, new ScheduleContext(3, 10, 30)));
        Assert.Equal(30, schedule.TotalSteps);
        Assert.Equal(1e-3, schedule.MaxLearningRate);
    }

    [Fact]
    public void Defaults_follow_the_recipe_and_learn_a_binary_task()
    {
        var (train, validation) = TrainerData.Binary(2000, seed: 1).Split(0.25, seed: 2);
        var model = new TrainerBinaryNet(seed: 3);
        var output = new StringWriter();
        // Only the peak rate departs from the defaults: 1e-3 needs more steps than a fast test takes.
        var trainer = new Trainer(model, new TrainerOptions { Epochs = 4, BatchSize = 32, LearningRate = 1e-2, ProgressWriter = output });

        var history = trainer.Fit(train, validation);

        // The recipe: AdamW with decoupled decay 1e-2, one-cycle over every optimizer step, clipping at 1.0.
        var adamW = Assert.IsType<AdamW>(trainer.Optimizer);
        Assert.Equal(1e-2, adamW.WeightDecay);
        var schedule = Assert.IsType<OneCycleLR>(trainer.Schedule);
        var stepsPerEpoch = train.BatchesPerEpoch(32);
        Assert.Equal(4 * stepsPerEpoch, schedule.TotalSteps);
        Assert.Equal(schedule.TotalSteps, schedule.LastStep);
        Assert.Equal(1e-2, schedule.MaxLearningRate);
        Assert.Equal(4 * stepsPerEpoch, history.StepCount);
        Assert.Equal(1e-2 / 25, history.LearningRates[0], 12);
        Assert.InRange(history.LearningRates.ToArray().Max(), 0.999e-2, 1e-2);   // the peak falls between two steps
        Assert.Equal(1.0, history.ClipNorm);
        Assert.Equal(0.95, history.Momentums[0], 12);
        Assert.All(history.GradientNorms.ToArray(), n => Assert.True(n > 0 && double.IsFinite(n)));

        Assert.Equal(4, history.Epochs.Count);
        var last = history.Epochs[^1];
        Assert.True(last.ValidationAuc > 0.95, $"val AUC {last.ValidationAuc}");
        Assert.True(last.ValidationAccuracy > 0.85, $"val accuracy {last.ValidationAccuracy}");
        Assert.True(last.TrainLoss < history.Epochs[0].TrainLoss);
        Assert.True(last.SamplesPerSecond > 0 && last.WallSeconds >= last.TrainSeconds);
        Assert.InRange(history.BestEpoch, 1, 4);
        Assert.Null(history.StopReason);
        Assert.NotNull(history.BaselineLoss);

        // Validation loss equals the model's own inference-mode loss.
        Assert.Equal(model.EvaluateLoss(validation.Features, validation.Labels), last.ValidationLoss!.Value, 5);

        // A writer makes Auto print plain lines, one per epoch.
        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("epoch 1/4  train_loss ", lines[0]);
        Assert.Contains("val_auc", lines[0]);
        Assert.DoesNotContain('\r', output.ToString());

        Assert.True(history.Diagnose().IsHealthy, history.Diagnose().ToString());
    }

    [Fact]
    public void Cross_entropy_reports_accuracy_and_mse_the_loss_only()
    {
        var (classTrain, classValidation) = TrainerData.Classes(900, seed: 4).Split(0.2, seed: 5);
        var classes = new Trainer(new TrainerClassNet(seed: 1), new TrainerOptions { Epochs = 6, BatchSize = 32, LearningRate = 1e-2, Progress = ProgressMode.Silent })
            .Fit(classTrain, classValidation);
        Assert.Null(classes.Epochs[^1].ValidationAuc);
        Assert.True(classes.Epochs[^1].ValidationAccuracy > 0.85, $"accuracy {classes.Epochs[^1].ValidationAccuracy}");
        Assert.Equal(Math.Log(3), classes.BaselineLoss!.Value, 1);

        var (regressionTrain, regressionValidation) = TrainerData.Regression(900, seed: 6).Split(0.2, seed: 7);
        var model = new TrainerRegressionNet(seed: 2);
        var regression = new Trainer(model, new TrainerOptions { Epochs = 10, BatchSize = 16, LearningRate = 1e-2, Progress = ProgressMode.Silent })
            .Fit(regressionTrain, regressionValidation);
        var epoch = regression.Epochs[^1];
        Assert.Null(epoch.ValidationAuc);
        Assert.Null(epoch.ValidationAccuracy);
        Assert.Equal(model.EvaluateLoss(regressionValidation.Features, regressionValidation.Labels), epoch.ValidationLoss!.Value, 5);
        Assert.True(epoch.ValidationLoss < 0.2 * regression.BaselineLoss, $"MSE {epoch.ValidationLoss} vs variance {regression.BaselineLoss}");
    }

    [Fact]
    public void Labels_are_checked_before_training_with_the_set_and_row_named()
    {
        var data = TrainerData.Binary(100, seed: 1);
        var labels = data.Labels.ToArray();
        labels[7] = 2;
        var bad = DataSet.FromArrays(data.Features.ToArray(), labels, data.Columns);
        var model = new TrainerBinaryNet(seed: 1);
        var before = model.Parameters.Data.ToArray();
        var trainer = new Trainer(model, new TrainerOptions { Progress = ProgressMode.Silent });

        var error = Assert.Throws<ArgumentException>(() => trainer.Fit(bad));
        Assert.Contains("training set's row 7", error.Message);
        Assert.Contains("label 2", error.Message);
        Assert.Contains("0 or 1", error.Message);
        Assert.Equal(before, model.Parameters.Data);

        error = Assert.Throws<ArgumentException>(() => trainer.Fit(data, bad));
        Assert.Contains("validation set's row 7", error.Message);

        var classData = TrainerData.Classes(50, seed: 1);
        var classLabels = classData.Labels.ToArray();
        classLabels[3] = 1.5f;
        var classTrainer = new Trainer(new TrainerClassNet(seed: 1), new TrainerOptions { Progress = ProgressMode.Silent });
        error = Assert.Throws<ArgumentException>(() => classTrainer.Fit(DataSet.FromArrays(classData.Features.ToArray(), classLabels, 4)));
        Assert.Contains("row 3", error.Message);
        Assert.Contains("class index 0 to 2", error.Message);
        classLabels[3] = 3;
        error = Assert.Throws<ArgumentException>(() => classTrainer.Fit(DataSet.FromArrays(classData.Features.ToArray(), classLabels, 4)));
        Assert.Contains("label 3", error.Message);

        var features = data.Features.ToArray();
        features[5 * 8 + 2] = float.NaN;
        error = Assert.Throws<ArgumentException>(() => trainer.Fit(DataSet.FromArrays(features, data.Labels.ToArray(), 8)));
        Assert.Contains("row 5", error.Message);
        Assert.Contains("'x2'", error.Message);

        error = Assert.Throws<ArgumentException>(() => trainer.Fit(TrainerData.Classes(20, seed: 1)));
        Assert.Contains("4 feature columns", error.Message);
    }

    [Fact]
    public void Accumulation_steps_the_optimizer_and_schedule_once_per_group()
    {
        var train = TrainerData.Binary(330, seed: 8);   // 11 micro-batches of 30: 3 steps of 3, 2 dropped per epoch
        var stepsSeen = 0;
        var trainer = new Trainer(new TrainerBinaryNet(seed: 1), new TrainerOptions
        {
            Epochs = 2,
            BatchSize = 30,
            AccumulationSteps = 3,
            Progress = ProgressMode.Silent,
            Callbacks = [new TrainerCallback { BatchEnd = _ => stepsSeen++ }],
        });

        var history = trainer.Fit(train);

        Assert.Equal(6, history.StepCount);
        Assert.Equal(6, stepsSeen);
        Assert.Equal(6, trainer.Optimizer.StepCount);
        Assert.Equal(6, Assert.IsType<OneCycleLR>(trainer.Schedule).TotalSteps);
        Assert.All(history.Epochs, e => Assert.Equal(3, e.OptimizerSteps));
    }

    [Fact]
    public void Callbacks_see_every_hook_in_order_and_the_built_in_ones_run_after_the_users()
    {
        var (train, validation) = TrainerData.Binary(330, seed: 8).Split(0.1, seed: 3);   // 297 rows: 10 micro-batches of 30
        var stopping = new EarlyStopping(patience: 5);
        var recorder = new HookRecorder(stopping);
        var output = new StringWriter();
        var trainer = new Trainer(new TrainerBinaryNet(seed: 1), new TrainerOptions
        {
            Epochs = 2,
            BatchSize = 30,
            AccumulationSteps = 3,
            Progress = ProgressMode.Lines,
            ProgressWriter = output,
            EarlyStopping = stopping,
            Callbacks = [recorder],
        });

        trainer.Fit(train, validation);

        // Per epoch: 10 micro-batches, 3 optimizer steps (after micro-batches 3, 6 and 9), one epoch end.
        var epoch = "E" + string.Concat(Enumerable.Range(1, 10).Select(i => i % 3 == 0 ? "mb" : "m")) + "e";
        Assert.Equal("B" + epoch + epoch + "T", string.Concat(recorder.Hooks));
        long[] samples = [30, 60, 90, 120, 150, 180, 210, 240, 270, 297];
        Assert.Equal(samples.Concat(samples), recorder.SamplesAtMicroBatch);
        // Early stopping counts an epoch after the user's callbacks have seen it; the progress line comes last.
        Assert.Equal([0, 1], recorder.EarlyStoppingEpochsSeen);
        Assert.Equal(2, stopping.Epochs);
        Assert.Equal(2, output.ToString().Split('\n').Count(l => l.StartsWith("epoch ", StringComparison.Ordinal)));
    }

    /// <summary>Writes B/E/m/b/e/T for train begin, epoch begin, micro-batch, optimizer step, epoch end, train end.</summary>
    private sealed class HookRecorder(EarlyStopping stopping) : ITrainerCallback
    {
        public List<string> Hooks { get; } = [];
        public List<long> SamplesAtMicroBatch { get; } = [];
        public List<int> EarlyStoppingEpochsSeen { get; } = [];

        public void OnTrainBegin(TrainingContext context) => Hooks.Add("B");
        public void OnEpochBegin(TrainingContext context) => Hooks.Add("E");

        public void OnMicroBatchEnd(TrainingContext context)
        {
            Hooks.Add("m");
            SamplesAtMicroBatch.Add(context.SamplesDone);
        }

        public void OnBatchEnd(TrainingContext context) => Hooks.Add("b");

        public void OnEpochEnd(TrainingContext context, EpochRecord epoch)
        {
            Hooks.Add("e");
            EarlyStoppingEpochsSeen.Add(stopping.Epochs);
        }

        public void OnTrainEnd(TrainingContext context) => Hooks.Add("T");
    }

    [Fact]
    public void Loss_scaling_by_a_power_of_two_changes_nothing_in_fp32()
    {
        var train = TrainerData.Binary(256, seed: 9);
        float[] Run(bool scaling)
        {
            var model = new TrainerBinaryNet(seed: 4);
            var trainer = new Trainer(model, new TrainerOptions { Epochs = 2, BatchSize = 32, LossScaling = scaling, Progress = ProgressMode.Silent });
            trainer.Fit(train);
            if (scaling) Assert.Equal(65536f, trainer.Scaler!.Scale);
            return model.Parameters.Data.ToArray();
        }

        Assert.Equal(Run(scaling: false), Run(scaling: true));
    }

    [Fact]
    public void Early_stopping_stops_and_restores_the_best_weights()
    {
        var (train, validation) = TrainerData.Binary(600, seed: 10).Split(0.3, seed: 1);
        var model = new TrainerBinaryNet(seed: 5);
        float[]? afterFirstEpoch = null;
        var trainer = new Trainer(model, new TrainerOptions
        {
            Epochs = 10,
            BatchSize = 32,
            Progress = ProgressMode.Silent,
            // No later epoch can beat the first by 10: stop after patience 2.
            EarlyStopping = new EarlyStopping(patience: 2, minDelta: 10),
            Callbacks = [new TrainerCallback { EpochEnd = (context, epoch) => afterFirstEpoch ??= context.Model.Parameters.Data.ToArray() }],
        });

        var history = trainer.Fit(train, validation);

        Assert.Equal(3, history.Epochs.Count);
        Assert.StartsWith("early stopping", history.StopReason);
        Assert.Equal(afterFirstEpoch, model.Parameters.Data);
        Assert.Throws<ArgumentException>(() => trainer.Fit(train));
    }

    [Fact]
    public void A_callback_can_stop_training_mid_epoch()
    {
        var train = TrainerData.Binary(640, seed: 11);
        var trainer = new Trainer(new TrainerBinaryNet(seed: 6), new TrainerOptions
        {
            Epochs = 3,
            BatchSize = 64,
            Progress = ProgressMode.Silent,
            Callbacks = [new TrainerCallback { BatchEnd = c => { if (c.OptimizerStep == 13) c.RequestStop("enough"); } }],
        });

        var history = trainer.Fit(train);

        Assert.Equal(13, history.StepCount);
        Assert.Equal(2, history.Epochs.Count);
        Assert.Equal(3, history.Epochs[1].OptimizerSteps);
        Assert.Equal("enough", history.StopReason);
    }

    [Fact]
    public void Checkpoints_are_written_every_epoch()
    {
        var train = TrainerData.Binary(256, seed: 12);
        var path = Path.Combine(Path.GetTempPath(), $"dslnet-trainer-{Guid.NewGuid():N}.safetensors");
        var epochsSaved = new List<long>();
        try
        {
            var model = new TrainerBinaryNet(seed: 7);
            var trainer = new Trainer(model, new TrainerOptions
            {
                Epochs = 3,
                BatchSize = 64,
                Progress = ProgressMode.Silent,
                CheckpointPath = path,
                Callbacks = [new TrainerCallback { EpochEnd = (_, e) => { if (File.Exists(path)) epochsSaved.Add(Checkpoint.ReadInfo(path).Data.Int64("epoch")); } }],
            });

            trainer.Fit(train);

            Assert.Equal([1L, 2L], epochsSaved);   // read at the start of epochs 2 and 3
            var info = Checkpoint.ReadInfo(path);
            Assert.Equal(3, info.Data.Int64("epoch"));
            Assert.Equal(model.StepCount, info.StepCount);
            var restored = new TrainerBinaryNet(seed: 99);
            Checkpoint.LoadWeights(path, restored);
            Assert.Equal(model.Parameters.Data, restored.Parameters.Data);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Monitor_interval_fills_snapshots_and_is_restored_afterwards()
    {
        var train = TrainerData.Binary(512, seed: 13);
        var model = new TrainerBatchNormNet(seed: 8);
        var history = new Trainer(model, new TrainerOptions { Epochs = 2, BatchSize = 64, MonitorInterval = 4, Progress = ProgressMode.Silent })
            .Fit(train);

        Assert.Equal(4, history.MonitorSnapshots.Count);   // steps 0, 4, 8, 12 of 16
        Assert.Equal([0L, 4, 8, 12], history.MonitorSnapshots.Select(s => s.Step));
        var snapshot = history.MonitorSnapshots[^1];
        Assert.Equal(2, snapshot.Epoch);
        Assert.Equal(["Hidden", "Output"], snapshot.Activations.Select(a => a.Block));
        Assert.Equal(model.Parameters.Views.Count, snapshot.Gradients.Count);
        Assert.Equal(0, model.Monitor.Interval);
        Assert.False(model.Monitor.DetectAnomalies);
    }

    [Fact]
    public void Anomaly_mode_names_the_block_that_overflows_under_an_exploding_learning_rate()
    {
        var train = TrainerData.Binary(512, seed: 14);
        var model = new TrainerBinaryNet(seed: 9);
        var trainer = new Trainer(model, new TrainerOptions
        {
            Epochs = 2,
            BatchSize = 32,
            Optimizer = p => new Sgd(p, lr: 1),
            Schedule = TrainerOptions.ConstantLearningRate,
            ClipNorm = null,
            DetectAnomalies = true,
            Progress = ProgressMode.Silent,
            // The rate grows 1000× per step: the weights overflow within a few steps.
            Callbacks = [new TrainerCallback { BatchEnd = c => c.Optimizer.LearningRate = Math.Min(c.Optimizer.LearningRate * 1e3, 1e38) }],
        });

        var error = Assert.Throws<NumericalAnomalyException>(() => trainer.Fit(train));

        Assert.Contains(error.Block, new[] { "Hidden", "Output", "Hidden.Weight", "Hidden.Bias", "Output.Weight", "Output.Bias" });
        Assert.Contains(error.Block, error.Message);
        Assert.False(model.Monitor.DetectAnomalies);
    }

    [Fact]
    public void Without_anomaly_mode_a_non_finite_loss_stops_training_and_the_diagnosis_says_divergence()
    {
        var train = TrainerData.Binary(512, seed: 14);
        var trainer = new Trainer(new TrainerBinaryNet(seed: 9), new TrainerOptions
        {
            Epochs = 3,
            BatchSize = 32,
            Optimizer = p => new Sgd(p, lr: 1),
            Schedule = TrainerOptions.ConstantLearningRate,
            ClipNorm = null,
            Progress = ProgressMode.Silent,
            Callbacks = [new TrainerCallback { BatchEnd = c => c.Optimizer.LearningRate = Math.Min(c.Optimizer.LearningRate * 1e3, 1e38) }],
        });

        var history = trainer.Fit(train);

        Assert.Contains("training loss became", history.StopReason);
        Assert.True(history.StepCount < 16);
        Assert.True(history.Diagnose().Has(DiagnosisKind.Divergence), history.Diagnose().ToString());
    }

    [Fact]
    public void Warmup_cosine_schedule_and_epoch_schedules()
    {
        var train = TrainerData.Binary(320, seed: 15);
        var trainer = new Trainer(new TrainerBinaryNet(seed: 1), new TrainerOptions
        {
            Epochs = 2,
            BatchSize = 32,
            LearningRate = 1e-2,
            Schedule = TrainerOptions.WarmupCosine(warmupFraction: 0.25),
            Progress = ProgressMode.Silent,
        });
        var history = trainer.Fit(train);
        Assert.Equal(0, history.LearningRates[0]);
        Assert.Equal(1e-2, history.LearningRates[5], 9);
        Assert.True(history.LearningRates[^1] < 1e-3);

        var stepped = new Trainer(new TrainerBinaryNet(seed: 1), new TrainerOptions
        {
            Epochs = 3,
            BatchSize = 32,
            LearningRate = 1e-2,
            Schedule = (optimizer, _) => new StepLR(optimizer, stepSize: 1, gamma: 0.5),
            Progress = ProgressMode.Silent,
        }).Fit(train);
        Assert.Equal([1e-2, 5e-3, 2.5e-3], stepped.Epochs.Select(e => e.LearningRate));
    }

    [Fact]
    public void The_batch_loop_allocates_nothing()
    {
        var train = TrainerData.Binary(64 * 40, seed: 16);
        var probe = new AllocationProbe();
        var trainer = new Trainer(new TrainerBatchNormNet(seed: 2), new TrainerOptions
        {
            Epochs = 2,
            BatchSize = 64,
            LossScaling = true,
            AccumulationSteps = 2,
            // The live line is formatted on every redraw; TextWriter.Null keeps the writer itself out of the count.
            Progress = ProgressMode.Live,
            ProgressWriter = TextWriter.Null,
            Callbacks = [probe],
        });

        trainer.Fit(train);

        Assert.Equal(19, probe.Measured);
        Assert.Equal(0, probe.Bytes);
    }

    /// <summary>Counts this thread's allocations between optimizer steps 2 and 20 of the second epoch.</summary>
    private sealed class AllocationProbe : ITrainerCallback
    {
        private long _start;
        public long Bytes { get; private set; } = -1;
        public int Measured { get; private set; }

        public void OnBatchEnd(TrainingContext context)
        {
            if (context.Epoch != 2) return;
            var step = context.OptimizerStep - 20;   // 20 steps per epoch
            if (step == 1) _start = GC.GetAllocatedBytesForCurrentThread();
            else if (step == 20)
            {
                Bytes = GC.GetAllocatedBytesForCurrentThread() - _start;
                Measured = (int)(step - 1);
            }
        }
    }
}

/// <summary>Deterministic synthetic data sets for the trainer's tests.</summary>
internal static class TrainerData
{
    /// <summary>8 N(0, 1) features; label 1 when a fixed linear teacher plus a little noise is positive.</summary>
    public static DataSet Binary(int rows, int seed)
    {
        var random = new Random(seed);
        double[] teacher = [1.0, -0.8, 0.6, 0.0, 0.5, -0.4, 0.3, 0.9];
        var features = new float[rows * 8];
        var labels = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            var z = 0.0;
            for (var c = 0; c < 8; c++)
            {
                var x = Gaussian(random);
                features[r * 8 + c] = (float)x;
                z += teacher[c] * x;
            }
            labels[r] = z + 0.2 * Gaussian(random) > 0 ? 1 : 0;
        }
        return DataSet.FromArrays(features, labels, 8);
    }

    /// <summary>4 features; three classes around well-separated centres.</summary>
    public static DataSet Classes(int rows, int seed)
    {
        var random = new Random(seed);
        double[][] centres = [[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]];
        var features = new float[rows * 4];
        var labels = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            var k = random.Next(3);
            for (var c = 0; c < 4; c++) features[r * 4 + c] = (float)(centres[k][c] + 0.6 * Gaussian(random));
            labels[r] = k;
        }
        return DataSet.FromArrays(features, labels, 4);
    }

    /// <summary>4 features; y = sin(x0) + 0.5·x1·x2 + noise.</summary>
    public static DataSet Regression(int rows, int seed)
    {
        var random = new Random(seed);
        var features = new float[rows * 4];
        var labels = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < 4; c++) features[r * 4 + c] = (float)Gaussian(random);
            labels[r] = (float)(Math.Sin(features[r * 4]) + 0.5 * features[r * 4 + 1] * features[r * 4 + 2] + 0.05 * Gaussian(random));
        }
        return DataSet.FromArrays(features, labels, 4);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
