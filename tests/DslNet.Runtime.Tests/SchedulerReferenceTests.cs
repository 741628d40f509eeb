using System.Text.Json;

namespace DslNet.Runtime.Tests;

/// <summary>
/// StepLR, CosineAnnealingLR, CosineAnnealingWarmRestarts and warmup + cosine against PyTorch (schedulers.json). Each
/// reference lists the rate the optimizer holds for step i, from i = 0 (right after construction).
/// </summary>
public sealed class SchedulerReferenceTests
{
    private const double Relative = 1e-9;

    [Fact]
    public void StepLR_matches_pytorch()
    {
        var reference = Case("step");
        var optimizer = Sgd(reference.GetProperty("base_lr").GetDouble());
        var schedule = new StepLR(optimizer, reference.GetProperty("step_size").GetInt32(), reference.GetProperty("gamma").GetDouble());
        Assert.Equal(ScheduleUnit.Epoch, schedule.Unit);
        AssertSequence(reference.GetProperty("lr").Doubles(), optimizer, schedule);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void CosineAnnealingLR_matches_pytorch_with_and_without_eta_min(int which)
    {
        var reference = Cases("cosine")[which];
        var optimizer = Sgd(reference.GetProperty("base_lr").GetDouble());
        var schedule = new CosineAnnealingLR(optimizer, reference.GetProperty("t_max").GetInt32(), reference.GetProperty("eta_min").GetDouble());
        Assert.Equal(ScheduleUnit.Epoch, schedule.Unit);
        AssertSequence(reference.GetProperty("lr").Doubles(), optimizer, schedule);
    }

    [Fact]
    public void CosineAnnealingWarmRestarts_matches_pytorch()
    {
        var reference = Case("cosine_warm_restarts");
        var optimizer = Sgd(reference.GetProperty("base_lr").GetDouble());
        var schedule = new CosineAnnealingWarmRestarts(optimizer, reference.GetProperty("t_0").GetInt32(),
            reference.GetProperty("t_mult").GetInt32(), reference.GetProperty("eta_min").GetDouble());
        AssertSequence(reference.GetProperty("lr").Doubles(), optimizer, schedule);
        Assert.Equal((0L, 80L), schedule.CycleAt(70));   // restarts at 10, 30, 70: periods 10, 20, 40, 80
    }

    [Fact]
    public void CosineAnnealingWarmRestarts_with_tmult_one_restarts_every_t0()
    {
        var optimizer = Sgd(0.1);
        var schedule = new CosineAnnealingWarmRestarts(optimizer, t0: 7, etaMin: 0.001, unit: ScheduleUnit.Batch);
        Assert.Equal(ScheduleUnit.Batch, schedule.Unit);
        for (var t = 0; t < 30; t++)
        {
            var expected = 0.001 + (0.1 - 0.001) * (1 + Math.Cos(Math.PI * (t % 7) / 7)) / 2;
            Tolerance.AssertClose(expected, optimizer.LearningRate, Relative, $"lr at {t}");
            schedule.Step();
        }
    }

    [Fact]
    public void Linear_warmup_then_cosine_matches_the_reference()
    {
        var reference = Case("warmup_cosine");
        var maxLr = reference.GetProperty("max_lr").GetDouble();
        var warmup = reference.GetProperty("warmup_steps").GetInt32();
        var total = reference.GetProperty("total_steps").GetInt32();
        var optimizer = new AdamW(Buffers.Parameters(new float[3]), lr: maxLr);
        var schedule = new LinearWarmup(optimizer, warmup,
            new CosineAnnealingLR(optimizer, tMax: total - warmup, etaMin: reference.GetProperty("eta_min").GetDouble(), unit: ScheduleUnit.Batch));
        Assert.Equal(ScheduleUnit.Batch, schedule.Unit);
        Assert.Equal(maxLr, schedule.PeakLearningRate);
        AssertSequence(reference.GetProperty("lr").Doubles(), optimizer, schedule);
    }

    [Fact]
    public void SequentialLR_of_warmup_and_cosine_gives_the_same_sequence()
    {
        var reference = Case("warmup_cosine");
        var maxLr = reference.GetProperty("max_lr").GetDouble();
        var warmup = reference.GetProperty("warmup_steps").GetInt32();
        var total = reference.GetProperty("total_steps").GetInt32();
        var optimizer = new AdamW(Buffers.Parameters(new float[3]), lr: maxLr);
        // Built one after another like in PyTorch: the cosine's base is the optimizer's initial rate, not the
        // warmup's step-0 rate (0) that the optimizer holds when the cosine is constructed.
        var schedule = new SequentialLR(optimizer,
            [new LinearWarmup(optimizer, warmup), new CosineAnnealingLR(optimizer, tMax: total - warmup, unit: ScheduleUnit.Batch)],
            milestones: [warmup]);
        AssertSequence(reference.GetProperty("lr").Doubles(), optimizer, schedule);
    }

    [Fact]
    public void SequentialLR_restarts_each_schedule_at_its_milestone_like_pytorch()
    {
        // torch: SequentialLR(opt, [StepLR(opt, 2, 0.5), StepLR(opt, 3, 0.1)], milestones=[5]) with lr 1: the second starts over at 1.
        var optimizer = Sgd(1.0);
        var schedule = new SequentialLR(optimizer, [new StepLR(optimizer, 2, 0.5), new StepLR(optimizer, 3, 0.1)], milestones: [5]);
        double[] expected = [1, 1, 0.5, 0.5, 0.25, 1, 1, 1, 0.1, 0.1, 0.1, 0.01];
        AssertSequence(expected, optimizer, schedule);
    }

    [Fact]
    public void Warmup_without_a_schedule_holds_the_peak()
    {
        var optimizer = Sgd(0.2);
        var schedule = new LinearWarmup(optimizer, 4);
        AssertSequence([0, 0.05, 0.1, 0.15, 0.2, 0.2, 0.2], optimizer, schedule);
    }

    [Fact]
    public void Warmup_before_one_cycle_keeps_the_cycles_momentum_and_horizon()
    {
        var optimizer = new Sgd(Buffers.Parameters(new float[1]), lr: 0.1, momentum: 0.9);
        var reference = new OneCycleLR(new Sgd(Buffers.Parameters(new float[1]), lr: 0.1, momentum: 0.9), maxLr: 0.01, totalSteps: 10);
        var schedule = new LinearWarmup(optimizer, 3, new OneCycleLR(optimizer, maxLr: 0.01, totalSteps: 10));
        Assert.Equal(reference.ValuesAt(0).LearningRate, schedule.PeakLearningRate);   // where the cycle starts: maxLr / 25
        Tolerance.AssertClose(0.01 / 25, schedule.PeakLearningRate, 1e-12, "peak");
        for (var t = 0; t <= 13; t++)
        {
            if (t >= 3)
            {
                var (lr, momentum) = reference.ValuesAt(t - 3);
                Assert.Equal(lr, optimizer.LearningRate);
                Assert.Equal(momentum, optimizer.Momentum);
            }
            else
                Assert.Equal(schedule.PeakLearningRate * t / 3, optimizer.LearningRate);

            if (t < 13) schedule.Step();
        }

        var error = Assert.Throws<InvalidOperationException>(schedule.Step);
        Assert.Contains("total steps is 10", error.Message);
        Assert.Equal(13, schedule.LastStep);
    }

    [Fact]
    public void Compositions_reject_stepped_or_foreign_schedules_and_mixed_units()
    {
        var optimizer = Sgd(0.1);
        var stepped = new StepLR(optimizer, 2);
        stepped.Step();
        Assert.Throws<ArgumentException>(() => new LinearWarmup(optimizer, 5, stepped));
        Assert.Throws<ArgumentException>(() => new LinearWarmup(optimizer, 5, new StepLR(Sgd(0.1), 2)));
        Assert.Throws<ArgumentException>(() => new SequentialLR(optimizer,
            [new LinearWarmup(optimizer, 5), new CosineAnnealingLR(optimizer, 10)], [5]));   // Batch then Epoch
        Assert.Throws<ArgumentException>(() => new SequentialLR(optimizer, [new StepLR(optimizer, 2), new StepLR(optimizer, 2)], []));
    }

    [Fact]
    public void One_cycle_is_a_batch_schedule_and_every_epoch_schedule_says_so()
    {
        Assert.Equal(ScheduleUnit.Batch, new OneCycleLR(Sgd(0.1), 0.1, 10).Unit);
        Assert.Equal(ScheduleUnit.Epoch, new StepLR(Sgd(0.1), 10).Unit);
        Assert.Equal(ScheduleUnit.Batch, new CosineAnnealingLR(Sgd(0.1), 10, unit: ScheduleUnit.Batch).Unit);
        Assert.Equal(ScheduleUnit.Batch, new LinearWarmup(Sgd(0.1), 10).Unit);
    }

    public static TheoryData<string> Schedules() => new() { "step", "cosine", "restarts", "one_cycle", "warmup", "sequential" };

    [Theory]
    [MemberData(nameof(Schedules))]
    public void Saved_and_loaded_schedule_continues_exactly(string kind)
    {
        var (optimizer, schedule) = Build(kind);
        for (var i = 0; i < 17; i++) schedule.Step();
        var saved = new StateWriter();
        schedule.SaveState(saved);

        var (restoredOptimizer, restored) = Build(kind);
        restoredOptimizer.LearningRate = 123;   // the load must put the schedule's rate back
        restored.LoadState(new StateReader(saved, kind));
        Assert.Equal(schedule.LastStep, restored.LastStep);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(optimizer.LearningRate, restoredOptimizer.LearningRate);
            Assert.Equal(optimizer.Momentum, restoredOptimizer.Momentum);
            Assert.Equal(schedule.LearningRate, restored.LearningRate);
            schedule.Step();
            restored.Step();
        }
    }

