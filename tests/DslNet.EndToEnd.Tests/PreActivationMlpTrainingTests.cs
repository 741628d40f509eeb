using System.Text.Json;
using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// Pre-activation residual blocks end to end: the generated PreActivationMlp (BatchNorm/LayerNorm/GroupNorm and an
/// activation before each Dense, identity and projection skips), started from PyTorch's initial state and fed PyTorch's
/// 20 batches with AdamW, one-cycle and clipping, reproduces PyTorch's losses, gradient norms, final state and eval
/// logits to 1e-4, like the post-activation ResidualMlp.
/// </summary>
public sealed class PreActivationMlpTrainingTests
{
    // PyTorch state_dict key → our view, in the buffer that holds it.
    private static readonly (string Torch, string Name, bool Running)[] StateMap =
    {
        ("stem.weight", "Stem.Weight", false), ("stem.bias", "Stem.Bias", false),
        ("unit1_bn.weight", "Unit1.Gamma", false), ("unit1_bn.bias", "Unit1.Beta", false),
        ("unit1_bn.running_mean", "Unit1.RunningMean", true), ("unit1_bn.running_var", "Unit1.RunningVariance", true),
        ("unit1_fc.weight", "Unit1.Weight", false), ("unit1_fc.bias", "Unit1.Bias", false),
        ("down_ln.weight", "Down.Gamma", false), ("down_ln.bias", "Down.Beta", false),
        ("down_fc.weight", "Down.Weight", false), ("down_fc.bias", "Down.Bias", false),
        ("down_proj.weight", "Down.ShortcutWeight", false),
        ("unit3_gn.weight", "Unit3.Gamma", false), ("unit3_gn.bias", "Unit3.Beta", false),
        ("unit3_fc.weight", "Unit3.Weight", false),
        ("head_bn.weight", "Output.Gamma", false), ("head_bn.bias", "Output.Beta", false),
        ("head_bn.running_mean", "Output.RunningMean", true), ("head_bn.running_var", "Output.RunningVariance", true),
        ("head_fc.weight", "Output.Weight", false), ("head_fc.bias", "Output.Bias", false),
    };

    private readonly JsonElement _reference = ReferenceData.Load("preactivation_mlp_training.json");

    [Fact]
    public void Training_reproduces_pytorch_step_by_step() => Replay.TrainAndCompare(LoadInitialState(), expectedSteps: 20);

    [Fact]
    public void Every_pytorch_tensor_has_a_view_of_the_same_size()
    {
        var model = new PreActivationMlp();
        Replay.AssertSameLayout(model);
        Assert.Equal(new[] { 8 }, model.Parameters["Unit1.Gamma"].Shape);
        Assert.Equal(new[] { 6 }, model.Parameters["Output.Gamma"].Shape);
        Assert.Equal(new[] { 6 }, model.RunningStatistics["Output.RunningMean"].Shape);
    }

    private PyTorchReplay Replay => new(_reference, StateMap);

    private PreActivationMlp LoadInitialState()
    {
        var model = new PreActivationMlp(seed: 1);
        Replay.LoadInitialState(model);
        return model;
    }
}
