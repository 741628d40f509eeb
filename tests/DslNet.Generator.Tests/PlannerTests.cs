using DslNet.Generator.Common;
using DslNet.Generator.Parsing;
using DslNet.Generator.Layers;
using DslNet.Generator.Planning;
using static DslNet.Generator.Tests.Specs;

namespace DslNet.Generator.Tests;

/// <summary>The planner on its own: specs built by hand, no Roslyn compilation.</summary>
public sealed class PlannerTests
{
    private static NetworkSpec Network(int inputs, LossKind loss, params BlockSpec[] blocks) =>
        new(Namespace: "Models", ClassName: "Net", Accessibility: "public", IsSealed: true, IsPartial: true,
            UnsupportedShape: null, Inputs: inputs, Loss: loss, Location: null, Blocks: blocks.ToEquatableArray());

    private static NetworkSpec StreamRec() => Network(128, LossKind.BinaryCrossEntropyWithLogits,
        Block("Hidden1", Dense(256), Layer(LayerKind.BatchNorm), Layer(LayerKind.Relu), Dropout(0.3)),
        Block("Hidden2", Dense(128), Layer(LayerKind.BatchNorm), Layer(LayerKind.Relu), Dropout(0.3)),
        Block("Hidden3", Dense(64), Layer(LayerKind.BatchNorm), Layer(LayerKind.Relu), Dropout(0.3)),
        Block("Output", Dense(1)));

    private static ExecutionPlan PlanOf(NetworkSpec spec)
    {
        var result = NetworkPlanner.Plan(spec);
        Assert.True(result.Plan != null, "No plan: " + string.Join(", ", result.Diagnostics.Select(d => d.Id)));
        return result.Plan!;
    }

    [Fact]
    public void StreamRec_shapes_and_parameter_count()
    {
        var plan = PlanOf(StreamRec());

        Assert.Equal(128, plan.InputSize);
        Assert.Equal(1, plan.OutputSize);
        Assert.Equal(new[] { 128, 256, 128, 64 }, plan.Blocks.Select(b => b.Inputs));
        Assert.Equal(new[] { 256, 128, 64, 1 }, plan.Blocks.Select(b => b.Units));
        // Dense weights and biases plus BatchNorm's gamma and beta, as PyTorch counts them:
        // (128·256 + 256 + 2·256) + (256·128 + 128 + 2·128) + (128·64 + 64 + 2·64) + (64·1 + 1)
        Assert.Equal(33_536 + 33_152 + 8_384 + 65, plan.ParameterCount);
        Assert.Equal(75_137, plan.ParameterCount);
        Assert.Equal(plan.Blocks.Sum(b => b.ParameterCount), plan.ParameterCount);
        // Running mean and variance per BatchNorm feature.
        Assert.Equal(2 * (256 + 128 + 64), plan.RunningStatisticCount);
        Assert.Equal(3 * (256 + 128 + 64), plan.ScratchLength);
    }

    [Fact]
    public void StreamRec_parameter_offsets_are_contiguous_in_state_dict_order()
    {
        var plan = PlanOf(StreamRec());

        // Weight, bias, gamma, beta of each block, in order, with no gap and no overlap.
        var regions = new List<(string Name, int Offset, int Length)>();
        foreach (var b in plan.Blocks)
        {
            regions.Add((b.Name + ".Weight", b.WeightOffset, b.WeightCount));
            if (b.HasBias) regions.Add((b.Name + ".Bias", b.BiasOffset, b.Units));
            if (b.HasNorm)
            {
                regions.Add((b.Name + ".Gamma", b.GammaOffset, b.Units));
                regions.Add((b.Name + ".Beta", b.BetaOffset, b.Units));
            }
        }
        AssertTiles(regions, plan.ParameterCount);
        Assert.Equal(regions.Select(r => r.Name), regions.OrderBy(r => r.Offset).Select(r => r.Name));
        Assert.Equal(0, plan.Blocks[0].WeightOffset);
        Assert.Equal(128 * 256, plan.Blocks[0].BiasOffset);
        Assert.Equal(-1, plan.Blocks[3].GammaOffset);
    }

