using Microsoft.CodeAnalysis;
using static DslNet.Generator.Tests.Analyzers.AnalyzerHarness;
using static DslNet.Generator.Tests.Analyzers.TrainingSource;

namespace DslNet.Generator.Tests.Analyzers;

/// <summary>DSL1001–DSL1007: each rule fires on the mistake, at the offending call, and stays silent on the correct loop.</summary>
public sealed class SchedulerRuleTests
{
    private const string CorrectOneCycle = """
        var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: epochs * train.BatchesPerEpoch(512));
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            foreach (var batch in train.Batches(512, shuffle: true, seed: 42, epoch: epoch))
            {
                model.TrainStep(batch.Features, batch.Labels);
                GradClip.ByNorm(model.Gradients, maxNorm: 1.0);
                optimizer.Step();
                schedule.Step();
            }
        }
        """;

    [Fact]
    public void Correct_one_cycle_loop_has_no_diagnostic() => None(Method(CorrectOneCycle));

    // ------------------------------------------------------------------ DSL1001

    [Fact]
    public void DSL1001_one_cycle_stepped_in_the_epoch_loop()
    {
        var diagnostic = Single(Method("""
            var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: epochs * train.BatchesPerEpoch(512));
            for (var epoch = 0; epoch < epochs; epoch++)
            {
                foreach (var batch in train.Batches(512, shuffle: true))
                {
                    model.TrainStep(batch.Features, batch.Labels);
                    optimizer.Step();
                }
                {|schedule.Step()|};
            }
            """), "DSL1001");
        Assert.Contains("once per epoch", diagnostic.GetMessage());
        Assert.Contains("optimizer.Step()", diagnostic.GetMessage());
        Assert.Single(diagnostic.AdditionalLocations);
    }

    [Fact]
    public void DSL1001_warmup_without_a_wrapped_schedule_is_per_batch() =>
        Single(Method("""
            var schedule = new LinearWarmup(optimizer, warmupSteps: 100);
            foreach (var epoch in Enumerable.Range(0, epochs))
            {
                foreach (var batch in train.Batches(64, shuffle: true))
                {
                    model.TrainStep(batch.Features, batch.Labels);
                    optimizer.Step();
                }
                {|schedule.Step()|};
            }
            """), "DSL1001");

    [Fact]
    public void DSL1001_cosine_counted_in_batches_stepped_per_epoch() =>
        Single(Method("""
            var schedule = new CosineAnnealingLR(optimizer, tMax: 1000, unit: ScheduleUnit.Batch);
            for (var epoch = 0; epoch < epochs; epoch++)
            {
                foreach (var batch in train.Batches(64, shuffle: true))
                {
                    model.TrainStep(batch.Features, batch.Labels);
                    optimizer.Step();
                }
                {|schedule.Step()|};
            }
            """), "DSL1001");

    [Fact]
    public void DSL1001_not_for_epoch_schedules_stepped_per_epoch() =>
        None(Method("""
            var cosine = new CosineAnnealingLR(optimizer, tMax: epochs);
            var warm = new LinearWarmup(optimizer, warmupSteps: 2, then: new StepLR(optimizer, stepSize: 10, gamma: 0.5));
            for (var epoch = 0; epoch < epochs; epoch++)
            {
                foreach (var batch in train.Batches(64, shuffle: true))
                {
                    model.TrainStep(batch.Features, batch.Labels);
                    optimizer.Step();
                }
                cosine.Step();
            }
            """));

    // ------------------------------------------------------------------ DSL1002

    [Fact]
    public void DSL1002_total_steps_is_the_epoch_count() =>
        Single(Method("""
            var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, {|totalSteps: epochs|});
            for (var epoch = 0; epoch < epochs; epoch++)
                foreach (var batch in train.Batches(512, shuffle: true))
                {
                    model.TrainStep(batch.Features, batch.Labels);
                    optimizer.Step();
                    schedule.Step();
                }
            """), "DSL1002");

    [Fact]
    public void DSL1002_cosine_tmax_in_epochs_stepped_per_batch() =>
        Single(Method("""
            var schedule = new CosineAnnealingLR(optimizer, {|tMax: epochs|}, unit: ScheduleUnit.Batch);
            for (var epoch = 0; epoch < epochs; epoch++)
                foreach (var batch in train.Batches(512, shuffle: true))
                {
                    model.TrainStep(batch.Features, batch.Labels);
                    optimizer.Step();
                    schedule.Step();
                }
            """), "DSL1002");

