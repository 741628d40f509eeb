using DslNet.Generator.Common;
using DslNet.Generator.Layers;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;
using DslNet.Generator.Planning.Spatial;
using static DslNet.Generator.Tests.Specs;

namespace DslNet.Generator.Tests;

/// <summary>The spatial planner on its own: shapes through every op, layouts, the backward schedule, initialization.</summary>
public sealed class SpatialPlannerTests
{
    private static NetworkSpec Image(int c, int h, int w, ResidualInitKind residualInit, params BlockSpec[] blocks) =>
        new("Models", "Net", "public", true, true, null, 0, LossKind.CrossEntropy, null, blocks.ToEquatableArray())
        {
            Channels = c, Height = h, Width = w, ResidualInit = residualInit,
        };

    private static SpatialPlan PlanOf(NetworkSpec spec)
    {
        var result = NetworkPlanner.Plan(spec);
        Assert.True(result.SpatialPlan != null, "No plan: " + string.Join(", ", result.Diagnostics.Select(d => d.Id + " " + string.Join("/", d.Arguments))));
        Assert.Null(result.Plan);
        return result.SpatialPlan!;
    }

    private static ValueShape OutputOf(SpatialPlan plan, string block) => plan.Values[plan.Blocks.Single(b => b.Name == block).OutputValue].Shape;

    [Fact]
    public void Shapes_follow_PyTorch_through_strides_padding_dilation_and_pooling()
    {
        var plan = PlanOf(Image(3, 32, 32, ResidualInitKind.Default,
            Block("Strided", Conv(8, 5, stride: 2, padding: 2)),                  // (32 + 4 − 4 − 1) / 2 + 1 = 16
            Block("Dilated", Conv(8, 3, padding: 1, dilation: 2), Layer(LayerKind.Relu)), // 16 + 2 − 4 − 1 + 1 = 14
            Block("Pooled", Pool(LayerKind.MaxPool2d, 2)),                         // 7
            Block("Averaged", Pool(LayerKind.AvgPool2d, 3, stride: 2, padding: 1)), // (7 + 2 − 3) / 2 + 1 = 4
            Block("Depthwise", Conv(8, 3, padding: 1, groups: 8)),
            Block("Head", Layer(LayerKind.Flatten), Dense(10))));

        Assert.Equal(new ValueShape(8, 16, 16), OutputOf(plan, "Strided"));
        Assert.Equal(new ValueShape(8, 14, 14), OutputOf(plan, "Dilated"));
        Assert.Equal(new ValueShape(8, 7, 7), OutputOf(plan, "Pooled"));
        Assert.Equal(new ValueShape(8, 4, 4), OutputOf(plan, "Averaged"));
        Assert.Equal(new ValueShape(8, 4, 4), OutputOf(plan, "Depthwise"));
        Assert.Equal(ValueShape.Features(10), OutputOf(plan, "Head"));
        Assert.Equal(10, plan.OutputSize);
        Assert.Equal(3 * 32 * 32, plan.InputSize);
    }

    [Fact]
    public void A_BatchNorm_group_runs_the_max_pooling_that_tiles_its_only_reader()
    {
        var plan = PlanOf(Image(1, 32, 32, ResidualInitKind.Default,
            Block("Fused", Conv(4, 3, padding: 1, bias: false), Layer(LayerKind.BatchNorm2d), Layer(LayerKind.Relu), Pool(LayerKind.MaxPool2d, 2)), // 16
            Block("Odd", Conv(4, 2, bias: false), Layer(LayerKind.BatchNorm2d), Layer(LayerKind.Relu), Pool(LayerKind.MaxPool2d, 2)),  // 15 → 7
            Block("Dropped", Conv(4, 3, padding: 1, bias: false), Layer(LayerKind.BatchNorm2d), Layer(LayerKind.Relu), Dropout(0.1),
                Pool(LayerKind.MaxPool2d, 1)),
            Block("Visible", Conv(4, 3, padding: 1, bias: false), Layer(LayerKind.BatchNorm2d), Layer(LayerKind.Relu)),
            Block("PoolOnly", Pool(LayerKind.MaxPool2d, 1)),
            Block("Overlapping", Conv(4, 1, bias: false), Layer(LayerKind.BatchNorm2d), Pool(LayerKind.MaxPool2d, 3, stride: 1, padding: 1)),
            Block("Head", Layer(LayerKind.Flatten), Dense(10))));

        var steps = plan.Steps.ToDictionary(s => s.Name);
        var fusion = steps["Fused"].FusedPool;
        Assert.NotNull(fusion);
        Assert.Equal(steps["FusedMaxPool"].Index, fusion!.PoolStep);
        Assert.True(plan.IsFusedPool(steps["FusedMaxPool"]));
        Assert.Equal(new[] { "FusedMaxPool" }, plan.Steps.Where(plan.IsFusedPool).Select(s => s.Name));
        Assert.Single(plan.Steps, s => s.FusedPool != null);

        // The winners' region (the pooled size) is the fusion's own, outside every value's and the gradient scratch.
        var regions = plan.Values.SelectMany(v => new[] { (v.OutputRowOffset, v.Width), (v.GradientRowOffset, v.Width) })
            .Concat(plan.Steps.Select(s => (s.PreRowOffset, s.OutputShape.Size))).Where(r => r.Item1 >= 0);
        Assert.All(regions, r => Assert.True(r.Item1 + r.Item2 <= fusion.WinnersRowOffset || fusion.WinnersRowOffset + 4 * 16 * 16 <= r.Item1));
        Assert.True(fusion.WinnersRowOffset + 4 * 16 * 16 <= plan.GradientScratchRowOffset);
    }

