using System.Text.Json;
using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// Residual connections end to end: the generated ResidualMlp (identity and projection skips, BatchNorm in the branches),
/// started from PyTorch's initial state and fed PyTorch's 20 batches with AdamW, one-cycle and clipping, reproduces
/// PyTorch's losses, gradient norms, final state and eval logits to 1e-4, like the tiny MLP.
/// </summary>
public sealed class ResidualMlpTrainingTests
{
    private const double Tolerance = 1e-4;

    // PyTorch state_dict key → our view, in the buffer that holds it.
    private static readonly (string Torch, string Name, bool Running)[] StateMap =
    {
        ("stem.weight", "Stem.Weight", false), ("stem.bias", "Stem.Bias", false),
        ("unit1_fc.weight", "Unit1.Weight", false),
        ("unit1_bn.weight", "Unit1.Gamma", false), ("unit1_bn.bias", "Unit1.Beta", false),
        ("unit1_bn.running_mean", "Unit1.RunningMean", true), ("unit1_bn.running_var", "Unit1.RunningVariance", true),
        ("down_fc.weight", "Down.Weight", false),
        ("down_bn.weight", "Down.Gamma", false), ("down_bn.bias", "Down.Beta", false),
        ("down_bn.running_mean", "Down.RunningMean", true), ("down_bn.running_var", "Down.RunningVariance", true),
        ("down_proj.weight", "Down.ShortcutWeight", false),
        ("mid.weight", "Mid.Weight", false), ("mid.bias", "Mid.Bias", false),
        ("unit3_fc.weight", "Unit3.Weight", false),
        ("unit3_bn.weight", "Unit3.Gamma", false), ("unit3_bn.bias", "Unit3.Beta", false),
        ("unit3_bn.running_mean", "Unit3.RunningMean", true), ("unit3_bn.running_var", "Unit3.RunningVariance", true),
        ("out.weight", "Output.Weight", false), ("out.bias", "Output.Bias", false),
    };

    private readonly JsonElement _reference = ReferenceData.Load("residual_mlp_training.json");

    [Fact]
    public void Training_reproduces_pytorch_step_by_step()
    {
        var model = LoadInitialState();
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
        var logits = new float[evalInputs.Length / ResidualMlp.InputSize];
        model.Predict(evalInputs, logits);
        AssertAllClose(_reference.GetProperty("eval_logits").Doubles(), logits, "eval logits");
    }

    [Fact]
    public void Every_pytorch_tensor_has_a_view_of_the_same_size()
    {
        var initial = _reference.GetProperty("initial_state");
        var trainable = StateMap.Where(m => !m.Running).Sum(m => initial.GetProperty(m.Torch).GetArrayLength());
        Assert.Equal(ResidualMlp.ParameterCount, trainable);
        Assert.Equal(initial.EnumerateObject().Count(), StateMap.Length);
        var model = new ResidualMlp();
        Assert.Equal(new[] { 5, 8 }, model.Parameters["Down.ShortcutWeight"].Shape);
    }

    private ResidualMlp LoadInitialState()
    {
        var model = new ResidualMlp(seed: 1);
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

    // Elementwise relative error, with a floor of 1e-4 of the tensor's largest magnitude (as TinyMlpTrainingTests).
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
