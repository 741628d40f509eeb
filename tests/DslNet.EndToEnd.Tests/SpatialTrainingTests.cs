using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// Convolutional networks end to end: the generated TinyCnn and TinyResNet, started from PyTorch's initial state and fed
/// PyTorch's batches with the files' recipe (CrossEntropy, AdamW decaying only the rank > 1 weights, one-cycle,
/// clipping at 1.0), reproduce PyTorch's losses, gradient norms, final state (running statistics included) and eval
/// logits to 1e-4.
/// </summary>
public sealed class SpatialTrainingTests
{
    // PyTorch state_dict key → our view, in the buffer that holds it.
    private static readonly (string Torch, string Name, bool Running)[] CnnStateMap =
    [
        ("0.weight", "Conv1.Weight", false), .. BatchNorm("1", "Conv1"),
        ("4.weight", "Conv2.Weight", false), .. BatchNorm("5", "Conv2"),
        ("9.weight", "Output.Weight", false), ("9.bias", "Output.Bias", false),
    ];

    private static readonly (string Torch, string Name, bool Running)[] ResNetStateMap =
    [
        ("0.weight", "Stem.Weight", false), .. BatchNorm("1", "Stem"),
        ("3.conv1.weight", "Unit1A.Weight", false), .. BatchNorm("3.bn1", "Unit1A"),
        ("3.conv2.weight", "Unit1B.Weight", false), .. BatchNorm("3.bn2", "Unit1B"),
        ("4.conv1.weight", "Unit2A.Weight", false), .. BatchNorm("4.bn1", "Unit2A"),
        ("4.conv2.weight", "Unit2B.Weight", false), .. BatchNorm("4.bn2", "Unit2B"),
        ("4.shortcut.0.weight", "Unit2B.ShortcutWeight", false), .. BatchNorm("4.shortcut.1", "Unit2B", "Shortcut"),
        ("7.weight", "Output.Weight", false), ("7.bias", "Output.Bias", false),
    ];

    [Fact]
    public void Cnn_training_reproduces_pytorch_step_by_step()
    {
        var replay = new PyTorchReplay(ReferenceData.Load("tiny_cnn_training.json"), CnnStateMap, ParameterSelection.WeightsOnly);
        var model = new TinyCnn(seed: 1);
        replay.LoadInitialState(model);
        replay.TrainAndCompare(model, expectedSteps: 15);
    }

    [Fact]
    public void ResNet_training_reproduces_pytorch_step_by_step()
    {
        var replay = new PyTorchReplay(ReferenceData.Load("tiny_resnet_training.json"), ResNetStateMap, ParameterSelection.WeightsOnly);
        var model = new TinyResNet(seed: 1);
        replay.LoadInitialState(model);
        replay.TrainAndCompare(model, expectedSteps: 14);
    }

    [Fact]
    public void Every_pytorch_tensor_has_a_view_of_the_same_size()
    {
        new PyTorchReplay(ReferenceData.Load("tiny_cnn_training.json"), CnnStateMap).AssertSameLayout(new TinyCnn());
        new PyTorchReplay(ReferenceData.Load("tiny_resnet_training.json"), ResNetStateMap).AssertSameLayout(new TinyResNet());
        Assert.Equal(new[] { 8, 4, 3, 3 }, new TinyCnn().Parameters["Conv2.Weight"].Shape);
        Assert.Equal(new[] { 6, 4, 1, 1 }, new TinyResNet().Parameters["Unit2B.ShortcutWeight"].Shape);
    }

    [Fact]
    public void Zero_last_norm_starts_each_residual_branch_at_its_shortcut()
    {
        // As the reference's BasicBlocks (bn2.weight initialised to 0): the last BatchNorm γ of each branch is zero.
        var model = new TinyResNet(seed: 4);
        Assert.All(model.Parameters["Unit1B.Gamma"].ToArray(), gamma => Assert.Equal(0f, gamma));
        Assert.All(model.Parameters["Unit2B.Gamma"].ToArray(), gamma => Assert.Equal(0f, gamma));
        Assert.All(model.Parameters["Unit2A.Gamma"].ToArray(), gamma => Assert.Equal(1f, gamma));
        Assert.All(model.Parameters["Unit2B.ShortcutGamma"].ToArray(), gamma => Assert.Equal(1f, gamma));
    }

    /// <summary>A BatchNorm2d's four state_dict entries and our views of them (the shortcut's carry a prefix).</summary>
    private static (string Torch, string Name, bool Running)[] BatchNorm(string torch, string block, string prefix = "") =>
    [
        ($"{torch}.weight", $"{block}.{prefix}Gamma", false), ($"{torch}.bias", $"{block}.{prefix}Beta", false),
        ($"{torch}.running_mean", $"{block}.{prefix}RunningMean", true), ($"{torch}.running_var", $"{block}.{prefix}RunningVariance", true),
    ];
}
