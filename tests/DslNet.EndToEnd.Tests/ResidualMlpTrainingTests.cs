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
    public void Training_reproduces_pytorch_step_by_step() => Replay.TrainAndCompare(LoadInitialState(), expectedSteps: 20);

    [Fact]
    public void Every_pytorch_tensor_has_a_view_of_the_same_size()
    {
        var model = new ResidualMlp();
        Replay.AssertSameLayout(model);
        Assert.Equal(new[] { 5, 8 }, model.Parameters["Down.ShortcutWeight"].Shape);
    }

    private PyTorchReplay Replay => new(_reference, StateMap);

    private ResidualMlp LoadInitialState()
    {
        var model = new ResidualMlp(seed: 1);
        Replay.LoadInitialState(model);
        return model;
    }
}
