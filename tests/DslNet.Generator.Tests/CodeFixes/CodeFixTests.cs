using System.Collections.Immutable;
using DslNet.CodeFixes;
using DslNet.Generator.Tests.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using static DslNet.Generator.Tests.Analyzers.TrainingSource;

namespace DslNet.Generator.Tests.CodeFixes;

/// <summary>
/// Each code fix applied in an AdhocWorkspace: the fixed source is exactly the expected text, and the analyzers no
/// longer report the diagnostic on it.
/// </summary>
public sealed class CodeFixTests
{
    [Fact]
    public async Task DSL1001_moves_the_schedule_into_the_batch_loop_after_the_optimizer()
    {
        var fixedSource = await ApplyFix(Method("""
            var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: epochs * train.BatchesPerEpoch(512));
                    for (var epoch = 0; epoch < epochs; epoch++)
                    {
                        foreach (var batch in train.Batches(512, shuffle: true))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            Console.WriteLine(optimizer.LearningRate);
                        }
                        schedule.Step(); // the bug
                    }
            """), "DSL1001");

        Assert.Contains("""
                        foreach (var batch in train.Batches(512, shuffle: true))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step(); // the bug
                            Console.WriteLine(optimizer.LearningRate);
                        }
                    }
            """, fixedSource);
    }

    [Fact]
    public async Task DSL1005_moves_the_scheduler_step_after_the_optimizer_step()
    {
        var fixedSource = await ApplyFix(Method("""
            var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: epochs * train.BatchesPerEpoch(512));
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(512, shuffle: true))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            schedule.Step();
                            optimizer.Step();
                        }
            """), "DSL1005");

        Assert.Contains("""
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
            """, fixedSource);
    }

    [Fact]
    public async Task DSL2001_replaces_adam_with_adamw()
    {
        var fixedSource = await ApplyFix(Method("""
            var adam = new Adam(model.Parameters, lr: 1e-3, weightDecay: 1e-2);
                    Adam typed = new DslNet.Adam(model.Parameters, weightDecay: 0.05);
            """), "DSL2001", index: 0);
        Assert.Contains("var adam = new AdamW(model.Parameters, lr: 1e-3, weightDecay: 1e-2);", fixedSource);

        var both = await ApplyFix(fixedSource, "DSL2001");
        Assert.Contains("AdamW typed = new DslNet.AdamW(model.Parameters, weightDecay: 0.05);", both);
    }

    [Fact]
    public async Task DSL2003_moves_the_unscale_in_front_of_the_clip()
    {
        var fixedSource = await ApplyFix(Method("""
            var scaler = new GradScaler();
                    foreach (var batch in train.Batches(512, shuffle: true))
                    {
                        model.TrainStep(batch.Features, batch.Labels, scaler.Scale);
                        GradClip.ByNorm(model.Gradients, 1.0);
                        scaler.Unscale(optimizer);
                        scaler.Step(optimizer);
                        scaler.Update();
                    }
            """), "DSL2003");

        Assert.Contains("""
                        model.TrainStep(batch.Features, batch.Labels, scaler.Scale);
                        scaler.Unscale(optimizer);
                        GradClip.ByNorm(model.Gradients, 1.0);
                        scaler.Step(optimizer);
            """, fixedSource);
    }

    [Fact]
    public async Task DSL2003_inserts_the_unscale_when_there_is_none()
    {
        var fixedSource = await ApplyFix(Method("""
            var scaler = new GradScaler();
                    foreach (var batch in train.Batches(512, shuffle: true))
                    {
                        model.TrainStep(batch.Features, batch.Labels, scaler.Scale);
                        var norm = GradClip.ByNorm(model.Gradients, 1.0);
                        scaler.Step(optimizer);
                        scaler.Update();
                    }
            """), "DSL2003");

        Assert.Contains("""
                        model.TrainStep(batch.Features, batch.Labels, scaler.Scale);
                        scaler.Unscale(optimizer);
                        var norm = GradClip.ByNorm(model.Gradients, 1.0);
            """, fixedSource);
    }