    [Fact]
    public void StreamRec_running_statistics_and_workspace_regions_tile_their_buffers()
    {
        var plan = PlanOf(StreamRec());

        var statistics = plan.Blocks.Where(b => b.Norm == NormKind.BatchNorm)
            .SelectMany(b => new[] { (b.Name + ".RunningMean", b.RunningMeanOffset, b.Units), (b.Name + ".RunningVariance", b.RunningVarianceOffset, b.Units) })
            .ToList();
        AssertTiles(statistics, plan.RunningStatisticCount);

        var perRow = plan.Blocks
            .SelectMany(b => new[]
            {
                (b.Name + ".PreActivation", b.PreActivationRowOffset, b.Units),
                (b.Name + ".Output", plan.OutputOf(b).OutputRowOffset, b.Units),
                (b.Name + ".Gradient", plan.OutputOf(b).GradientRowOffset, b.Units),
            }.Concat(b.InverseStdPerRow > 0 ? new[] { (b.Name + ".InverseStd", b.InverseStdRowOffset, b.InverseStdPerRow) } : Array.Empty<(string, int, int)>())
             .Concat(b.HasDropout ? new[] { (b.Name + ".DropoutMask", b.DropoutMaskRowOffset, b.DropoutMaskPerRow) } : Array.Empty<(string, int, int)>()))
            .ToList();
        AssertTiles(perRow, plan.ActivationFloatsPerRow);

        var scratch = plan.Blocks.Where(b => b.Norm == NormKind.BatchNorm).Select(b => (b.Name + ".Scratch", b.ScratchOffset, 3 * b.Units)).ToList();
        AssertTiles(scratch, plan.ScratchLength);
    }

    [Fact]
    public void StreamRec_blocks_keep_their_layers()
    {
        var plan = PlanOf(StreamRec());

        var hidden = plan.Blocks[0];
        Assert.Equal((NormKind.BatchNorm, ActivationKind.Relu, 0.3, true), (hidden.Norm, hidden.Activation, hidden.DropoutRate, hidden.HasBias));
        Assert.Equal((0.1, 1e-5), (hidden.Momentum, hidden.Eps));
        Assert.Equal("Dense(128 → 256), BatchNorm, Relu, Dropout(0.3)", hidden.Description);
        var output = plan.Last;
        Assert.True(output.IsIdentityOutput);
        Assert.Equal("Dense(64 → 1)", output.Description);
    }

    [Fact]
    public void StreamRec_reports_DSL0008_once_per_BatchNorm_block_and_nothing_else()
    {
        var result = NetworkPlanner.Plan(StreamRec());

        Assert.Equal(new[] { "DSL0008", "DSL0008", "DSL0008" }, result.Diagnostics.Select(d => d.Id));
        Assert.Equal(new[] { "Hidden1", "Hidden2", "Hidden3" }, result.Diagnostics.Select(d => d.Arguments[0]));
    }

    [Fact]
    public void Init_Auto_before_Relu_is_He_normal_with_gain_sqrt2()
    {
        var block = PlanOf(Network(4, LossKind.MeanSquaredError, Block("H", Dense(8), Layer(LayerKind.Relu)), Block("O", Dense(1)))).Blocks[0];

        Assert.Equal(InitKind.HeNormal, block.Init);
        Assert.Equal(Math.Sqrt(2), block.InitGain, 12);
    }

    [Fact]
    public void Init_Auto_before_Tanh_is_Xavier_uniform_with_gain_1()
    {
        var block = PlanOf(Network(4, LossKind.MeanSquaredError, Block("H", Dense(8), Layer(LayerKind.Tanh)), Block("O", Dense(1)))).Blocks[0];

        Assert.Equal(InitKind.XavierUniform, block.Init);
        Assert.Equal(1.0, block.InitGain, 12);
    }

