using System.Text.Json;

namespace DslNet.Runtime.Tests;

/// <summary>
/// OneCycleLR against torch.optim.lr_scheduler.OneCycleLR. The reference lists, for each step i from 0, the
/// learning rate (and momentum or β1) the optimizer holds when it takes step i: index 0 is the value right after
/// construction, before any scheduler step.
/// </summary>
public sealed class OneCycleLRTests
{
    private const double Relative = 1e-9;

    public static TheoryData<int> OneCycleCases()
    {
        var data = new TheoryData<int>();
        var cases = ReferenceData.Load("schedulers.json").GetProperty("cases").EnumerateArray().ToArray();
        for (var i = 0; i < cases.Length; i++)
            if (cases[i].GetProperty("name").GetString() == "one_cycle")
                data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(OneCycleCases))]
    public void Matches_pytorch_learning_rate_and_momentum_at_every_step(int caseIndex)
    {
        var reference = ReferenceData.Load("schedulers.json").GetProperty("cases")[caseIndex];
        var usesAdam = reference.GetProperty("optimizer").GetString() == "adam";
        var parameters = Buffers.Parameters(new float[3]);
        Optimizer optimizer = usesAdam ? new Adam(parameters) : new Sgd(parameters, lr: 0.1, momentum: 0.9);
        var scheduler = new OneCycleLR(
            optimizer,
            maxLr: reference.GetProperty("max_lr").GetDouble(),
            totalSteps: reference.GetProperty("total_steps").GetInt32(),
            pctStart: reference.GetProperty("pct_start").GetDouble(),
            divFactor: reference.GetProperty("div_factor").GetDouble(),
            finalDivFactor: reference.GetProperty("final_div_factor").GetDouble(),
            annealStrategy: reference.GetProperty("anneal_strategy").GetString() == "cos" ? AnnealStrategy.Cos : AnnealStrategy.Linear,
            threePhase: reference.GetProperty("three_phase").GetBoolean(),
            baseMomentum: reference.GetProperty("base_momentum").GetDouble(),
            maxMomentum: reference.GetProperty("max_momentum").GetDouble());

        var expectedLr = reference.GetProperty("lr").Doubles();
        var expectedMomentum = reference.GetProperty(usesAdam ? "beta1" : "momentum").Doubles();
        Assert.Equal(reference.GetProperty("total_steps").GetInt32(), expectedLr.Length);
        for (var step = 0; step < expectedLr.Length; step++)
        {
            Assert.Equal(step, scheduler.LastStep);
            Tolerance.AssertClose(expectedLr[step], optimizer.LearningRate, Relative, $"lr at step {step}");
            Tolerance.AssertClose(expectedMomentum[step], optimizer.Momentum, Relative, $"momentum at step {step}");
            Assert.Equal(optimizer.LearningRate, scheduler.LearningRate);
            if (step < expectedLr.Length - 1) scheduler.Step();
        }
    }

    [Fact]
    public void Matches_the_learning_rates_of_the_tiny_mlp_training_run()
    {
        var expected = ReferenceData.Load("tiny_mlp_training.json").GetProperty("lr_per_step").Doubles();
        var optimizer = new AdamW(Buffers.Parameters(new float[3]), lr: 1e-2, weightDecay: 1e-2);
        var scheduler = new OneCycleLR(optimizer, maxLr: 1e-2, totalSteps: 20, pctStart: 0.3);

        var actual = new List<double>();
        for (var step = 0; step < expected.Length; step++)
        {
            actual.Add(optimizer.LearningRate);   // the rate this batch's optimizer step uses
            optimizer.Step();
            scheduler.Step();
        }

        Tolerance.AssertClose(expected, actual, Relative, "lr_per_step");
    }

    [Fact]
    public void Allows_total_steps_steps_then_throws_with_pytorchs_message()
    {
        var optimizer = new Sgd(Buffers.Parameters(new float[1]), lr: 0.1, momentum: 0.9);
        var scheduler = new OneCycleLR(optimizer, maxLr: 0.1, totalSteps: 10);
        for (var i = 0; i < 10; i++) scheduler.Step();   // one per batch, as in the training loop
        Assert.Equal(10, scheduler.LastStep);

        var error = Assert.Throws<InvalidOperationException>(scheduler.Step);
        // PyTorch counts the implicit step of the constructor: the 11th explicit step is its 12th.
        Assert.Equal("Tried to step 12 times. The specified number of total steps is 10", error.Message);
        Assert.Equal(10, scheduler.LastStep);
    }

    [Fact]
    public void The_last_allowed_step_of_a_linear_cycle_gives_the_optimizer_zero_not_a_negative_rate()
    {
        // Past the final phase the linear anneal extrapolates below zero (PyTorch applies that rate as it is).
        var optimizer = new Sgd(Buffers.Parameters(new float[1]), lr: 0.1, momentum: 0.9);
        var scheduler = new OneCycleLR(optimizer, maxLr: 0.1, totalSteps: 1000, annealStrategy: AnnealStrategy.Linear);
        for (var i = 0; i < 1000; i++) scheduler.Step();

        Assert.True(scheduler.LearningRate < 0, $"expected PyTorch's extrapolated value, got {scheduler.LearningRate}");
        Assert.Equal(0.0, optimizer.LearningRate);
    }

    [Fact]
    public void Constructor_sets_the_initial_rate_and_maximum_momentum()
    {
        var optimizer = new Sgd(Buffers.Parameters(new float[1]), lr: 123, momentum: 0);
        var scheduler = new OneCycleLR(optimizer, maxLr: 0.5, totalSteps: 100, annealStrategy: AnnealStrategy.Linear);
        Assert.Equal(0.5 / 25, optimizer.LearningRate);
        Assert.Equal(0.95, optimizer.Momentum);
        Assert.Equal(0, scheduler.LastStep);
        Assert.Equal(0.5 / 25 / 1e4, scheduler.ValuesAt(99).LearningRate, 15);
        Assert.Equal(0.5, scheduler.ValuesAt(29).LearningRate, 15);   // the peak is at pctStart·total − 1
    }

    [Fact]
    public void Leaves_momentum_alone_when_not_cycling()
    {
        var optimizer = new Adam(Buffers.Parameters(new float[1]), beta1: 0.8);
        var scheduler = new OneCycleLR(optimizer, maxLr: 0.01, totalSteps: 5, cycleMomentum: false);
        scheduler.Step();
        Assert.Equal(0.8, optimizer.Momentum);
    }

    [Theory]
    [InlineData(0, 0.3, 0.1, "totalSteps")]
    [InlineData(-5, 0.3, 0.1, "totalSteps")]
    [InlineData(10, -0.1, 0.1, "pctStart")]
    [InlineData(10, 1.5, 0.1, "pctStart")]
    [InlineData(10, double.NaN, 0.1, "pctStart")]
    [InlineData(10, 0.3, 0.0, "maxLr")]
    [InlineData(10, 0.3, -1.0, "maxLr")]
    public void Rejects_invalid_arguments(int totalSteps, double pctStart, double maxLr, string parameter)
    {
        var optimizer = new Sgd(Buffers.Parameters(new float[1]), lr: 0.1);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new OneCycleLR(optimizer, maxLr, totalSteps, pctStart));
        Assert.Equal(parameter, error.ParamName);
        Assert.Contains(parameter, error.Message);
    }
}
