namespace DslNet.Runtime.Tests;

/// <summary>Parameter groups (no decay on biases and normalization parameters unless asked) and optimizer state.</summary>
public sealed class OptimizerGroupsAndStateTests
{
    // A model-like layout: weight, bias, BatchNorm γ and β, then a second weight and bias. Odd lengths leave SIMD tails.
    private static ParameterBuffer Layout()
    {
        var buffer = new ParameterBuffer(37 + 5 + 5 + 5 + 15 + 3,
        [
            new TensorSlot("Hidden.Weight", ParameterKind.Weight, 0, [37]),
            new TensorSlot("Hidden.Bias", ParameterKind.Bias, 37, [5]),
            new TensorSlot("Hidden.Gamma", ParameterKind.NormScale, 42, [5]),
            new TensorSlot("Hidden.Beta", ParameterKind.NormShift, 47, [5]),
            new TensorSlot("Output.Weight", ParameterKind.Weight, 52, [3, 5]),
            new TensorSlot("Output.Bias", ParameterKind.Bias, 67, [3]),
        ]);
        var random = new Random(7);
        for (var i = 0; i < buffer.Length; i++)
        {
            buffer.Data[i] = (float)(random.NextDouble() * 2 - 1);
            buffer.Gradients.Data[i] = 0;   // zero gradients: only the decay moves a parameter
        }

        return buffer;
    }

    public static TheoryData<string> Kinds() => new() { "sgd", "sgd_momentum", "adam", "adamw" };