    [Fact]
    public void Loading_into_a_different_schedule_throws()
    {
        var saved = new StateWriter();
        new StepLR(Sgd(0.1), stepSize: 30).SaveState(saved);
        var error = Assert.Throws<InvalidDataException>(() => new StepLR(Sgd(0.1), stepSize: 10).LoadState(new StateReader(saved, "test")));
        Assert.Contains("step_size", error.Message);
        Assert.Throws<InvalidDataException>(() => new CosineAnnealingLR(Sgd(0.1), 30).LoadState(new StateReader(saved, "test")));
    }

    private static (Optimizer, ILearningRateScheduler) Build(string kind)
    {
        var optimizer = new Sgd(Buffers.Parameters(new float[2]), lr: 0.1, momentum: 0.9);
        ILearningRateScheduler schedule = kind switch
        {
            "step" => new StepLR(optimizer, 5, 0.5),
            "cosine" => new CosineAnnealingLR(optimizer, 25, 1e-4),
            "restarts" => new CosineAnnealingWarmRestarts(optimizer, 3, 2, 1e-5),
            "one_cycle" => new OneCycleLR(optimizer, 0.1, 40, threePhase: true),
            "warmup" => new LinearWarmup(optimizer, 10, new OneCycleLR(optimizer, 0.1, 30)),
            "sequential" => new SequentialLR(optimizer,
                [new LinearWarmup(optimizer, 5), new CosineAnnealingWarmRestarts(optimizer, 4, unit: ScheduleUnit.Batch),
                 new CosineAnnealingLR(optimizer, 50, unit: ScheduleUnit.Batch)],
                [5, 15]),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return (optimizer, schedule);
    }

    private static void AssertSequence(IReadOnlyList<double> expected, Optimizer optimizer, ILearningRateScheduler schedule)
    {
        for (var step = 0; step < expected.Count; step++)
        {
            Assert.Equal(step, schedule.LastStep);
            if (expected[step] == 0)
                Assert.Equal(0.0, optimizer.LearningRate);
            else
                Tolerance.AssertClose(expected[step], optimizer.LearningRate, Relative, $"lr at step {step}");
            Assert.Equal(optimizer.LearningRate, schedule.LearningRate);
            if (step < expected.Count - 1) schedule.Step();
        }
    }

    private static Sgd Sgd(double lr) => new(Buffers.Parameters(new float[1]), lr);

    private static JsonElement Case(string name) => Cases(name).Single();

    private static JsonElement[] Cases(string name) =>
        ReferenceData.Load("schedulers.json").GetProperty("cases").EnumerateArray()
            .Where(c => c.GetProperty("name").GetString() == name).ToArray();
}
