namespace DslNet.Runtime.Tests;

/// <summary>Dynamic loss scaling against torch.cuda.amp.GradScaler's rule (grad_scaler.json), and the API's order.</summary>
public sealed class GradScalerTests
{
    [Fact]
    public void Replays_pytorchs_scale_and_skip_sequence()
    {
        var reference = ReferenceData.Load("grad_scaler.json");
        var foundInf = reference.GetProperty("found_inf").EnumerateArray().Select(e => e.GetBoolean()).ToArray();
        var scaleUsed = reference.GetProperty("scale_used_at_step").Doubles();
        var stepped = reference.GetProperty("optimizer_stepped").EnumerateArray().Select(e => e.GetBoolean()).ToArray();
        var scaler = new GradScaler(
            initScale: reference.GetProperty("init_scale").GetDouble(),
            growthFactor: reference.GetProperty("growth_factor").GetDouble(),
            backoffFactor: reference.GetProperty("backoff_factor").GetDouble(),
            growthInterval: reference.GetProperty("growth_interval").GetInt32());

        var parameters = Buffers.Parameters(new float[19]);
        var optimizer = new Sgd(parameters, lr: 0.01);
        for (var step = 0; step < foundInf.Length; step++)
        {
            Assert.Equal(scaleUsed[step], scaler.Scale);
            ScaledGradients(parameters, scaler.Scale, seed: step, poison: foundInf[step] ? float.PositiveInfinity : null);
            var countBefore = optimizer.StepCount;
            Assert.Equal(stepped[step], scaler.Step(optimizer));
            Assert.Equal(stepped[step] ? countBefore + 1 : countBefore, optimizer.StepCount);
            Assert.Equal(foundInf[step], scaler.FoundInfinite);
            scaler.Update();
        }

        Assert.Equal(reference.GetProperty("final_scale").GetDouble(), scaler.Scale);
    }

    [Theory]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(float.NaN)]
    public void A_skipped_step_leaves_weights_and_optimizer_state_bit_identical(float poison)
    {
        var parameters = Buffers.Parameters(Enumerable.Range(0, 37).Select(i => (float)Math.Sin(i)).ToArray());
        var optimizer = new AdamW(parameters, lr: 1e-2);
        var scaler = new GradScaler();
        for (var step = 0; step < 3; step++)
        {
            ScaledGradients(parameters, scaler.Scale, seed: step, poison: null);
            Assert.True(scaler.Step(optimizer));
            scaler.Update();
        }

        var weights = parameters.Data.ToArray();
        var m = optimizer.FirstMoment.ToArray();
        var v = optimizer.SecondMoment.ToArray();
        ScaledGradients(parameters, scaler.Scale, seed: 9, poison: poison);
        Assert.False(scaler.Unscale(optimizer));
        Assert.False(scaler.Step(optimizer));
        scaler.Update();

        Assert.Equal(weights, parameters.Data);
        Assert.Equal(m, optimizer.FirstMoment.ToArray());
        Assert.Equal(v, optimizer.SecondMoment.ToArray());
        Assert.Equal(3, optimizer.StepCount);
        Assert.Equal(32768f, scaler.Scale);
    }

    [Fact]
    public void Clipping_after_unscale_clips_the_true_gradients()
    {
        var trueGradients = Enumerable.Range(0, 41).Select(i => (float)(Math.Cos(i) * 3)).ToArray();
        var expected = Buffers.Parameters(new float[41]);
        trueGradients.CopyTo(expected.Gradients.Data, 0);
        var expectedNorm = GradClip.ByNorm(expected.Gradients, maxNorm: 1.0);

        var parameters = Buffers.Parameters(new float[41]);
        var optimizer = new Sgd(parameters, lr: 0.1);
        var scaler = new GradScaler();
        for (var i = 0; i < trueGradients.Length; i++)
            parameters.Gradients.Data[i] = trueGradients[i] * scaler.Scale;   // what TrainStep(x, y, scaler.Scale) gives

        Assert.True(scaler.Unscale(optimizer));
        var norm = GradClip.ByNorm(parameters.Gradients, maxNorm: 1.0);

        Assert.Equal(expectedNorm, norm);   // the true norm (≈ 19), not 65536 times it
        Assert.Equal(expected.Gradients.Data, parameters.Gradients.Data);
        Assert.True(scaler.Step(optimizer));   // Step does not unscale a second time
        Assert.Equal(expected.Gradients.Data, parameters.Gradients.Data);
    }

    [Fact]
    public void Unscale_is_idempotent_within_a_step()
    {
        var parameters = Buffers.Parameters(new float[5]);
        var optimizer = new Sgd(parameters, lr: 0.1);
        var scaler = new GradScaler(initScale: 8);
        parameters.Gradients.Data.AsSpan().Fill(16f);
        Assert.True(scaler.Unscale(optimizer));
        Assert.True(scaler.Unscale(optimizer));
        Assert.All(parameters.Gradients.Data, g => Assert.Equal(2f, g));
        Assert.True(scaler.Step(optimizer));
        Assert.Throws<InvalidOperationException>(() => scaler.Step(optimizer));
        Assert.Throws<InvalidOperationException>(() => scaler.Unscale(optimizer));
        scaler.Update();
        parameters.Gradients.Data.AsSpan().Fill(16f);
        Assert.True(scaler.Unscale(optimizer));   // a new step unscales again
        Assert.All(parameters.Gradients.Data, g => Assert.Equal(2f, g));
    }

    [Fact]
    public void Update_without_a_step_throws_and_a_disabled_scaler_is_transparent()
    {
        Assert.Throws<InvalidOperationException>(() => new GradScaler().Update());

        var parameters = Buffers.Parameters(1f, 2f);
        var optimizer = new Sgd(parameters, lr: 1);
        var scaler = new GradScaler(enabled: false);
        Assert.Equal(1f, scaler.Scale);
        parameters.Gradients.Data[0] = 0.5f;
        Assert.True(scaler.Step(optimizer));
        scaler.Update();
        Assert.Equal([0.5f, 2f], parameters.Data);
        Assert.Equal(1f, scaler.Scale);
    }

    [Fact]
    public void State_round_trips_scale_and_growth_tracker()
    {
        var parameters = Buffers.Parameters(new float[3]);
        var optimizer = new Sgd(parameters, lr: 0.1);
        var scaler = new GradScaler(growthInterval: 3);
        for (var step = 0; step < 5; step++)
        {
            ScaledGradients(parameters, scaler.Scale, step, poison: step == 0 ? float.NaN : null);
            scaler.Step(optimizer);
            scaler.Update();
        }

        var saved = new StateWriter();
        scaler.SaveState(saved);
        var restored = new GradScaler(growthInterval: 3);
        restored.LoadState(new StateReader(saved, "test"));
        Assert.Equal(scaler.Scale, restored.Scale);
        Assert.Equal(scaler.GrowthTracker, restored.GrowthTracker);
        Assert.Throws<InvalidDataException>(() => new GradScaler(growthInterval: 2000).LoadState(new StateReader(saved, "test")));
    }

    /// <summary>Finite gradients times the scale, as a scaled backward pass writes them; optionally one poisoned value.</summary>
    private static void ScaledGradients(ParameterBuffer parameters, float scale, int seed, float? poison)
    {
        var random = new Random(seed);
        var gradients = parameters.Gradients.Data;
        for (var i = 0; i < gradients.Length; i++)
            gradients[i] = (float)(random.NextDouble() - 0.5) * scale;
        if (poison is { } value)
            gradients[random.Next(gradients.Length)] = value;
    }
}