    [Fact]
    public async Task DSL1002_counts_a_constant_epoch_horizon_in_optimizer_steps()
    {
        var fixedSource = await ApplyFix(Method("""
            const int numEpochs = 3;
                    var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: numEpochs);
                    for (var epoch = 0; epoch < numEpochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch, dropLast: true))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
            """), "DSL1002");

        Assert.Contains("new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: numEpochs * train.BatchesPerEpoch(64, dropLast: true));", fixedSource);
    }

    [Fact]
    public async Task DSL1002_offers_no_fix_when_the_data_set_is_not_in_scope_at_the_horizon()
    {
        var source = """
            using DslNet;
            public sealed class Runner
            {
                private readonly AdamW _optimizer;
                private readonly OneCycleLR _schedule;
                public Runner(Net model, int epochs)
                {
                    _optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    _schedule = new OneCycleLR(_optimizer, 1e-3, totalSteps: epochs);
                }
                public void Epoch(Net model, DataSet data)
                {
                    foreach (var batch in data.Batches(32, shuffle: true))
                    {
                        model.TrainStep(batch.Features, batch.Labels);
                        _optimizer.Step();
                        _schedule.Step();
                    }
                }
            }
            """;
        var (document, diagnostics) = await Analyze(source);
        var diagnostic = Assert.Single(diagnostics, d => d.Id == "DSL1002");
        var actions = new List<CodeAction>();
        await new TrainingLoopCodeFixProvider().RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
        Assert.Empty(actions);
    }

    [Fact]
    public async Task DSL2005_moves_a_zero_grad_between_train_step_and_step_after_the_step()
    {
        var fixedSource = await ApplyFix(Method("""
            foreach (var batch in train.Batches(64, shuffle: true))
                    {
                        model.TrainStep(batch.Features, batch.Labels);
                        optimizer.ZeroGrad();
                        optimizer.Step(GradClip.NormCoefficient(model.Gradients, 1.0).Coefficient);
                    }
            """), "DSL2005");

        Assert.Contains("""
                        model.TrainStep(batch.Features, batch.Labels);
                        optimizer.Step(GradClip.NormCoefficient(model.Gradients, 1.0).Coefficient);
                        optimizer.ZeroGrad();
                    }
            """, fixedSource);
    }

    [Fact]
    public async Task DSL3001_turns_on_the_trainers_loss_scaling()
    {
        var fixedSource = await ApplyFix("""
            using DslNet;
            public static class HalfTrainer
            {
                public static TrainingHistory Fit(DataSet train)
                {
                    var model = new Net(1, Device.Cpu, Precision.Fp16);
                    return new Trainer(model, new TrainerOptions { Epochs = 5, LossScaling = false }).Fit(train);
                }
            }
            """, "DSL3001");

        Assert.Contains("new TrainerOptions { Epochs = 5, LossScaling = true }", fixedSource);
    }

    [Fact]
    public async Task DSL1004_moves_a_schedule_stepped_per_micro_batch_next_to_the_optimizer_step()
    {
        var fixedSource = await ApplyFix(Method("""
            var accumulator = new GradientAccumulator(model.Parameters, steps: 4);
                    var schedule = new LinearWarmup(optimizer, warmupSteps: 100);
                    foreach (var batch in train.Batches(16, shuffle: true))
                    {
                        model.TrainStep(batch.Features, batch.Labels, 0.25f);
                        if (accumulator.Add())
                        {
                            optimizer.Step();
                        }
                        schedule.Step();
                    }
            """), "DSL1004");

        Assert.Contains("""
                        if (accumulator.Add())
                        {
                            optimizer.Step();
                            schedule.Step();
                        }
                    }
            """, fixedSource);
    }

