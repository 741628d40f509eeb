using System.Text.Json;
using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// The end-to-end proof: the generated TinyMlp, started from PyTorch's initial state and fed PyTorch's 20 batches
/// with AdamW, one-cycle and clipping, reproduces PyTorch's losses, gradient norms, final state and eval logits.
/// </summary>
public sealed class TinyMlpTrainingTests
{
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
    public void Training_reproduces_pytorch_step_by_step() => Replay.TrainAndCompare(LoadInitialState(), expectedSteps: 20);

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

    private PyTorchReplay Replay => new(_reference, StateMap);

    private TinyMlp LoadInitialState()
    {
        var model = new TinyMlp(seed: 1);
        Replay.LoadInitialState(model);
        return model;
    }
}
