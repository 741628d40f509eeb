using static DslNet.Runtime.Tests.HistoryBuilder;

namespace DslNet.Runtime.Tests;

public sealed class HistoryTests
{
    [Fact]
    public void Series_and_best_epoch()
    {
        double[] validation = [0.6, 0.5, 0.45, 0.47];
        var history = Build([0.65, 0.5, 0.4, 0.35], validation, stepsPerEpoch: 3);

        Assert.Equal(12, history.StepCount);
        Assert.Equal(12, history.LearningRates.Length);
        Assert.Equal(12, history.GradientNorms.Length);
        Assert.Equal([0.65, 0.5, 0.4, 0.35], history.TrainLoss);
        Assert.Equal(validation, history.ValidationLoss);
        Assert.True(history.HasValidation);
        Assert.Equal(3, history.BestEpoch);
    }

    [Fact]
    public void Best_epoch_without_validation_follows_training_loss()
    {
        var history = Build([0.65, 0.5, 0.52]);

        Assert.False(history.HasValidation);
        Assert.Equal(2, history.BestEpoch);
        Assert.All(history.ValidationLoss, v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void Step_series_grow_past_the_reserved_capacity()
    {
        var history = new TrainingHistory(stepCapacity: 2);
        for (var i = 0; i < 5; i++) history.AddStep(i, 0.1 * i, 0.9, 1);

        Assert.Equal(5, history.StepCount);
        Assert.Equal([0.0, 1, 2, 3, 4], history.StepLosses.ToArray());
        Assert.Equal(0.4, history.LearningRates[4], 12);
    }

    [Fact]
    public void Recording_a_step_within_capacity_allocates_nothing()
    {
        var history = new TrainingHistory(stepCapacity: 1000);
        history.AddStep(1, 1, 1, 1);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 900; i++) history.AddStep(i, 1e-3, 0.9, 0.5);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ToString_lists_the_epochs()
    {
        var history = Build([0.65, 0.5], [0.6, 0.55]);
        history.StopReason = "a test";

        var text = history.ToString();

        Assert.Contains("epoch 1/2  train_loss 0.6500  val_loss 0.6000", text);
        Assert.Contains("epoch 2/2  train_loss 0.5000  val_loss 0.5500", text);
        Assert.Contains("stopped: a test", text);
        Assert.Contains("best epoch 2", text);
    }

    [Fact]
    public void Progress_lines_mode_prints_one_plain_line_per_epoch()
    {
        var writer = new StringWriter();
        var display = ProgressDisplay.Create(ProgressMode.Auto, writer)!;
        Assert.False(display.IsLive);

        display.StartEpoch(1, 2, 10);
        for (var b = 1; b <= 10; b++) display.Batch(b, b * 32, 0.5);
        display.EndEpoch(new EpochRecord(1, 0.5, 0.55, 0.8, 0.75, 1e-3, 10, 1, 1.2, 320));

        Assert.Equal("epoch 1/2  train_loss 0.5000  val_loss 0.5500  val_auc 0.8000  val_acc 0.7500  lr 1e-3  320 samples/s  1.2 s" + Environment.NewLine,
            writer.ToString());
    }

    [Fact]
    public void Progress_live_mode_redraws_one_line()
    {
        var writer = new StringWriter();
        var display = ProgressDisplay.Create(ProgressMode.Live, writer)!;
        Assert.True(display.IsLive);

        display.StartEpoch(2, 3, 4);
        display.Batch(1, 64, 0.69);   // drawn: the first batch is always due
        display.Batch(4, 256, 0.5);   // drawn: the last batch is always due
        display.EndEpoch(new EpochRecord(2, 0.5, null, null, null, 1e-3, 4, 1, 1, 256));

        var text = writer.ToString();
        Assert.StartsWith("\repoch 2/3 [1/4] ", text);
        Assert.Contains("samples/s loss 0.6900 ETA ", text);
        Assert.Contains("\repoch 2/3 [4/4] ", text);
        Assert.Contains("loss 0.5000 ETA 0:00", text);
        Assert.Contains("\repoch 2/3  train_loss 0.5000  lr 1e-3  256 samples/s  1.0 s", text);
        Assert.EndsWith(Environment.NewLine, text);
        Assert.Single(text.Split('\n'), line => line.Length > 0);
    }

    [Fact]
    public void Progress_live_redraw_allocates_nothing()
    {
        var display = new ProgressDisplay(TextWriter.Null, live: true);
        display.StartEpoch(1, 10, 500);
        display.Batch(500, 64_000, 0.5);   // warm-up: the last batch is always drawn
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 200; i++) display.Batch(500, 64_000 + i, 0.5 - i * 1e-3);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Progress_silent_mode_has_no_display()
    {
        Assert.Null(ProgressDisplay.Create(ProgressMode.Silent, new StringWriter()));
    }
}

/// <summary>Builds synthetic <see cref="TrainingHistory"/> objects: epoch losses, interpolated step losses with deterministic noise.</summary>
internal static class HistoryBuilder
{
    public const double Ln2 = 0.6931471805599453;

    /// <param name="train">Training loss per epoch; the steps of epoch e run from the previous epoch's value (or the start) to this one.</param>
    /// <param name="validation">Validation loss per epoch, or null.</param>
    /// <param name="start">The loss of the first step (default: the baseline ln 2 of a balanced binary problem).</param>
    /// <param name="gradientNorm">The gradient norm of step i (default a steady 0.5 with ±20 % noise).</param>
    public static TrainingHistory Build(
        double[] train,
        double[]? validation = null,
        int stepsPerEpoch = 20,
        double start = Ln2,
        double? baseline = Ln2,
        double noise = 0.03,
        Func<int, double>? gradientNorm = null,
        Func<int, double, double>? stepLoss = null,
        Loss loss = DslNet.Loss.BinaryCrossEntropyWithLogits,
        int? classLikeLabels = null,
        double? validationBaseline = null,
        bool? shuffled = null)
    {
        var history = new TrainingHistory(train.Length * stepsPerEpoch)
        {
            Loss = loss,
            BaselineLoss = baseline,
            ClassLikeLabels = classLikeLabels,
            ValidationBaselineLoss = validationBaseline,
            Shuffled = shuffled,
        };
        var random = new Random(7);
        var previous = start;
        var step = 0;
        for (var e = 0; e < train.Length; e++)
        {
            for (var i = 0; i < stepsPerEpoch; i++, step++)
            {
                var t = (i + 1.0) / stepsPerEpoch;
                // A non-finite epoch loss comes from its steps (stepLoss); interpolation holds the previous level.
                var level = double.IsFinite(train[e]) ? previous + (train[e] - previous) * t : previous;
                var value = level * (1 + noise * (2 * random.NextDouble() - 1));
                if (stepLoss is not null) value = stepLoss(step, value);
                var norm = gradientNorm?.Invoke(step) ?? 0.5 * (1 + 0.2 * (2 * random.NextDouble() - 1));
                history.AddStep(value, 1e-3, 0.9, norm);
            }
            if (double.IsFinite(train[e])) previous = train[e];
            history.AddEpoch(new EpochRecord(e + 1, train[e], validation?[e], null, null, 1e-3, stepsPerEpoch, 1.0, 1.1, 1000));
        }
        return history;
    }

    /// <summary>Exponential decay from <paramref name="from"/> towards <paramref name="to"/> over <paramref name="epochs"/> epochs.</summary>
    public static double[] Decay(int epochs, double from, double to, double rate = 0.35) =>
        Enumerable.Range(1, epochs).Select(e => to + (from - to) * Math.Exp(-rate * e)).ToArray();

    public static ActivationStatistics Activation(string block, long step, double deadUnits = 0, double saturated = 0) =>
        new(block, step, 0.4, 0.6, 0.5, deadUnits, saturated);

    public static GradientStatistics Gradient(string tensor, long step, double rms) =>
        new(tensor, step, 0, rms, rms * 10, rms * 4, 0);
}