    [Fact]
    public void Init_Auto_before_LeakyRelu_uses_the_slope_in_the_gain()
    {
        var leaky = new LeakyReluSpec(null, Slope: 0.2);
        var block = PlanOf(Network(4, LossKind.MeanSquaredError, Block("H", Dense(8), leaky), Block("O", Dense(1)))).Blocks[0];

        Assert.Equal(InitKind.HeNormal, block.Init);
        // torch.nn.init.calculate_gain('leaky_relu', 0.2) = √(2 / (1 + 0.2²)) = √(2 / 1.04)
        Assert.Equal(Math.Sqrt(2 / 1.04), block.InitGain, 12);
        Assert.Equal(0.2, block.Slope);
    }

    [Theory]
    [InlineData("Sigmoid", "XavierUniform", 1.0)]
    [InlineData("Gelu", "HeNormal", 1.4142135623730951)]
    [InlineData("", "XavierUniform", 1.0)]
    public void Init_Auto_follows_the_activation(string activation, string expected, double gain)
    {
        var layers = activation.Length > 0 ? new[] { Dense(8), Layer(Enum.Parse<LayerKind>(activation)) } : new[] { Dense(8) };
        var block = PlanOf(Network(4, LossKind.MeanSquaredError, Block("H", layers), Block("O", Dense(1)))).Blocks[0];

        Assert.Equal(Enum.Parse<InitKind>(expected), block.Init);
        Assert.Equal(gain, block.InitGain, 12);
    }

    [Fact]
    public void Explicit_initializers_are_kept()
    {
        var block = PlanOf(Network(4, LossKind.MeanSquaredError,
            Block("H", Dense(8, init: InitKind.Orthogonal), Layer(LayerKind.Relu)), Block("O", Dense(1, init: InitKind.Zeros)))).Blocks;

        Assert.Equal((InitKind.Orthogonal, Math.Sqrt(2)), (block[0].Init, block[0].InitGain));
        Assert.Equal((InitKind.Zeros, 1.0), (block[1].Init, block[1].InitGain));
    }

    [Fact]
    public void No_bias_BatchNorm_block_has_no_bias_region_and_no_DSL0008()
    {
        var result = NetworkPlanner.Plan(Network(4, LossKind.MeanSquaredError,
            Block("H", Dense(8, bias: false), Layer(LayerKind.BatchNorm), Layer(LayerKind.Relu)), Block("O", Dense(1))));

        Assert.Empty(result.Diagnostics);
        var h = result.Plan!.Blocks[0];
        Assert.Equal((-1, 32, 40), (h.BiasOffset, h.GammaOffset, h.BetaOffset));
        Assert.Equal(4 * 8 + 2 * 8 + 8 * 1 + 1, result.Plan.ParameterCount);
    }

    [Fact]
    public void GroupNorm_and_LayerNorm_keep_inverse_std_per_row()
    {
        var group = new GroupNormSpec(null) { Groups = 4 };
        var plan = PlanOf(Network(4, LossKind.MeanSquaredError,
            Block("G", Dense(8), group), Block("L", Dense(8), Layer(LayerKind.LayerNorm)), Block("O", Dense(1))));

        Assert.Equal((NormKind.GroupNorm, 4, 4), (plan.Blocks[0].Norm, plan.Blocks[0].Groups, plan.Blocks[0].InverseStdPerRow));
        Assert.Equal((NormKind.LayerNorm, 1), (plan.Blocks[1].Norm, plan.Blocks[1].InverseStdPerRow));
        Assert.Equal(0, plan.RunningStatisticCount);
        Assert.Equal(0, plan.ScratchLength);
    }

    [Fact]
    public void An_error_gives_no_plan_but_still_the_diagnostics()
    {
        var result = NetworkPlanner.Plan(Network(4, LossKind.MeanSquaredError, Block("H", Dense(8), Dropout(1.5)), Block("O", Dense(1))));

        Assert.Null(result.Plan);
        Assert.Equal(new[] { "DSL0004" }, result.Diagnostics.Select(d => d.Id));
    }

    [Fact]
    public void Plans_of_equal_specs_are_equal()
    {
        // The incremental pipeline caches on this equality.
        Assert.Equal(NetworkPlanner.Plan(StreamRec()), NetworkPlanner.Plan(StreamRec()));
        Assert.Equal(StreamRec(), StreamRec());
        Assert.Equal(StreamRec().GetHashCode(), StreamRec().GetHashCode());
    }


