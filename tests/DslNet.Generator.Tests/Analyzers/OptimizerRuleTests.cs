using Microsoft.CodeAnalysis;
using static DslNet.Generator.Tests.Analyzers.AnalyzerHarness;
using static DslNet.Generator.Tests.Analyzers.TrainingSource;

namespace DslNet.Generator.Tests.Analyzers;

/// <summary>DSL2001–DSL2006: positive and negative cases, located on the offending call.</summary>
public sealed class OptimizerRuleTests
{
    private const string Loop = """
        for (var epoch = 0; epoch < epochs; epoch++)
            foreach (var batch in train.Batches(512, shuffle: true))
            {
                model.TrainStep(batch.Features, batch.Labels);
                optimizer.Step();
            }
        """;

    // ------------------------------------------------------------------ DSL2001, DSL2002

    [Fact]
    public void DSL2001_adam_with_weight_decay()
    {
        var diagnostic = Single(Method("var adam = {|new Adam(model.Parameters, lr: 1e-3, weightDecay: 1e-4)|};"), "DSL2001");
        Assert.Contains("AdamW", diagnostic.GetMessage());
        Assert.Contains("1e-2", diagnostic.GetMessage());
        Assert.Contains("1e-4", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL2001_not_for_adam_without_decay_or_adamw() =>
        None(Method("""
            var a = new Adam(model.Parameters, lr: 1e-3);
            var b = new Adam(model.Parameters, lr: 1e-3, weightDecay: 0);
            var c = new AdamW(model.Parameters, lr: 1e-3, weightDecay: 1e-2);
            var d = new AdamW(model.Parameters, lr: 1e-3, weightDecay: 0);
            """));

    [Fact]
    public void DSL2002_adamw_with_an_l2_sized_decay() =>
        Single(Method("var adamw = {|new AdamW(model.Parameters, lr: 1e-3, weightDecay: 1e-5)|};"), "DSL2002", DiagnosticSeverity.Info);

    // ------------------------------------------------------------------ DSL2003

    [Fact]
    public void DSL2003_clip_before_unscale()
    {
        var diagnostic = Single(Method("""
            var scaler = new GradScaler();
            foreach (var batch in train.Batches(512, shuffle: true))
            {
                model.TrainStep(batch.Features, batch.Labels, scaler.Scale);
                {|GradClip.ByNorm(model.Gradients, 1.0)|};
                scaler.Unscale(optimizer);
                scaler.Step(optimizer);
                scaler.Update();
            }
            """), "DSL2003");
        Assert.Contains("loss scale", diagnostic.GetMessage());
        Assert.Equal("MoveUnscale", diagnostic.Properties["Fix"]);
    }

    [Fact]
    public void DSL2003_clip_with_a_scaler_and_no_unscale_offers_to_insert_it()
    {
        var diagnostic = Single(Method("""
            var scaler = new GradScaler();
            foreach (var batch in train.Batches(512, shuffle: true))
            {
                model.TrainStep(batch.Features, batch.Labels, scaler.Scale);
                {|GradClip.ByValue(model.Gradients, 0.5)|};
                scaler.Step(optimizer);
                scaler.Update();
            }
            """), "DSL2003");
        Assert.Equal("InsertUnscale", diagnostic.Properties["Fix"]);
        Assert.Equal("scaler", diagnostic.Properties["Scaler"]);
        Assert.Equal("optimizer", diagnostic.Properties["Optimizer"]);
    }

    [Fact]
    public void DSL2003_clip_after_the_optimizer_step() =>
        Single(Method("""
            foreach (var batch in train.Batches(512, shuffle: true))
            {
                model.TrainStep(batch.Features, batch.Labels);
                optimizer.Step();
                {|GradClip.ByNorm(model.Gradients, 1.0)|};
            }
            """), "DSL2003");

    [Fact]
    public void DSL2003_not_for_the_documented_order() =>
        None(Method("""
            var scaler = new GradScaler();
            foreach (var batch in train.Batches(512, shuffle: true))
            {
                model.TrainStep(batch.Features, batch.Labels, scaler.Scale);
                scaler.Unscale(optimizer);
                GradClip.ByNorm(model.Gradients, 1.0);
                scaler.Step(optimizer);
                scaler.Update();
            }
            foreach (var batch in train.Batches(512, shuffle: true))
            {
                model.TrainStep(batch.Features, batch.Labels);
                var norm = GradClip.ByNorm(model.Gradients, 1.0);
                optimizer.Step();
            }
            """));

    // ------------------------------------------------------------------ DSL2004

    [Fact]
    public void DSL2004_summed_micro_batch_losses_used_as_the_batch_loss()
    {
        var diagnostic = Single(Method("""
            var accumulator = new GradientAccumulator(model.Parameters, steps: 4);
            var losses = new System.Collections.Generic.List<double>();
            var loss = 0.0;
            foreach (var batch in train.Batches(128, shuffle: true))
            {
                loss += model.TrainStep(batch.Features, batch.Labels);
                if (!accumulator.Add()) continue;
                optimizer.Step();
                losses.Add({|loss|});
                loss = 0;
            }
            """), "DSL2004");
        Assert.Contains("divide it by 4", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL2004_with_a_modulo_branch() =>
        Single(Method("""
            float sum = 0;
            var i = 0;
            foreach (var batch in train.Batches(128, shuffle: true))
            {
                sum += model.TrainStep(batch.Features, batch.Labels);
                if (++i % 8 == 0)
                {
                    optimizer.Step();
                    Console.WriteLine({|sum|});
                    sum = 0;
                }
            }
            """), "DSL2004");

    [Fact]
    public void DSL2004_not_when_averaged_or_without_accumulation() =>
        None(Method("""
            var accumulator = new GradientAccumulator(model.Parameters, steps: 4);
            var loss = 0.0;
            foreach (var batch in train.Batches(128, shuffle: true))
            {
                loss += model.TrainStep(batch.Features, batch.Labels);
                if (!accumulator.Add()) continue;
                optimizer.Step();
                Console.WriteLine(loss / 4);
                loss = 0;
            }
            var epochLoss = 0.0;
            foreach (var batch in train.Batches(128, shuffle: true))
            {
                epochLoss += model.TrainStep(batch.Features, batch.Labels);
                optimizer.Step();
            }
            Console.WriteLine(epochLoss);
            """));

    // ------------------------------------------------------------------ DSL2005

    [Fact]
    public void DSL2005_optimizer_stepped_without_train_step() =>
        Single(Method("""
            model.TrainStep(train.Features, train.Labels);
            for (var step = 0; step < 100; step++)
                {|optimizer.Step()|};
            """), "DSL2005");

    [Fact]
    public void DSL2005_with_early_stopping_and_accumulator_present() =>
        Single(Method("""
            var stopping = new EarlyStopping(patience: 3);
            var accumulator = new GradientAccumulator(model.Parameters, steps: 2);
            model.TrainStep(train.Features, train.Labels);
            foreach (var batch in train.Batches(128, shuffle: true))
            {
                if (!accumulator.Add()) continue;
                {|optimizer.Step()|};
            }
            """), "DSL2005");

    [Fact]
    public void DSL2005_not_when_a_helper_or_hand_written_gradients_feed_the_step() =>
        None(Method("""
            for (var step = 0; step < 10; step++)
            {
                Backward(model, train);
                optimizer.Step();
            }
            for (var step = 0; step < 10; step++)
            {
                model.Gradients.Span[0] = 1f;
                optimizer.Step();
            }
            """ + Loop, extraMembers: "private static void Backward(Net model, DataSet data) => model.TrainStep(data.Features, data.Labels);"));

    [Fact]
    public void DSL2005_not_when_a_device_data_set_runs_the_train_step() =>
        None(Method("""
            using var data = new DslNet.Devices.DeviceDataSet(train, model);
            foreach (var batch in data.Batches(64, shuffle: true))
            {
                data.TrainStep(batch);
                optimizer.Step();
            }
            """));

    // ------------------------------------------------------------------ DSL2006

    [Fact]
    public void DSL2006_train_step_in_a_validation_loop()
    {
        var diagnostic = Single(Method("""
            var valLoss = 0.0;
            foreach (var batch in val.Batches(512, shuffle: false))
                valLoss += {|model.TrainStep(batch.Features, batch.Labels)|};
            """), "DSL2006");
        Assert.Contains("EvaluateLoss", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL2006_train_step_in_an_evaluate_method() =>
        Single(Method("", extraMembers: """
            public static float EvaluateModel(Net model, DataSet data) => {|model.TrainStep(data.Features, data.Labels)|};
            """), "DSL2006");

    [Fact]
    public void DSL2006_train_step_on_the_test_set() =>
        Single(Method("""
            var (trainSet, testSet) = train.Split(0.2, seed: 1);
            var loss = {|model.TrainStep(testSet.Features, testSet.Labels)|};
            """), "DSL2006");

    [Fact]
    public void DSL2006_not_for_evaluate_loss_or_training_data() =>
        None(Method("""
            var interval = train;
            foreach (var batch in interval.Batches(512, shuffle: true))
            {
                model.TrainStep(batch.Features, batch.Labels);
                optimizer.Step();
            }
            foreach (var batch in val.Batches(512, shuffle: false))
                model.EvaluateLoss(batch.Features, batch.Labels);
            """));
}
