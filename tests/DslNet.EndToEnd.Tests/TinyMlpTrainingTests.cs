using System.Text.Json;
using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// The end-to-end proof: the generated TinyMlp, started from PyTorch's initial state and fed PyTorch's 20 batches
/// with AdamW, one-cycle and clipping, reproduces PyTorch's losses, gradient norms, final state and eval logits.
/// </summary>
public sealed class TinyMlpTrainingTests
{
    private const double Tolerance = 1e-4;

    // PyTorch state_dict key → our view, in the buffer that holds it.
    private static readonly (string Torch, string Name, bool Running)[] StateMap =
    {
        ("0.weight", "Hidden.Weight", false), ("0.bias", "Hidden.Bias", false),
        ("1.weight", "Hidden.Gamma", false), ("1.bias", "Hidden.Beta", false),
        ("1.running_mean", "Hidden.RunningMean", true), ("1.running_var", "Hidden.RunningVariance", true),
        ("3.weight", "Narrow.Weight", false), ("3.bias", "Narrow.Bias", false),
        ("5.weight", "Output.Weight", false), ("5.bias", "Output.Bias", false),
    };

    private readonly JsonElement _reference = ReferenceData.Load("tiny_mlp_training.json");

    [Fact]
    public void Training_reproduces_pytorch_step_by_step()
    {
        var model = LoadInitialState();
        // PyTorch's run decays every parameter (AdamW over model.parameters()), biases and BatchNorm's γ/β included.
        var optimizer = new AdamW(model.Parameters, lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2,
            weightDecayOn: ParameterSelection.All);
        var schedule = new OneCycleLR(optimizer, maxLr: 1e-2, totalSteps: 20, pctStart: 0.3);

        var expectedLosses = _reference.GetProperty("loss_per_step").Doubles();
        var expectedNorms = _reference.GetProperty("grad_norm_before_clip_per_step").Doubles();
        var expectedRates = _reference.GetProperty("lr_per_step").Doubles();
        var step = 0;
        foreach (var batch in _reference.GetProperty("batches").EnumerateArray())
        {
            Assert.Equal(expectedRates[step], optimizer.LearningRate, 9);
            var loss = model.TrainStep(batch.GetProperty("x").Floats(), batch.GetProperty("y").Floats());
            var norm = GradClip.ByNorm(model.Gradients, 1.0);
            optimizer.Step();
            schedule.Step();

            AssertClose(expectedLosses[step], loss, $"loss at step {step}");
            AssertClose(expectedNorms[step], norm, $"gradient norm at step {step}");
            step++;
        }
        Assert.Equal(20, step);

        var final = _reference.GetProperty("final_state");
        foreach (var (torch, name, running) in StateMap)
        {
            var actual = (running ? model.RunningStatistics : model.Parameters)[name].ToArray();
            AssertAllClose(final.GetProperty(torch).Doubles(), actual, $"{name} ({torch})");
        }

        var evalInputs = _reference.GetProperty("eval_x").Floats();
        var logits = new float[evalInputs.Length / TinyMlp.InputSize];
        model.Predict(evalInputs, logits);
        AssertAllClose(_reference.GetProperty("eval_logits").Doubles(), logits, "eval logits");
    }

    [Fact]
    public void Parameter_layout_matches_pytorch_state_dict_sizes()
    {
        var initial = _reference.GetProperty("initial_state");
        var model = new TinyMlp();
        var trainable = StateMap.Where(m => !m.Running).Sum(m => initial.GetProperty(m.Torch).GetArrayLength());
        Assert.Equal(TinyMlp.ParameterCount, trainable);
        Assert.Equal(new[] { 8, 4 }, model.Hidden.Weight.Shape);
        Assert.Equal(16, TinyMlp.RunningStatisticCount);
    }

    private TinyMlp LoadInitialState()
    {
        var model = new TinyMlp(seed: 1);
        var initial = _reference.GetProperty("initial_state");
        foreach (var (torch, name, running) in StateMap)
            (running ? model.RunningStatistics : model.Parameters)[name].CopyFrom(initial.GetProperty(torch).Floats());
        return model;
    }

    private static void AssertClose(double expected, double actual, string what)
    {
        var error = Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-12);
        Assert.True(error < Tolerance, $"{what}: expected {expected:R}, got {actual:R} (relative error {error:E2})");
    }

    // Elementwise relative error, with a floor of 1e-4 of the tensor's largest magnitude so entries that PyTorch
    // leaves at ~1e-9 (float noise) are not judged relative to themselves.
    private static void AssertAllClose(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var scale = expected.Max(Math.Abs);
        for (var i = 0; i < expected.Length; i++)
        {
            var error = Math.Abs(actual[i] - expected[i]) / Math.Max(Math.Abs(expected[i]), 1e-4 * scale);
            Assert.True(error < Tolerance, $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (relative error {error:E2})");
        }
    }
}