    [Fact]
    public void A_chain_has_one_consumer_per_value_and_fuses_activation_backward_into_the_next_gemm()
    {
        var plan = PlanOf(Network(4, LossKind.MeanSquaredError, Block("H", Dense(8), Layer(LayerKind.Relu)), Block("O", Dense(1))));

        Assert.Equal(new[] { "Input", "H", "O" }, plan.Values.Select(v => v.Name));
        Assert.All(plan.Values.Take(2), v => Assert.False(v.GradientAccumulates));
        Assert.True(plan.Blocks[0].ActivationBackwardFusedIntoConsumer);
        Assert.Equal(new[] { 0, 1 }, plan.ForwardOrder);
        Assert.Equal(new[] { (BackwardStepKind.GroupBackward, 1), (BackwardStepKind.InputGradient, 1), (BackwardStepKind.GroupBackward, 0) },
            plan.BackwardSchedule.Select(s => (s.Kind, s.Block)));
        Assert.All(plan.BackwardSchedule, s => Assert.False(s.Accumulate));
    }

    [Fact]
    public void A_skip_source_has_two_consumers_its_gradient_accumulates_and_nothing_fuses_into_one_of_them()
    {
        var plan = PlanOf(Network(4, LossKind.MeanSquaredError,
            Block("Stem", Dense(8), Layer(LayerKind.Relu)),
            Block("Branch", Dense(8), Layer(LayerKind.Relu)),
            Block("Unit", Dense(8), Layer(LayerKind.Relu), Add("Stem")),
            Block("O", Dense(1))));

        var stem = plan.Values.Single(v => v.Name == "Stem");
        Assert.Equal(new[] { 1, 2 }, stem.Consumers);
        Assert.True(stem.GradientAccumulates);
        Assert.False(plan.Blocks[0].ActivationBackwardFusedIntoConsumer); // Stem: two consumers
        Assert.True(plan.Blocks[1].ActivationBackwardFusedIntoConsumer);  // Branch: read by Unit only
        Assert.False(plan.Blocks[2].ActivationBackwardFusedIntoConsumer); // Unit: the add needs its raw output gradient

        // Unit's skip gradient writes Stem's gradient first; Branch's input gradient then adds to it.
        var steps = plan.BackwardSchedule.Select(s => (s.Kind, s.Block, s.Accumulate)).ToList();
        Assert.Equal(new[]
        {
            (BackwardStepKind.GroupBackward, 3, false), (BackwardStepKind.InputGradient, 3, false),
            (BackwardStepKind.SkipGradient, 2, false), (BackwardStepKind.GroupBackward, 2, false), (BackwardStepKind.InputGradient, 2, false),
            (BackwardStepKind.GroupBackward, 1, false), (BackwardStepKind.InputGradient, 1, true),
            (BackwardStepKind.GroupBackward, 0, false),
        }, steps);
    }

    [Fact]
    public void A_projection_gets_its_own_weight_and_shortcut_value()
    {
        var plan = PlanOf(Network(4, LossKind.MeanSquaredError,
            Block("Stem", Dense(8), Layer(LayerKind.Relu)),
            Block("Down", Dense(6), Layer(LayerKind.BatchNorm), Layer(LayerKind.Relu), Add("Stem", projection: true)),
            Block("O", Dense(1))));

        var down = plan.Blocks[1];
        Assert.True(down.HasProjection);
        Assert.Equal(8, down.Add!.SkipWidth);
        Assert.Equal(plan.Blocks.Sum(b => b.ParameterCount), plan.ParameterCount);
        Assert.Equal(4 * 8 + 8 + 8 * 6 + 6 + 2 * 6 + 6 * 8 + 6 * 1 + 1, plan.ParameterCount);
        Assert.Equal("DownShortcut", plan.Values[down.Add.ProjectionValue].Name);
    }

