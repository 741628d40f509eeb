using System.Text.Json;
using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// The generated image models against PyTorch's whole training runs (tiny_cnn_training.json, tiny_resnet_training.json):
/// AdamW with decay on the rank > 1 weights, one-cycle, clipping at 1.0; losses, gradient norms, the final state with
/// running statistics and the eval logits to 1e-4.
/// </summary>
public sealed class SpatialReplayTests
{
    [Fact]
    public void Tiny_cnn_trains_like_PyTorch()
    {
        var map = new List<(string, string, bool)>();
        AddConvBn(map, "0", "1", "Features1.");
        AddConvBn(map, "4", "5", "Features2.");
        map.Add(("9.weight", "Classifier.Weight", false));
        map.Add(("9.bias", "Classifier.Bias", false));
        Replay(new ReplayTinyCnn(), "tiny_cnn_training.json", map, totalSteps: 15);
    }

    [Fact]
    public void Tiny_resnet_trains_like_PyTorch()
    {
        var map = new List<(string, string, bool)>();
        AddConvBn(map, "0", "1", "Stem.");
        AddConvBn(map, "3.conv1", "3.bn1", "Unit1Conv1.");
        AddConvBn(map, "3.conv2", "3.bn2", "Unit1Conv2.");
        AddConvBn(map, "4.conv1", "4.bn1", "Unit2Conv1.");
        AddConvBn(map, "4.conv2", "4.bn2", "Unit2Conv2.");
        AddConvBn(map, "4.shortcut.0", "4.shortcut.1", "Unit2Conv2.Shortcut");
        map.Add(("7.weight", "Head.Weight", false));
        map.Add(("7.bias", "Head.Bias", false));
        Replay(new ReplayTinyResNet(), "tiny_resnet_training.json", map, totalSteps: 14);
    }

    private static void AddConvBn(List<(string, string, bool)> map, string conv, string bn, string prefix)
    {
        map.Add(($"{conv}.weight", prefix + "Weight", false));
        map.Add(($"{bn}.weight", prefix + "Gamma", false));
        map.Add(($"{bn}.bias", prefix + "Beta", false));
        map.Add(($"{bn}.running_mean", prefix + "RunningMean", true));
        map.Add(($"{bn}.running_var", prefix + "RunningVariance", true));
    }

    private static void Replay(INetwork model, string file, List<(string Torch, string Name, bool Running)> map, int totalSteps)
    {
        var reference = ReferenceData.Load(file);
        var initial = reference.GetProperty("initial_state");
        foreach (var (torch, name, running) in map)
            (running ? model.RunningStatistics : model.Parameters)[name].CopyFrom(initial.GetProperty(torch).Floats());

        var optimizer = new AdamW(model.Parameters, lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2,
            weightDecayOn: ParameterSelection.WeightsOnly);
        var schedule = new OneCycleLR(optimizer, maxLr: 1e-2, totalSteps: totalSteps, pctStart: 0.3);
        var losses = reference.GetProperty("loss_per_step").Doubles();
        var norms = reference.GetProperty("grad_norm_before_clip_per_step").Doubles();
        var step = 0;
        foreach (var batch in reference.GetProperty("batches").EnumerateArray())
        {
            var loss = model.TrainStep(batch.GetProperty("x").Floats(), batch.GetProperty("y").Floats());
            var norm = GradClip.ByNorm(model.Gradients, 1.0);
            optimizer.Step();
            schedule.Step();
            AssertClose(losses[step], loss, $"loss at step {step}");
            AssertClose(norms[step], norm, $"gradient norm at step {step}");
            step++;
        }
        Assert.Equal(totalSteps, step);

        var final = reference.GetProperty("final_state");
        foreach (var (torch, name, running) in map)
        {
            var actual = (running ? model.RunningStatistics : model.Parameters)[name].ToArray();
            var expected = final.GetProperty(torch).Doubles();
            for (var i = 0; i < expected.Length; i++) AssertClose(expected[i], actual[i], $"{name}[{i}] ({torch})");
        }

        var evalInputs = reference.GetProperty("eval_x").Floats();
        var logits = new float[evalInputs.Length / model.InputSize * model.OutputSize];
        model.Predict(evalInputs, logits);
        var expectedLogits = reference.GetProperty("eval_logits").Doubles();
        for (var i = 0; i < logits.Length; i++) AssertClose(expectedLogits[i], logits[i], $"eval logit {i}");
    }

    private static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-4 * Math.Max(1.0, Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");
}
