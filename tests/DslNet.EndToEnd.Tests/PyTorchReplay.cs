using System.Text.Json;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// Replays a PyTorch training-run reference file (tiny_mlp_training.json, residual_mlp_training.json, …) on a
/// generated model: loads PyTorch's initial state, trains its batches with AdamW, one-cycle and clipping at 1.0, and
/// compares losses, gradient norms, learning rates (where the file has them), the final state (running statistics
/// included) and the eval logits to 1e-4.
/// </summary>
/// <param name="StateMap">PyTorch state_dict key → our view name, and whether it lives in the running statistics.</param>
/// <param name="DecayOn">Which parameters AdamW decays: every one (<c>torch.optim.AdamW(model.parameters())</c>, the MLP
/// files) or the weights only (two groups, decay on parameters of rank > 1: the CNN and ResNet files' recipe).</param>
internal sealed record PyTorchReplay(
    JsonElement Reference,
    IReadOnlyList<(string Torch, string Name, bool Running)> StateMap,
    ParameterSelection DecayOn = ParameterSelection.All)
{
    private const double Tolerance = 1e-4;

    public void LoadInitialState(INetwork model)
    {
        var initial = Reference.GetProperty("initial_state");
        foreach (var (torch, name, running) in StateMap)
            (running ? model.RunningStatistics : model.Parameters)[name].CopyFrom(initial.GetProperty(torch).Floats());
    }

    /// <summary>
    /// Every state_dict entry of the reference has a view, of the same size, and the mapped trainable tensors add up to
    /// the model's parameters: nothing of either side is left out of the replay.
    /// </summary>
    public void AssertSameLayout(INetwork model)
    {
        var initial = Reference.GetProperty("initial_state");
        Assert.Equal(initial.EnumerateObject().Count(), StateMap.Count);
        foreach (var (torch, name, running) in StateMap)
            Assert.Equal(initial.GetProperty(torch).GetArrayLength(), (running ? model.RunningStatistics : model.Parameters)[name].Length);
        Assert.Equal(model.Parameters.Length, StateMap.Where(m => !m.Running).Sum(m => initial.GetProperty(m.Torch).GetArrayLength()));
    }

    /// <summary>Trains <paramref name="model"/> (already in PyTorch's initial state) and compares everything.</summary>
    public void TrainAndCompare(INetwork model, int expectedSteps)
    {
        var optimizer = new AdamW(model.Parameters, lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2,
            weightDecayOn: DecayOn);
        var schedule = new OneCycleLR(optimizer, maxLr: 1e-2, totalSteps: expectedSteps, pctStart: 0.3);

        var expectedLosses = Reference.GetProperty("loss_per_step").Doubles();
        var expectedNorms = Reference.GetProperty("grad_norm_before_clip_per_step").Doubles();
        var expectedRates = Reference.TryGetProperty("lr_per_step", out var rates) ? rates.Doubles() : null;
        var step = 0;
        foreach (var batch in Reference.GetProperty("batches").EnumerateArray())
        {
            if (expectedRates is not null) Assert.Equal(expectedRates[step], optimizer.LearningRate, 9);
            var loss = model.TrainStep(batch.GetProperty("x").Floats(), batch.GetProperty("y").Floats());
            var norm = GradClip.ByNorm(model.Gradients, 1.0);
            optimizer.Step();
            schedule.Step();

            AssertClose(expectedLosses[step], loss, $"loss at step {step}");
            AssertClose(expectedNorms[step], norm, $"gradient norm at step {step}");
            step++;
        }
        Assert.Equal(expectedSteps, step);

        var final = Reference.GetProperty("final_state");
        foreach (var (torch, name, running) in StateMap)
        {
            var actual = (running ? model.RunningStatistics : model.Parameters)[name].ToArray();
            AssertAllClose(final.GetProperty(torch).Doubles(), actual, $"{name} ({torch})");
        }

        var evalInputs = Reference.GetProperty("eval_x").Floats();
        var logits = new float[evalInputs.Length / model.InputSize * model.OutputSize];
        model.Predict(evalInputs, logits);
        AssertAllClose(Reference.GetProperty("eval_logits").Doubles(), logits, "eval logits");
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