    [Fact]
    public void Convolutions_with_groups_one_and_large_weights_take_the_library_gemm()
    {
        var plan = PlanOf(Image(2, 8, 8, ResidualInitKind.Default,
            Block("Stem", Conv(32, 3, padding: 1)),                         // 576 weights: small
            Block("Down", Conv(32, 3, stride: 2, padding: 1)),              // 9,216, 4×4 output
            Block("Pointwise", Conv(32, 1)),                                // 1,024: eligible, its input rows are the columns
            Block("Grouped", Conv(32, 3, padding: 1, groups: 2)),           // 4,608 but grouped
            Block("Head", Layer(LayerKind.GlobalAvgPool2d), Dense(10))));   // 320: small

        var convs = ConvGemmPlanner.Plan(plan).ToDictionary(c => c.Step.Name);
        Assert.Equal("direct kernel (small weight)", convs["Stem"].WhyDirect);
        Assert.True(convs["Down"].LibraryEligible);
        Assert.True(convs["Down"].ReordersWeight);
        Assert.False(convs["Down"].IsPointwise);
        Assert.Equal(16 * 288, convs["Down"].ColumnsPerRow);
        Assert.True(convs["Pointwise"].LibraryEligible);
        Assert.True(convs["Pointwise"].IsPointwise);
        Assert.False(convs["Pointwise"].ReordersWeight);
        Assert.Equal("direct kernel (groups = 2)", convs["Grouped"].WhyDirect);
        Assert.Equal(144, convs["Grouped"].PatchLength);
        Assert.False(convs.Values.Single(c => !c.Linear.IsConvolution).LibraryEligible);
        Assert.Equal(new[] { GemmRole.Forward, GemmRole.Inference, GemmRole.WeightGradient }, convs["Stem"].Roles);
        Assert.Contains(GemmRole.InputGradient, convs["Down"].Roles);
        Assert.Equal(16 * 288, ConvGemmPlanner.ColumnsPerRow(plan));
        Assert.Equal(9216, ConvGemmPlanner.LargestWeight(plan));
        Assert.Equal(GemmPlanner.CrossoverRows / 16, ConvGemmPlanner.CrossoverImages(plan));   // the fewest output pixels: 4×4
    }

    [Fact]
    public void Conv_weights_are_PyTorch_shaped_in_state_dict_order()
    {
        var plan = PlanOf(Image(4, 8, 8, ResidualInitKind.Default,
            Block("C", Conv(6, 3, groups: 2, bias: true), Layer(LayerKind.BatchNorm2d), Layer(LayerKind.Relu)),
            Block("Head", Layer(LayerKind.GlobalAvgPool2d), Dense(3))));

        Assert.Equal(new[] { "C.Weight", "C.Bias", "C.Gamma", "C.Beta", "Head.Weight", "Head.Bias" }, plan.ParameterTensors.Select(t => t.Name));
        Assert.Equal(new[] { 6, 2, 3, 3 }, plan.ParameterTensors[0].Shape);
        Assert.Equal(new[] { 3, 6 }, plan.ParameterTensors[4].Shape);
        var offset = 0;
        foreach (var tensor in plan.ParameterTensors)
        {
            Assert.Equal(offset, tensor.Offset);
            offset += tensor.Length;
        }
        Assert.Equal(offset, plan.ParameterCount);
        Assert.Equal(new[] { "C.RunningMean", "C.RunningVariance" }, plan.RunningStatisticTensors.Select(t => t.Name));
    }

