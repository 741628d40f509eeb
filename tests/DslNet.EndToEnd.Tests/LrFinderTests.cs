using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// <see cref="LrFinder"/> on a small generated model with BatchNorm and dropout: a sensible suggestion, the sweep's
/// shape, and everything it touched put back exactly.
/// </summary>
public sealed class LrFinderTests
{
    [Fact]
    public void Suggests_a_sensible_rate_and_restores_model_and_optimizer_exactly()
    {
        var data = TrainerData.Binary(2048, seed: 21);
        var model = new TrainerBatchNormNet(seed: 4);
        var optimizer = new AdamW(model.Parameters, lr: 3e-3, weightDecay: 1e-2);
        // Give the optimizer some state (moments, step count) so restoring it means something.
        foreach (var batch in data.Batches(64, shuffle: false).Take(5))
        {
            model.TrainStep(batch.Features, batch.Labels);
            optimizer.Step();
        }
        var parameters = model.Parameters.Data.ToArray();
        var runningStatistics = model.RunningStatistics.Data.ToArray();
        var gradients = model.Gradients.Data.ToArray();
        var stepCount = model.StepCount;
        var optimizerBefore = new StateWriter();
        optimizer.SaveState(optimizerBefore);

        var result = LrFinder.Run(model, data, batchSize: 64, steps: 100, optimizer: optimizer);

        Assert.InRange(result.SuggestedLearningRate, 1e-4, 1);
        Assert.Equal(result.MinimumLossLearningRate / 10, result.SuggestedLearningRate, 12);
        Assert.Equal([LrFinderResult.MinimumRule, LrFinderResult.ValleyRule, LrFinderResult.SteepestRule], result.Candidates.Select(c => c.Rule));
        Assert.Equal(result.ValleyLearningRate, result.Candidates[1].LearningRate);
        Assert.InRange(result.SteepestLearningRate, 1e-7, result.MinimumLossLearningRate);
        Assert.Equal(1e-7, result.LearningRates[0], 15);
        // The sweep runs to 10 unless the loss passes 4× its best first.
        if (!result.Diverged) Assert.Equal(10, result.LearningRates[^1], 9);
        for (var i = 1; i < result.LearningRates.Count; i++)
            Assert.Equal(Math.Pow(1e8, 1.0 / 99), result.LearningRates[i] / result.LearningRates[i - 1], 9);

        Assert.Equal(parameters, model.Parameters.Data);
        Assert.Equal(runningStatistics, model.RunningStatistics.Data);
        Assert.Equal(gradients, model.Gradients.Data);
        Assert.Equal(stepCount, model.StepCount);
        var optimizerAfter = new StateWriter();
        optimizer.SaveState(optimizerAfter);
        Assert.Equal(optimizerBefore.Values, optimizerAfter.Values);
        foreach (var (name, tensor) in optimizerBefore.Tensors) Assert.Equal(tensor, optimizerAfter.Tensors[name]);
        Assert.Equal(3e-3, optimizer.LearningRate);
        Assert.Contains("suggested learning rate", result.ToString());
    }

    [Fact]
    public void Without_an_optimizer_sweeps_with_a_fresh_AdamW_and_plots_the_curve()
    {
        var data = TrainerData.Binary(1024, seed: 22);
        var model = new TrainerBinaryNet(seed: 5);
        var parameters = model.Parameters.Data.ToArray();
        var path = Path.Combine(Path.GetTempPath(), $"dslnet-lr-finder-{Guid.NewGuid():N}", "lr_finder.png");
        try
        {
            var result = LrFinder.Run(model, data, batchSize: 32, steps: 60);
            result.SavePlot(path);

            Assert.InRange(result.SuggestedLearningRate, 1e-4, 1);
            Assert.Equal(parameters, model.Parameters.Data);
            Assert.Equal(0, model.StepCount);
            var bytes = File.ReadAllBytes(path);
            Assert.True(bytes.Length > 1000);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        var model = new TrainerBinaryNet(seed: 5);
        var data = TrainerData.Binary(64, seed: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => LrFinder.Run(model, data, startLr: 1, endLr: 0.1));
        Assert.Throws<ArgumentException>(() => LrFinder.Run(model, TrainerData.Classes(64, seed: 1)));
        Assert.Throws<ArgumentException>(() => LrFinder.Run(model, data, optimizer: new AdamW(new TrainerBinaryNet(seed: 1).Parameters)));
    }
}
