namespace DslNet.Runtime.Tests;

public sealed class EarlyStoppingTests
{
    [Fact]
    public void Stops_after_patience_reports_without_improvement_and_restores_the_best_weights()
    {
        var model = new WeightsOnlyNetwork();
        var stopping = new EarlyStopping(patience: 2, minDelta: 0.01);
        double[] losses = [1.0, 0.8, 0.795, 0.9, 0.7, 0.71, 0.695, 0.75];
        var stoppedAt = -1;
        for (var epoch = 0; epoch < losses.Length; epoch++)
        {
            model.Parameters.Data.AsSpan().Fill(epoch);        // "training" changes every weight
            model.RunningStatistics.Data.AsSpan().Fill(-epoch);
            if (stopping.Report(losses[epoch], model))
            {
                stoppedAt = epoch;
                break;
            }
        }

        // 0.795 does not beat 0.8 by minDelta = 0.01, nor does 0.9: two misses in a row, stop at epoch 3.
        Assert.Equal(3, stoppedAt);
        Assert.Equal(1, stopping.BestEpoch);
        Assert.Equal(0.8, stopping.BestValue);
        Assert.True(stopping.ShouldStop);
        Assert.All(model.Parameters.Data, p => Assert.Equal(1f, p));            // restored on stop
        Assert.All(model.RunningStatistics.Data, s => Assert.Equal(-1f, s));
    }

    [Fact]
    public void Improvement_resets_the_count_and_max_mode_watches_increases()
    {
        var model = new WeightsOnlyNetwork();
        var stopping = new EarlyStopping(patience: 2, mode: EarlyStoppingMode.Max, restoreBest: false);
        Assert.False(stopping.Report(0.70, model));
        Assert.False(stopping.Report(0.69, model));
        Assert.False(stopping.Report(0.75, model));   // improvement: count back to 0
        Assert.False(stopping.Report(double.NaN, model));
        Assert.True(stopping.Report(0.74, model));
        Assert.Equal(2, stopping.BestEpoch);
        Assert.False(stopping.HasBestWeights);
        Assert.Throws<InvalidOperationException>(() => stopping.RestoreBest(model));
    }

    [Fact]
    public void Restore_best_by_hand_and_state_round_trip()
    {
        var model = new WeightsOnlyNetwork();
        var stopping = new EarlyStopping(patience: 5);
        model.Parameters.Data.AsSpan().Fill(3);
        stopping.Report(0.5, model);
        model.Parameters.Data.AsSpan().Fill(4);
        stopping.Report(0.6, model);

        var saved = new StateWriter();
        stopping.SaveState(saved);
        var restored = new EarlyStopping(patience: 5);
        restored.LoadState(new StateReader(saved, "test"));
        Assert.Equal(0, restored.BestEpoch);
        Assert.Equal(1, restored.EpochsWithoutImprovement);
        Assert.Equal(2, restored.Epochs);

        restored.RestoreBest(model);
        Assert.All(model.Parameters.Data, p => Assert.Equal(3f, p));
        model.Parameters.Data.AsSpan().Fill(5);
        stopping.RestoreBest(model);
        Assert.All(model.Parameters.Data, p => Assert.Equal(3f, p));
        Assert.Throws<InvalidDataException>(() => new EarlyStopping(patience: 4).LoadState(new StateReader(saved, "test")));
    }

    /// <summary>Buffers shaped like a small model's; it cannot train (early stopping only copies buffers).</summary>
    private sealed class WeightsOnlyNetwork : INetwork
    {
        public int InputSize => 2;
        public int OutputSize => 1;
        public Loss Loss => Loss.MeanSquaredError;

        public ParameterBuffer Parameters { get; } = new(9,
        [
            new TensorSlot("Hidden.Weight", ParameterKind.Weight, 0, [3, 2]),
            new TensorSlot("Hidden.Bias", ParameterKind.Bias, 6, [3]),
        ]);

        public TensorBuffer Gradients => Parameters.Gradients;

        public TensorBuffer RunningStatistics { get; } = new(6,
        [
            new TensorSlot("Hidden.RunningMean", ParameterKind.RunningMean, 0, [3]),
            new TensorSlot("Hidden.RunningVariance", ParameterKind.RunningVariance, 3, [3]),
        ]);

        public long StepCount { get; set; }
        public ulong Seed { get; set; }
        public NetworkMonitor Monitor => throw new NotSupportedException();
        public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets) => throw new NotSupportedException();
        public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, float lossScale) => throw new NotSupportedException();
        public void Predict(ReadOnlySpan<float> inputs, Span<float> outputs) => throw new NotSupportedException();
        public float EvaluateLoss(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets) => throw new NotSupportedException();
        public string Summary() => nameof(WeightsOnlyNetwork);
    }
}