    [Fact]
    public void A_multichannel_input_is_converted_to_channels_last_once_and_one_channel_is_read_in_place()
    {
        var rgb = PlanOf(Image(3, 8, 8, ResidualInitKind.Default, Block("C", Conv(4, 3)), Block("Head", Layer(LayerKind.Flatten), Dense(2))));
        var gray = PlanOf(Image(1, 8, 8, ResidualInitKind.Default, Block("C", Conv(4, 3)), Block("Head", Layer(LayerKind.Flatten), Dense(2))));

        Assert.Equal(SpatialStepKind.ToChannelsLast, rgb.Steps[0].Kind);
        Assert.Single(rgb.Steps, s => s.Kind == SpatialStepKind.ToChannelsLast);
        Assert.DoesNotContain(gray.Steps, s => s.Kind == SpatialStepKind.ToChannelsLast);
        Assert.Equal(ValuePlan.NetworkInput, gray.Steps[0].Input);
        Assert.Equal(GradientMode.None, gray.Steps[0].InputGradient);
        Assert.DoesNotContain(rgb.BackwardOrder, i => rgb.Steps[i].Kind == SpatialStepKind.ToChannelsLast);
    }

    [Fact]
    public void A_BasicBlock_is_a_group_and_an_add_that_applies_the_relu_and_the_skip_source_accumulates()
    {
        var plan = PlanOf(Image(1, 8, 8, ResidualInitKind.ZeroLastNorm,
            Block("Stem", Conv(4, 3, padding: 1, bias: false), Layer(LayerKind.BatchNorm2d), Layer(LayerKind.Relu)),
            Block("Unit", Conv(4, 3, padding: 1, bias: false), Layer(LayerKind.BatchNorm2d), Add("Stem"), Layer(LayerKind.Relu)),
            Block("Head", Layer(LayerKind.GlobalAvgPool2d), Dense(3))));

        var unit = plan.Steps.Where(s => s.Block == 1).ToList();
        Assert.Equal(new[] { SpatialStepKind.Group, SpatialStepKind.Add }, unit.Select(s => s.Kind));
        Assert.True(unit[0].Norm!.ZeroInitGamma);
        Assert.False(plan.Steps[0].Norm!.ZeroInitGamma);
        // The ReLU runs in the Add's pass; its backward reads the output, so no sum is stored.
        Assert.Equal(ActivationKind.Relu, unit[1].Activation.Kind);
        Assert.Equal(-1, unit[1].PreRowOffset);
        Assert.Equal(unit[1].Output, plan.Blocks[1].OutputValue);

        // The stem's output feeds the unit's convolution and the add: the add's backward runs first and writes, the
        // convolution's input gradient then adds.
        var stem = plan.Blocks[0].OutputValue;
        Assert.Equal(2, plan.Values[stem].Consumers.Count);
        Assert.Equal(GradientMode.Write, unit[1].SkipGradient);
        Assert.Equal(GradientMode.Write, unit[1].InputGradient);
        Assert.Equal(GradientMode.Accumulate, unit[0].InputGradient);
        Assert.True(plan.BackwardOrder.ToList().IndexOf(unit[1].Index) < plan.BackwardOrder.ToList().IndexOf(unit[0].Index));
    }

    [Fact]
    public void An_add_stores_its_sum_for_an_activation_whose_derivative_needs_it_and_leaves_one_before_dropout_alone()
    {
        var plan = PlanOf(Image(1, 8, 8, ResidualInitKind.Default,
            Block("Stem", Conv(4, 3, padding: 1)),
            Block("Smooth", Conv(4, 3, padding: 1), Add("Stem"), Layer(LayerKind.Gelu)),
            Block("Dropped", Conv(4, 3, padding: 1), Add("Smooth"), Layer(LayerKind.Relu), Dropout(0.2)),
            Block("Plain", Conv(4, 3, padding: 1), Add("Dropped")),
            Block("Head", Layer(LayerKind.GlobalAvgPool2d), Dense(3))));

        var smooth = plan.Steps.Single(s => s.Block == 1 && s.Kind == SpatialStepKind.Add);
        Assert.Equal(ActivationKind.GeluExact, smooth.Activation.Kind);
        Assert.True(smooth.PreRowOffset >= 0);
        Assert.DoesNotContain(plan.Values, v => v.OutputRowOffset == smooth.PreRowOffset);

        // A dropout after the activation: the two stay one group after a plain Add.
        var dropped = plan.Steps.Where(s => s.Block == 2).ToList();
        Assert.Equal(new[] { SpatialStepKind.Group, SpatialStepKind.Add, SpatialStepKind.Group }, dropped.Select(s => s.Kind));
        Assert.False(dropped[1].HasActivation);
        Assert.Equal((ActivationKind.Relu, 0.2), (dropped[2].Activation.Kind, dropped[2].DropoutRate));

        var plain = plan.Steps.Single(s => s.Block == 3 && s.Kind == SpatialStepKind.Add);
        Assert.False(plain.HasActivation);
        Assert.Equal(-1, plain.PreRowOffset);
    }