    [Fact]
    public void Each_blocks_parameter_gradients_are_final_after_its_last_writing_step_and_its_parameters_are_one_range()
    {
        var plan = PlanOf(Network(4, LossKind.MeanSquaredError,
            Block("Stem", Dense(8), Layer(LayerKind.Relu)),
            Block("Down", Dense(6), Layer(LayerKind.BatchNorm), Layer(LayerKind.Relu), Add("Stem", projection: true)),
            Block("O", Dense(1))));

        // One mark per block, in backward order, on its own backward (after a projection's skip step has written the
        // shortcut weight's gradient): data parallelism starts each block's allreduce there.
        var finals = plan.BackwardSchedule.Where(s => s.ParameterGradientsFinal).Select(s => (s.Kind, s.Block)).ToList();
        Assert.Equal(new[] { (BackwardStepKind.GroupBackward, 2), (BackwardStepKind.GroupBackward, 1), (BackwardStepKind.GroupBackward, 0) }, finals);
        var down = plan.BackwardSchedule.ToList().FindIndex(s => s.Block == 1 && s.ParameterGradientsFinal);
        Assert.Equal(BackwardStepKind.SkipGradient, plan.BackwardSchedule[down - 1].Kind);

        // The ranges tile the parameter buffer with no gap: the hook hands over every gradient exactly once.
        var offset = 0;
        foreach (var block in plan.Blocks)
        {
            Assert.Equal(offset, block.ParameterOffset);
            offset += block.ParameterCount;
        }
        Assert.Equal(plan.ParameterCount, offset);
    }

    [Theory]
    [InlineData(1, true, 1.0)]  // ZeroLastNorm with a norm: γ = 0, weight as usual
    [InlineData(1, false, 0.0)] // ZeroLastNorm without one: the weight starts at zero (Fixup)
    [InlineData(2, false, 0.5)] // Gpt2Scaled, two residual units: 1/√(2·2)
    public void Residual_init_options_mark_only_the_residual_branches(int initValue, bool withNorm, double scale)
    {
        var init = (ResidualInitKind)initValue;
        LayerSpec[] Unit(string from) => withNorm
            ? new[] { Dense(8), Layer(LayerKind.BatchNorm), Layer(LayerKind.Relu), Add(from) }
            : new[] { Dense(8), Layer(LayerKind.Relu), Add(from) };
        var spec = Network(4, LossKind.MeanSquaredError, Block("Stem", Dense(8), Layer(LayerKind.Relu)),
            Block("U1", Unit("Stem")), Block("U2", Unit("U1")), Block("O", Dense(1))) with { ResidualInit = init };
        var plan = PlanOf(spec);

        Assert.Equal(new[] { 1.0, scale, scale, 1.0 }, plan.Blocks.Select(b => b.Dense.InitScale));
        Assert.Equal(new[] { false, withNorm && init == ResidualInitKind.ZeroLastNorm, withNorm && init == ResidualInitKind.ZeroLastNorm, false },
            plan.Blocks.Select(b => b.NormOp?.ZeroInitGamma ?? false));
    }

