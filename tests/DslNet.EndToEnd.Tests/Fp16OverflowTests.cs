using DslNet.EndToEnd.Tests.Models;
using Xunit.Abstractions;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// fp16 storage overflows like a real fp16 buffer, and GradScaler handles it with nothing added: a loss scale forced
/// far too high makes the stored loss gradient ±∞, the ∞ reaches the fp32 parameter gradients, the step is skipped
/// with parameters and AdamW state bit-identical, the scale halves, and training then recovers.
/// </summary>
public sealed class Fp16OverflowTests(ITestOutputHelper output)
{
    private const int Rows = 64;

    // BCE's loss gradient is (σ(z) − y) / rows, about 1e-2 here; times 2^24 it is ~1e5, beyond fp16's 65504.
    private const float TooHighScale = 1 << 24;

    [Fact]
    public void A_scale_too_high_overflows_skips_the_step_halves_the_scale_and_recovers()
    {
        var model = new PrecisionMlp(seed: 3, Device.Cpu, Precision.Fp16);
        var optimizer = new AdamW(model.Parameters, lr: 1e-2);
        var scaler = new GradScaler(initScale: 1024);
        var (evalInputs, evalLabels) = Batch(seed: 999);

        // A few clean steps first, so AdamW has moments to keep.
        var step = 0;
        for (; step < 5; step++) Assert.True(TrainStep(model, optimizer, scaler, step));
        var lossBefore = model.EvaluateLoss(evalInputs, evalLabels);

        scaler.SetScale(TooHighScale);
        var parameters = model.Parameters.Span.ToArray();
        var state = SavedState(optimizer);
        var (inputs, labels) = Batch(step);
        var loss = model.TrainStep(inputs, labels, scaler.Scale);

        Assert.True(float.IsFinite(loss), "The loss is fp32 and computed before the scale: it stays finite.");
        Assert.Contains(model.Gradients.Span.ToArray(), g => !float.IsFinite(g));
        Assert.False(scaler.Step(optimizer));
        scaler.Update();
        Assert.Equal(parameters, model.Parameters.Span.ToArray());
        AssertSameState(state, SavedState(optimizer));
        Assert.Equal(TooHighScale / 2, scaler.Scale);

        // The scaler backs off until every stored gradient fits (observed: four more halvings, to 2^19), then trains.
        var skipped = 0;
        for (step++; step < 100; step++)
            if (!TrainStep(model, optimizer, scaler, step)) skipped++;
        Assert.InRange(skipped, 0, 8);
        Assert.InRange(scaler.Scale, 1f, TooHighScale / 2);
        var lossAfter = model.EvaluateLoss(evalInputs, evalLabels);
        output.WriteLine($"{skipped} more steps skipped; scale {scaler.Scale}; eval loss {lossBefore:G4} → {lossAfter:G4}");
        Assert.True(lossAfter < 0.8 * lossBefore, $"No recovery: eval loss {lossBefore:G4} → {lossAfter:G4}.");
    }

    [Fact]
    public void The_same_scale_does_not_overflow_in_fp32()
    {
        // The overflow comes from fp16 storage, not from the scale itself: fp32's range holds these gradients.
        var model = new PrecisionMlp(seed: 3, Device.Cpu, Precision.Fp32);
        var (inputs, labels) = Batch(seed: 5);
        model.TrainStep(inputs, labels, TooHighScale);
        Assert.All(model.Gradients.Span.ToArray(), g => Assert.True(float.IsFinite(g)));
    }

    private static bool TrainStep(PrecisionMlp model, AdamW optimizer, GradScaler scaler, int seed)
    {
        var (inputs, labels) = Batch(seed);
        model.TrainStep(inputs, labels, scaler.Scale);
        var stepped = scaler.Step(optimizer);
        scaler.Update();
        return stepped;
    }

    private static (float[] Inputs, float[] Labels) Batch(int seed)
    {
        var inputs = PrecisionData.Inputs(Rows, seed);
        return (inputs, PrecisionData.Labels(inputs));
    }

    private static StateWriter SavedState(Optimizer optimizer)
    {
        var state = new StateWriter();
        optimizer.SaveState(state);
        return state;
    }

    private static void AssertSameState(StateWriter expected, StateWriter actual)
    {
        Assert.Equal(expected.Values, actual.Values);
        Assert.Equal(expected.Tensors.Keys, actual.Tensors.Keys);
        foreach (var (name, tensor) in expected.Tensors)
            Assert.Equal(tensor, actual.Tensors[name]);
    }
}