    [Fact]
    public async Task DSL1006_builds_the_schedule_on_the_optimizer_nobody_schedules()
    {
        var fixedSource = await ApplyFix(Method("""
            var head = new Net(seed: 2);
                    var headOptimizer = new AdamW(head.Parameters, lr: 1e-3);
                    var total = epochs * train.BatchesPerEpoch(64);
                    var bodySchedule = new OneCycleLR(optimizer, 1e-3, total);
                    var headSchedule = new OneCycleLR(optimizer, 1e-2, total);
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            head.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            headOptimizer.Step();
                            bodySchedule.Step();
                            headSchedule.Step();
                        }
            """), "DSL1006");

        Assert.Contains("var headSchedule = new OneCycleLR(headOptimizer, 1e-2, total);", fixedSource);
        Assert.Contains("var bodySchedule = new OneCycleLR(optimizer, 1e-3, total);", fixedSource);
    }

    [Fact]
    public async Task DSL1006_offers_no_rewrite_when_the_two_schedules_are_phases_of_one_optimizer()
    {
        var source = Method("""
            var warmup = new LinearWarmup(optimizer, warmupSteps: 50);
                    var cosine = new CosineAnnealingLR(optimizer, tMax: epochs * train.BatchesPerEpoch(64), unit: ScheduleUnit.Batch);
                    foreach (var batch in train.Batches(64, shuffle: true))
                    {
                        model.TrainStep(batch.Features, batch.Labels);
                        optimizer.Step();
                        cosine.Step();
                        warmup.Step();
                    }
            """).Replace("\r\n", "\n");
        var (document, diagnostics) = await Analyze(source);
        var diagnostic = Assert.Single(diagnostics, d => d.Id == "DSL1006");
        var actions = new List<CodeAction>();
        await new TrainingLoopCodeFixProvider().RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
        Assert.Empty(actions);
    }

    /// <summary>Applies the fix for the <paramref name="index"/>-th <paramref name="id"/> and checks the result compiles and that one fewer is reported.</summary>
    private static async Task<string> ApplyFix(string source, string id, int index = 0)
    {
        source = source.Replace("\r\n", "\n");
        var (document, diagnostics) = await Analyze(source);
        var matching = diagnostics.Where(d => d.Id == id).OrderBy(d => d.Location.SourceSpan.Start).ToList();
        Assert.True(matching.Count > index, $"No {id} to fix:{Environment.NewLine}{GeneratorHarness.Describe(diagnostics)}");

        var actions = new List<CodeAction>();
        var context = new CodeFixContext(document, matching[index], (action, _) => actions.Add(action), CancellationToken.None);
        await new TrainingLoopCodeFixProvider().RegisterCodeFixesAsync(context);
        var fix = Assert.Single(actions);
        var operations = await fix.GetOperationsAsync(CancellationToken.None);
        var changed = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
        var fixedText = (await changed.GetDocument(document.Id)!.GetTextAsync()).ToString();

        var (_, after) = await Analyze(fixedText);
        Assert.Equal(matching.Count - 1, after.Count(d => d.Id == id));
        return fixedText;
    }

    private static async Task<(Document Document, ImmutableArray<Diagnostic> Diagnostics)> Analyze(string source)
    {
        var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var options = GeneratorHarness.Compilation().Options;
        var solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(projectId, VersionStamp.Default, "UserModels", "UserModels", LanguageNames.CSharp,
                compilationOptions: options, parseOptions: GeneratorHarness.ParseOptions, metadataReferences: GeneratorHarness.References));
        var documentId = DocumentId.CreateNewId(projectId);
        solution = solution
            .AddDocument(documentId, "Model.cs", source, filePath: "Model.cs")
            .AddDocument(DocumentId.CreateNewId(projectId), "Model1.cs", AnalyzerHarness.Model, filePath: "Model1.cs");
        var document = solution.GetDocument(documentId)!;
        var compilation = (CSharpCompilation)(await document.Project.GetCompilationAsync())!;

        var run = AnalyzerHarness.Run(compilation);
        Assert.Empty(run.Exceptions);
        var errors = run.Generator.OutputDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, $"Does not compile:{Environment.NewLine}{GeneratorHarness.Describe(errors)}{Environment.NewLine}{source}");
        return (document, run.Dsl);
    }
}