    [Fact]
    public void DSL1002_not_when_an_epoch_horizon_is_stepped_per_epoch() =>
        None(Method("""
            var schedule = new CosineAnnealingLR(optimizer, tMax: epochs);
            for (var epoch = 0; epoch < epochs; epoch++)
            {
                foreach (var batch in train.Batches(512, shuffle: true))
                {
                    model.TrainStep(batch.Features, batch.Labels);
                    optimizer.Step();
                }
                schedule.Step();
            }
            """));

    // ------------------------------------------------------------------ DSL1003

    [Fact]
    public void DSL1003_constant_horizon_against_constant_loops()
    {
        var diagnostic = Single(Method("""
            var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, {|totalSteps: 100|});
            for (var epoch = 0; epoch < 5; epoch++)
                for (var step = 0; step < 30; step++)
                {
                    model.TrainStep(train.Features, train.Labels);
                    optimizer.Step();
                    schedule.Step();
                }
            """), "DSL1003");
        Assert.Contains("150 times", diagnostic.GetMessage());
        Assert.Contains("runs out after step 100", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL1003_horizon_counts_another_batch_size()
    {
        var diagnostic = Single(Method("""
            var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, {|totalSteps: epochs * train.BatchesPerEpoch(256)|});
            for (var epoch = 0; epoch < epochs; epoch++)
                foreach (var batch in train.Batches(512, shuffle: true, epoch: epoch))
                {
                    model.TrainStep(batch.Features, batch.Labels);
                    optimizer.Step();
                    schedule.Step();
                }
            """), "DSL1003");
        Assert.Contains("train.BatchesPerEpoch(256)", diagnostic.GetMessage());
        Assert.Contains("train.BatchesPerEpoch(512)", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL1003_not_when_the_horizon_is_the_product_of_the_loops() =>
        None(Method("""
            const int batchSize = 512;
            var perEpoch = train.BatchesPerEpoch(batchSize);
            var total = perEpoch * epochs;
            var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: total);
            for (var epoch = 0; epoch < epochs; epoch++)
                foreach (var batch in train.Batches(batchSize, shuffle: true))
                {
                    model.TrainStep(batch.Features, batch.Labels);
                    optimizer.Step();
                    schedule.Step();
                }
            for (int i = 0; i < 3; i++)
                for (int j = 1; j <= 4; j++) { model.TrainStep(train.Features, train.Labels); optimizer.Step(); }
            """));

    [Fact]
    public void DSL1003_not_when_the_horizon_is_unknown() =>
        None(Method("""
            var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: int.Parse("1000"));
            for (var epoch = 0; epoch < epochs; epoch++)
                foreach (var batch in train.Batches(512, shuffle: true))
                {
                    model.TrainStep(batch.Features, batch.Labels);
                    optimizer.Step();
                    schedule.Step();
                }
            """));

    // ------------------------------------------------------------------ DSL1004

    [Fact]
    public void DSL1004_schedule_stepped_for_every_micro_batch()
    {
        var diagnostic = Single(Method("""
            var accumulator = new GradientAccumulator(model.Parameters, steps: 4);
            var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: epochs * train.BatchesPerEpoch(128) / 4);
            for (var epoch = 0; epoch < epochs; epoch++)
                foreach (var batch in train.Batches(128, shuffle: true))
                {
                    model.TrainStep(batch.Features, batch.Labels);
                    {|schedule.Step()|};
                    if (!accumulator.Add()) continue;
                    optimizer.Step();
                }
            """), "DSL1004");
        Assert.Contains("every micro-batch", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL1004_schedule_outside_a_modulo_branch() =>
        Single(Method("""
            var schedule = new LinearWarmup(optimizer, warmupSteps: 10);
            var micro = 0;
            foreach (var batch in train.Batches(128, shuffle: true))
            {
                model.TrainStep(batch.Features, batch.Labels);
                if (++micro % 4 == 0)
                {
                    optimizer.Step();
                }
                {|schedule.Step()|};
            }
            """), "DSL1004");

    [Fact]
    public void DSL1004_horizon_not_divided_by_the_accumulation_count()
    {
        var diagnostic = Single(Method("""
            var accumulator = new GradientAccumulator(model.Parameters, steps: 4);
            var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, {|totalSteps: epochs * train.BatchesPerEpoch(128)|});
            for (var epoch = 0; epoch < epochs; epoch++)
                foreach (var batch in train.Batches(128, shuffle: true))
                {
                    model.TrainStep(batch.Features, batch.Labels);
                    if (!accumulator.Add()) continue;
                    optimizer.Step();
                    schedule.Step();
                }
            """), "DSL1004");
        Assert.Contains("divide the horizon by 4", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL1004_not_for_the_documented_accumulation_loop() =>
        None(Method("""
            const int steps = 4;
            var accumulator = new GradientAccumulator(model.Parameters, steps);
            var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: epochs * train.BatchesPerEpoch(128) / steps);
            for (var epoch = 0; epoch < epochs; epoch++)
                foreach (var batch in train.Batches(128, shuffle: true))
                {
                    model.TrainStep(batch.Features, batch.Labels);
                    if (!accumulator.Add()) continue;
                    GradClip.ByNorm(model.Gradients, 1.0);
                    optimizer.Step();
                    schedule.Step();
                }
            """));

    // ------------------------------------------------------------------ DSL1005

    [Fact]
    public void DSL1005_scheduler_before_optimizer() =>
        Single(Method("""
            var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: epochs * train.BatchesPerEpoch(512));
            for (var epoch = 0; epoch < epochs; epoch++)
                foreach (var batch in train.Batches(512, shuffle: true))
                {
                    model.TrainStep(batch.Features, batch.Labels);
                    {|schedule.Step()|};
                    optimizer.Step();
                }
            """), "DSL1005");

    [Fact]
    public void DSL1005_not_for_an_epoch_schedule_in_the_outer_loop() =>
        None(Method("""
            var schedule = new StepLR(optimizer, stepSize: 10);
            for (var epoch = 0; epoch < epochs; epoch++)
            {
                schedule.Step();
                foreach (var batch in train.Batches(512, shuffle: true))
                {
                    model.TrainStep(batch.Features, batch.Labels);
                    optimizer.Step();
                }
            }
            """));

    // ------------------------------------------------------------------ DSL1006

    [Fact]
    public void DSL1006_two_schedules_on_one_optimizer() =>
        Single(Method("""
            var warmup = new LinearWarmup(optimizer, warmupSteps: 100);
            var cosine = new CosineAnnealingLR(optimizer, tMax: 1000, unit: ScheduleUnit.Batch);
            for (var epoch = 0; epoch < epochs; epoch++)
                foreach (var batch in train.Batches(512, shuffle: true))
                {
                    model.TrainStep(batch.Features, batch.Labels);
                    optimizer.Step();
                    warmup.Step();
                    {|cosine.Step()|};
                }
            """), "DSL1006");

    [Fact]
    public void DSL1006_not_for_sequential_composition_or_exclusive_branches() =>
        None(Method("""
            var schedule = new SequentialLR(optimizer,
                new ILearningRateScheduler[] { new LinearWarmup(optimizer, 100), new CosineAnnealingLR(optimizer, tMax: 900, unit: ScheduleUnit.Batch) },
                new[] { 100 });
            var warmup = new LinearWarmup(optimizer, warmupSteps: 100);
            var cosine = new CosineAnnealingLR(optimizer, tMax: 1000, unit: ScheduleUnit.Batch);
            var step = 0;
            for (var epoch = 0; epoch < epochs; epoch++)
                foreach (var batch in train.Batches(512, shuffle: true))
                {
                    model.TrainStep(batch.Features, batch.Labels);
                    optimizer.Step();
                    schedule.Step();
                    if (step++ < 100) warmup.Step(); else cosine.Step();
                }
            """));

    // ------------------------------------------------------------------ DSL1007

    [Theory]
    [InlineData("{|pctStart: 1.5|}", "pctStart 1.5 is outside (0, 1)")]
    [InlineData("{|pctStart: 0|}", "pctStart 0 is outside (0, 1)")]
    [InlineData("{|divFactor: 1|}", "divFactor 1 must be greater than 1")]
    [InlineData("{|divFactor: 0.5|}", "divFactor 0.5 must be greater than 1")]
    public void DSL1007_one_cycle_constants(string argument, string message)
    {
        var diagnostic = Single(Method($"var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: 1000, {argument});"),
            "DSL1007", DiagnosticSeverity.Error);
        Assert.Contains(message, diagnostic.GetMessage());
    }

    [Fact]
    public void DSL1007_warmup_as_long_as_the_whole_run() =>
        Single(Method("""
            var schedule = new LinearWarmup(optimizer, {|warmupSteps: 500|});
            for (var epoch = 0; epoch < 10; epoch++)
                for (var step = 0; step < 50; step++)
                {
                    model.TrainStep(train.Features, train.Labels);
                    optimizer.Step();
                    schedule.Step();
                }
            """), "DSL1007", DiagnosticSeverity.Error);

    [Fact]
    public void DSL1007_not_for_usual_constants() =>
        None(Method("""
            var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: 500, pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4);
            var warmup = new LinearWarmup(optimizer, warmupSteps: 25);
            for (var epoch = 0; epoch < 10; epoch++)
                for (var step = 0; step < 50; step++)
                {
                    model.TrainStep(train.Features, train.Labels);
                    optimizer.Step();
                    schedule.Step();
                }
            """));
}