    [Fact]
    public void A_projection_on_an_image_is_a_strided_1x1_conv_and_BatchNorm2d_named_Shortcut()
    {
        var plan = PlanOf(Image(1, 8, 8, ResidualInitKind.Default,
            Block("Stem", Conv(4, 3, padding: 1, bias: false)),
            Block("Down", Conv(6, 3, stride: 2, padding: 1, bias: false), Layer(LayerKind.BatchNorm2d), Add("Stem", projection: true), Layer(LayerKind.Relu)),
            Block("Head", Layer(LayerKind.GlobalAvgPool2d), Dense(3))));

        var shortcut = plan.Steps.Single(s => s.Name == "DownShortcut");
        Assert.Equal((1, 2, false), (shortcut.Linear!.KernelSize, shortcut.Linear.Stride, shortcut.Linear.HasBias));
        Assert.Equal(SpatialNormKind.BatchNorm, shortcut.Norm!.Kind);
        Assert.Equal(new ValueShape(6, 4, 4), shortcut.OutputShape);
        Assert.Contains(plan.ParameterTensors, t => t.Name == "Down.ShortcutWeight" && t.Shape.SequenceEqual(new[] { 6, 4, 1, 1 }));
        Assert.Contains(plan.ParameterTensors, t => t.Name == "Down.ShortcutGamma");
        Assert.Contains(plan.RunningStatisticTensors, t => t.Name == "Down.ShortcutRunningVariance");
    }

    [Fact]
    public void The_pre_activation_form_is_a_norm_group_then_a_conv_group()
    {
        var plan = PlanOf(Image(4, 8, 8, ResidualInitKind.Default,
            Block("Pre", Layer(LayerKind.BatchNorm2d), Layer(LayerKind.Relu), Conv(4, 3, padding: 1)),
            Block("Head", Layer(LayerKind.Flatten), Dense(2))));

        var pre = plan.Steps.Where(s => s.Block == 0 && s.Kind == SpatialStepKind.Group).ToList();
        Assert.Equal(2, pre.Count);
        Assert.Null(pre[0].Linear);
        Assert.Equal(SpatialNormKind.BatchNorm, pre[0].Norm!.Kind);
        Assert.Equal(ActivationKind.Relu, pre[0].Activation.Kind);
        Assert.NotNull(pre[1].Linear);
    }

    [Fact]
    public void Conv_init_resolves_He_before_a_ReLU_and_keeps_the_fan_mode()
    {
        var plan = PlanOf(Image(1, 8, 8, ResidualInitKind.Default,
            Block("C", Conv(4, 3) with { Init = InitSpec.Auto with { Fan = FanKind.Out } }, Layer(LayerKind.Relu)),
            Block("Head", Layer(LayerKind.Flatten), Dense(2))));

        var conv = plan.Steps[0].Linear!;
        Assert.Equal((InitKind.HeNormal, FanKind.Out, 9), (conv.Init, conv.Fan, conv.ReceptiveField));
        Assert.Equal(Math.Sqrt(2.0), conv.InitGain, 12);
        Assert.Equal(InitKind.XavierUniform, plan.Steps[^1].Linear!.Init);
    }

    [Fact]
    public void LayerNorm_on_an_image_has_C_H_W_parameters_and_InstanceNorm_none_by_default()
    {
        var plan = PlanOf(Image(2, 6, 6, ResidualInitKind.Default,
            Block("L", Conv(4, 3), Layer(LayerKind.LayerNorm)),
            Block("I", Layer(LayerKind.InstanceNorm2d), Layer(LayerKind.Flatten), Dense(2))));

        Assert.Contains(plan.ParameterTensors, t => t.Name == "L.Gamma" && t.Shape.SequenceEqual(new[] { 4, 4, 4 }));
        Assert.DoesNotContain(plan.ParameterTensors, t => t.Name.StartsWith("I.", StringComparison.Ordinal) && t.Kind != "Weight" && t.Kind != "Bias");
        Assert.Equal(4, plan.Steps.Single(s => s.Norm?.Kind == SpatialNormKind.InstanceNorm).Norm!.StatisticsPerRow);
    }

    [Fact]
    public void Feature_models_without_image_layers_keep_the_MLP_planner()
    {
        var spec = new NetworkSpec("Models", "Net", "public", true, true, null, 4, LossKind.MeanSquaredError, null,
            new[] { Block("Output", Dense(1)) }.ToEquatableArray());
        var result = NetworkPlanner.Plan(spec);

        Assert.NotNull(result.Plan);
        Assert.Null(result.SpatialPlan);
    }
}
