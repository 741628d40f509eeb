using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// Step 2 of the §7.8.5 checklist: a healthy model memorizes one batch; a batch the loss cannot fit (the same
/// inputs with opposite labels) or a learning rate of zero fails with the "likely a model or loss bug" verdict.
/// </summary>
public sealed class OverfitOneBatchTests
{
    [Fact]
    public void A_healthy_model_drives_one_batch_to_near_zero_loss()
    {
        var data = TrainerData.Binary(256, seed: 31);
        var model = new TrainerBinaryNet(seed: 6);
        var parameters = model.Parameters.Data.ToArray();

        var result = OverfitOneBatch.Run(model, data, batchSize: 32);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(32, result.Rows);
        Assert.True(result.FinalLoss <= 0.02 * result.InitialLoss);
        Assert.True(result.Steps < 1000);
        Assert.StartsWith("Overfit one batch of 32 rows", result.Message);
        Assert.Equal(parameters, model.Parameters.Data);   // restored
        Assert.Equal(0, model.StepCount);
    }

    [Fact]
    public void Random_labels_are_memorized_too()
    {
        var data = TrainerData.Binary(32, seed: 32);
        var random = new Random(3);
        var labels = Enumerable.Range(0, 32).Select(_ => (float)random.Next(2)).ToArray();
        var shuffled = DataSet.FromArrays(data.Features.ToArray(), labels, 8);

        var result = OverfitOneBatch.Run(new TrainerBinaryNet(seed: 7), shuffled, batchSize: 32);

        Assert.True(result.Succeeded, result.Message);
    }

    [Fact]
    public void A_batch_the_loss_cannot_fit_is_reported_as_a_likely_bug()
    {
        // Rows 16–31 repeat rows 0–15 with the opposite label: the best any model can do is ln 2.
        var data = TrainerData.Binary(16, seed: 33);
        var features = data.Features.ToArray().Concat(data.Features.ToArray()).ToArray();
        var labels = data.Labels.ToArray().Concat(data.Labels.ToArray().Select(l => 1 - l)).ToArray();
        var contradictory = DataSet.FromArrays(features, labels, 8);
        var model = new TrainerBinaryNet(seed: 8);

        var result = OverfitOneBatch.Run(model, contradictory, batchSize: 32, maxSteps: 300);

        Assert.False(result.Succeeded);
        Assert.Equal(300, result.Steps);
        Assert.True(result.BestLoss > 0.6, $"best {result.BestLoss}");
        Assert.Contains("Could not overfit one batch of 32 rows", result.Message);
        Assert.Contains("likely a model or loss bug", result.Message);
        Assert.Contains(result.FinalLoss.ToString("G4", System.Globalization.CultureInfo.InvariantCulture), result.Message);
        Assert.Equal(result.Message, result.ToString());
    }

    [Fact]
    public void A_learning_rate_of_zero_fails()
    {
        var result = OverfitOneBatch.Run(new TrainerBinaryNet(seed: 9), TrainerData.Binary(64, seed: 34), learningRate: 0, maxSteps: 50);

        Assert.False(result.Succeeded);
        Assert.Equal(result.InitialLoss, result.FinalLoss, 6);
        Assert.Contains("likely a model or loss bug", result.Message);
    }
}