    private static Optimizer Create(string kind, ParameterBuffer parameters, ParameterSelection on = ParameterSelection.WeightsOnly) => kind switch
    {
        "sgd" => new Sgd(parameters, lr: 0.1, weightDecay: 0.5, weightDecayOn: on),
        "sgd_momentum" => new Sgd(parameters, lr: 0.1, momentum: 0.9, weightDecay: 0.5, nesterov: true, weightDecayOn: on),
        "adam" => new Adam(parameters, lr: 0.01, weightDecay: 0.5, weightDecayOn: on),
        "adamw" => new AdamW(parameters, lr: 0.01, weightDecay: 0.5, weightDecayOn: on),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void By_default_only_weights_are_decayed(string kind)
    {
        var parameters = Layout();
        var before = parameters.Data.ToArray();
        var optimizer = Create(kind, parameters);
        Assert.Equal(ParameterSelection.WeightsOnly, optimizer.WeightDecayOn);
        optimizer.Step();
        optimizer.Step();
        foreach (var view in parameters.Views)
        {
            var original = before.AsSpan(view.Offset, view.Length).ToArray();
            if (view.Kind == ParameterKind.Weight)
            {
                Assert.True(optimizer.IsDecayed(view));
                for (var i = 0; i < view.Length; i++)
                    Assert.True(Math.Abs(view[i]) < Math.Abs(original[i]), $"{kind}: {view.Name}[{i}] was not decayed");
            }
            else
            {
                Assert.False(optimizer.IsDecayed(view));
                Assert.Equal(original, view.ToArray());   // bit-identical: zero gradient, no decay
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void All_decays_every_parameter_like_model_parameters(string kind)
    {
        var parameters = Layout();
        var before = parameters.Data.ToArray();
        var optimizer = Create(kind, parameters, ParameterSelection.All);
        optimizer.Step();
        for (var i = 0; i < parameters.Length; i++)
            Assert.True(Math.Abs(parameters.Data[i]) < Math.Abs(before[i]), $"{kind}: element {i} was not decayed");

        // And the result equals the same optimizer over a single weight view (the pre-groups behaviour), exactly.
        var single = Buffers.Parameters(before);
        Create(kind, single).Step();
        Assert.Equal(single.Data, parameters.Data);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Undecayed_segments_get_the_update_of_a_zero_decay_optimizer(string kind)
    {
        var parameters = Layout();
        var random = new Random(3);
        for (var i = 0; i < parameters.Length; i++) parameters.Gradients.Data[i] = (float)(random.NextDouble() - 0.5);
        var twin = Buffers.Parameters(parameters.Data.ToArray());
        parameters.Gradients.Data.CopyTo(twin.Gradients.Data, 0);
        var optimizer = Create(kind, parameters);
        Optimizer noDecay = kind switch
        {
            "sgd" => new Sgd(twin, lr: 0.1),
            "sgd_momentum" => new Sgd(twin, lr: 0.1, momentum: 0.9, nesterov: true),
            "adam" => new Adam(twin, lr: 0.01),
            _ => new AdamW(twin, lr: 0.01, weightDecay: 0),
        };
        for (var step = 0; step < 3; step++)
        {
            optimizer.Step();
            noDecay.Step();
        }

        foreach (var view in parameters.Views.Where(v => v.Kind != ParameterKind.Weight))
            Assert.Equal(twin.Data.AsSpan(view.Offset, view.Length).ToArray(), view.ToArray());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Saved_and_loaded_optimizer_continues_bit_identically(string kind)
    {
        var straight = Layout();
        var resumed = Layout();
        var a = Create(kind, straight);
        var gradients = Enumerable.Range(0, 8).Select(step =>
        {
            var random = new Random(100 + step);
            return Enumerable.Range(0, straight.Length).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        }).ToArray();

        for (var step = 0; step < 8; step++)
        {
            gradients[step].CopyTo(straight.Gradients.Data, 0);
            a.Step();
            a.LearningRate *= 0.9;   // as a schedule would
            a.Momentum = kind.StartsWith("adam") ? 0.85 + 0.01 * step : 0.9 - 0.01 * step;
            if (step == 3)
            {
                var saved = new StateWriter();
                a.SaveState(saved);
                straight.Data.CopyTo(resumed.Data, 0);
                var b = Create(kind, resumed);
                b.LoadState(new StateReader(saved, kind));
                Assert.Equal(a.StepCount, b.StepCount);
                Assert.Equal(a.LearningRate, b.LearningRate);
                Assert.Equal(a.Momentum, b.Momentum);
                for (var rest = 4; rest < 8; rest++)
                {
                    gradients[rest].CopyTo(resumed.Gradients.Data, 0);
                    b.Step();
                    b.LearningRate *= 0.9;
                    b.Momentum = kind.StartsWith("adam") ? 0.85 + 0.01 * rest : 0.9 - 0.01 * rest;
                }
            }
        }

        Assert.Equal(straight.Data, resumed.Data);   // exactly
    }

    [Fact]
    public void Adam_state_carries_moments_and_step_count()
    {
        var parameters = Buffers.Parameters(1f, 2f, 3f);
        var adam = new Adam(parameters, lr: 0.1);
        parameters.Gradients.Data[1] = 0.5f;
        adam.Step();
        var saved = new StateWriter();
        adam.SaveState(saved);
        Assert.Equal(adam.FirstMoment.ToArray(), saved.Tensors["exp_avg"]);
        Assert.Equal(adam.SecondMoment.ToArray(), saved.Tensors["exp_avg_sq"]);
        Assert.Equal("1", saved.Values["step"]);
    }

    [Fact]
    public void Loading_into_an_optimizer_with_other_hyperparameters_throws()
    {
        var saved = new StateWriter();
        new AdamW(Buffers.Parameters(new float[4]), weightDecay: 0.01).SaveState(saved);
        var error = Assert.Throws<InvalidDataException>(() =>
            new AdamW(Buffers.Parameters(new float[4]), weightDecay: 0.1).LoadState(new StateReader(saved, "test")));
        Assert.Contains("weight_decay", error.Message);
        Assert.Throws<InvalidDataException>(() => new Adam(Buffers.Parameters(new float[4])).LoadState(new StateReader(saved, "test")));
        Assert.Throws<InvalidDataException>(() => new AdamW(Buffers.Parameters(new float[5])).LoadState(new StateReader(saved, "test")));
        Assert.Throws<InvalidDataException>(() =>
            new AdamW(Buffers.Parameters(new float[4]), weightDecayOn: ParameterSelection.All).LoadState(new StateReader(saved, "test")));
    }

    [Fact]
    public void Sgd_state_without_momentum_buffer_round_trips()
    {
        var parameters = Buffers.Parameters(1f, 2f);
        var sgd = new Sgd(parameters, lr: 0.1);
        sgd.Step();
        var saved = new StateWriter();
        sgd.SaveState(saved);
        Assert.False(saved.Tensors.ContainsKey("momentum_buffer"));
        var restored = new Sgd(Buffers.Parameters(1f, 2f), lr: 0.5);
        restored.LoadState(new StateReader(saved, "test"));
        Assert.Equal(0.1, restored.LearningRate);
        Assert.True(restored.MomentumBuffer.IsEmpty);
    }
}
