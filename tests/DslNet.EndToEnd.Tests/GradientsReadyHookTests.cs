using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// The backward pass's per-block hook (what data parallelism overlaps its allreduces with): each block is handed
/// over once, in the plan's backward order, when its gradients are already final, and never in a step the monitor
/// samples.
/// </summary>
public sealed class GradientsReadyHookTests
{
    private const int Rows = 16;

    private sealed class RecordingHook(INetwork model) : IGradientsReady
    {
        public List<(int Offset, int Count)> Ranges { get; } = [];
        public List<float[]> GradientsAtHandOver { get; } = [];

        public void OnGradientsReady(int offset, int count)
        {
            Ranges.Add((offset, count));
            GradientsAtHandOver.Add(model.Gradients.Span.Slice(offset, count).ToArray());
        }
    }

    private static (float[] Inputs, float[] Labels) Batch()
    {
        var random = new Random(11);
        var inputs = Enumerable.Range(0, Rows * ResidualMlp.InputSize).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var labels = Enumerable.Range(0, Rows).Select(_ => (float)random.Next(2)).ToArray();
        return (inputs, labels);
    }

    private static (int Offset, int Count) RangeOf(INetwork model, string block)
    {
        var views = model.Parameters.Views.Where(v => v.Name.StartsWith(block + ".", StringComparison.Ordinal)).ToList();
        var offset = views.Min(v => v.Offset);
        return (offset, views.Max(v => v.Offset + v.Length) - offset);
    }

    [Fact]
    public void Blocks_are_handed_over_in_backward_order_with_final_gradients()
    {
        var model = new ResidualMlp(seed: 4);
        var hook = new RecordingHook(model);
        model.GradientsReady = hook;
        var (inputs, labels) = Batch();

        model.TrainStep(inputs, labels);

        // The residual network's plan runs its blocks' backward last to first; a projection's weight belongs to its block.
        string[] backwardOrder = ["Output", "Unit3", "Mid", "Down", "Unit1", "Stem"];
        Assert.Equal(backwardOrder.Select(b => RangeOf(model, b)), hook.Ranges);
        Assert.Equal(model.Parameters.Length, hook.Ranges.Sum(r => r.Count));
        for (var i = 0; i < hook.Ranges.Count; i++)
            Assert.Equal(hook.GradientsAtHandOver[i], model.Gradients.Span.Slice(hook.Ranges[i].Offset, hook.Ranges[i].Count).ToArray());
    }

    [Fact]
    public void The_hook_changes_no_number_and_a_sampled_step_hands_nothing_over()
    {
        var (inputs, labels) = Batch();
        var plain = new ResidualMlp(seed: 4);
        plain.TrainStep(inputs, labels);
        var hooked = new ResidualMlp(seed: 4);
        var hook = new RecordingHook(hooked);
        hooked.GradientsReady = hook;
        hooked.TrainStep(inputs, labels);
        Assert.Equal(plain.Gradients.Span.ToArray(), hooked.Gradients.Span.ToArray());

        // The monitor reads every gradient after the backward pass: such a step leaves the hand-over to its caller.
        hook.Ranges.Clear();
        hooked.Monitor.Interval = 1;
        hooked.TrainStep(inputs, labels);
        Assert.Empty(hook.Ranges);
    }
}