    [Fact]
    public void A_pre_activation_block_normalizes_its_input_before_the_dense_and_its_input_gradient_runs_through_it()
    {
        var plan = PlanOf(Network(4, LossKind.MeanSquaredError,
            Block("In", Layer(LayerKind.LayerNorm), Dense(8)),
            Block("Stem", Dense(8), Layer(LayerKind.Relu)),
            Block("Unit", Layer(LayerKind.BatchNorm), Layer(LayerKind.Relu), Dense(8), Add("Stem")),
            Block("O", Dense(1))));

        var unit = plan.Blocks[2];
        Assert.Equal(NormKind.BatchNorm, unit.InputNorm!.Norm.Kind);
        Assert.Equal(ActivationKind.Relu, unit.InputNorm.Activation.Kind);
        Assert.Equal(ActivationKind.Identity, unit.Activation); // the Dense's output goes straight into the add
        Assert.False(unit.HasNorm);
        Assert.Equal("BatchNorm, Relu, Dense(8 → 8), + Stem", unit.Description);

        // γ and β of the input normalization (the input's width) open the block's range, as in the module's state_dict.
        Assert.Equal(unit.ParameterOffset, unit.InputNorm.Norm.GammaOffset);
        Assert.Equal(unit.InputNorm.Norm.GammaOffset + 8, unit.InputNorm.Norm.BetaOffset);
        Assert.Equal(unit.InputNorm.Norm.BetaOffset + 8, unit.WeightOffset);
        Assert.Equal(2 * 8 + 8 * 8 + 8, unit.ParameterCount);
        Assert.Equal(plan.Blocks.Sum(b => b.ParameterCount), plan.ParameterCount);
        Assert.Equal(2 * 8, plan.RunningStatisticCount);
        Assert.Equal(3 * 8, plan.ScratchLength);

        // Stem's activation backward cannot run in Unit's input-gradient GEMM: that GEMM writes the normalization's gradient.
        Assert.False(plan.Blocks[1].ActivationBackwardFusedIntoConsumer);
        var steps = plan.BackwardSchedule.Select(s => (s.Kind, s.Block, s.Accumulate, s.ParameterGradientsFinal)).ToList();
        Assert.Equal(new[]
        {
            (BackwardStepKind.GroupBackward, 3, false, true), (BackwardStepKind.InputGradient, 3, false, false),
            (BackwardStepKind.SkipGradient, 2, false, false), (BackwardStepKind.GroupBackward, 2, false, false),
            (BackwardStepKind.InputGradient, 2, true, true), // adds to Stem's gradient after the skip; writes γ and β
            (BackwardStepKind.GroupBackward, 1, false, true), (BackwardStepKind.InputGradient, 1, false, false),
            (BackwardStepKind.GroupBackward, 0, false, false),
            (BackwardStepKind.InputGradient, 0, false, true), // the network input has no gradient, but In's γ and β do
        }, steps);

        var offset = 0;
        foreach (var block in plan.Blocks)
        {
            Assert.Equal(offset, block.ParameterOffset);
            offset += block.ParameterCount;
        }
        Assert.Equal(plan.ParameterCount, offset);
    }

    [Fact]
    public void Zero_last_norm_zeroes_a_pre_activation_branchs_dense_weight_not_its_input_normalization()
    {
        var spec = Network(4, LossKind.MeanSquaredError, Block("Stem", Dense(8)),
            Block("Unit", Layer(LayerKind.BatchNorm), Layer(LayerKind.Relu), Dense(8), Add("Stem")), Block("O", Dense(1)))
            with { ResidualInit = ResidualInitKind.ZeroLastNorm };
        var plan = PlanOf(spec);

        Assert.Equal(0.0, plan.Blocks[1].Dense.InitScale);
        Assert.False(plan.Blocks[1].InputNorm!.Norm.ZeroInitGamma);
    }

    [Fact]
    public void A_skip_to_an_earlier_block_that_failed_to_plan_adds_no_second_diagnostic()
    {
        var result = NetworkPlanner.Plan(Network(4, LossKind.MeanSquaredError,
            Block("Bad", Dense(-8)), Block("Unit", Dense(8), Add("Bad")), Block("O", Dense(1))));

        Assert.Null(result.Plan);
        Assert.Equal(new[] { "DSL0003" }, result.Diagnostics.Select(d => d.Id));
    }

    /// <summary>The regions, sorted by offset, cover [0, length) exactly: each starts where the previous ended.</summary>
    private static void AssertTiles(IEnumerable<(string Name, int Offset, int Length)> regions, int length)
    {
        var end = 0;
        foreach (var (name, offset, count) in regions.OrderBy(r => r.Offset))
        {
            Assert.True(offset == end, $"{name} starts at {offset}, expected {end} (gap or overlap).");
            Assert.True(count > 0, $"{name} is empty.");
            end = offset + count;
        }
        Assert.Equal(length, end);
    }
}

/// <summary>The registry is the one list of layer kinds: every kind the parser can produce has its descriptor there.</summary>
public sealed class LayerRegistryTests
{
    [Fact]
    public void Every_layer_kind_has_exactly_one_descriptor_of_its_own_kind()
    {
        foreach (var kind in Enum.GetValues<DslNet.Generator.Parsing.LayerKind>())
        {
            var descriptor = DslNet.Generator.Layers.LayerRegistry.Of(kind);
            Assert.Equal(kind, descriptor.Kind);
            Assert.Single(DslNet.Generator.Layers.LayerRegistry.All, d => d.Kind == kind);
        }
    }
}
