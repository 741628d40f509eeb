namespace DslNet.Generator.Tests.Analyzers.Corpus;

/// <summary>Corpus programs about where and how long schedules are stepped (DSL1001–DSL1007).</summary>
public static class SchedulerCorpus
{
    public static IEnumerable<CorpusProgram> Programs() => new[]
    {
        // ---------------------------------------------------------------- the folded clipping step
        new CorpusProgram("FoldedClipStepAfterSchedule",
            "PyTorch UserWarning 'Detected call of lr_scheduler.step() before optimizer.step()' (explained at runebook.dev, torch.optim.lr_scheduler.LRScheduler.step)",
            """
            public static class Recipe
            {
                public static void Fit(DataSet train, int epochs)
                {
                    var model = new Net(seed: 7);
                    var optimizer = new AdamW(model.Parameters, lr: 3e-3, weightDecay: 1e-2);
                    var schedule = new OneCycleLR(optimizer, maxLr: 3e-3, totalSteps: epochs * train.BatchesPerEpoch(512));
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(512, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            {|DSL1005:schedule.Step()|};
                            optimizer.Step(GradClip.NormCoefficient(model.Gradients, maxNorm: 1.0).Coefficient);
                        }
                }
            }
            """),
        new CorpusProgram("FoldedClipStepOneCyclePerEpoch",
            "pytorch/pytorch#65417 'OneCycleLR updating on epoch rather than on step'",
            """
            public sealed class StreamRecJob
            {
                public void Run(DataSet train, int epochs)
                {
                    var model = new Net(seed: 1);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: epochs * train.BatchesPerEpoch(256));
                    for (var epoch = 0; epoch < epochs; epoch++)
                    {
                        foreach (var batch in train.Batches(256, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step(GradClip.NormCoefficient(model.Gradients, 1.0).Coefficient);
                        }
                        {|DSL1001:schedule.Step()|};
                    }
                }
            }
            """),
        new CorpusProgram("FoldedClipStepCorrect",
            "The README's recommended StreamRec loop (folded clip in the optimizer step); pytorch/pytorch#91765 uses the same per-step OneCycleLR loop",
            """
            public static class StreamRecTraining
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 42);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3, weightDecay: 1e-2);
                    var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: epochs * train.BatchesPerEpoch(512));
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(512, shuffle: true, seed: 42, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            var (norm, coefficient) = GradClip.NormCoefficient(model.Gradients, maxNorm: 1.0);
                            optimizer.Step(coefficient);
                            schedule.Step();
                            if (double.IsNaN(norm)) return;
                        }
                }
            }
            """),
        // ---------------------------------------------------------------- horizons from locals and constants
        new CorpusProgram("ConstEpochsHorizon",
            "A4Bio/PiFold#6 'runtime error with batch_size=2' (ValueError: Tried to step 100001 times. The specified number of total steps is 100000)",
            """
            public static class Program1
            {
                public static void Main(DataSet train)
                {
                    const int epochs = 3;
                    var model = new Net(seed: 3);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, {|DSL1002:totalSteps: epochs|});
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                }
            }
            """),
        new CorpusProgram("VarEpochsOneBasedLoop",
            "pytorch/pytorch#32898 'OneCycleLearningrate is bug in version' (the scheduler stepped more times than total_steps)",
            """
            public static class OneBased
            {
                public static void Train(DataSet train)
                {
                    var epochs = 5;
                    var model = new Net(seed: 5);
                    var optimizer = new AdamW(model.Parameters, lr: 2e-3);
                    var schedule = new OneCycleLR(optimizer, 2e-3, {|DSL1002:epochs|});
                    for (var e = 1; e <= epochs; e++)
                    {
                        foreach (var batch in train.Batches(128, true, epoch: e))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                        Console.WriteLine($"epoch {e} lr {optimizer.LearningRate}");
                    }
                }
            }
            """),
        new CorpusProgram("WhileLoopFieldEpochs",
            "flairNLP/flair#2954 'Error in trainer when schedule is OneCyclelr. Tried to step {} times'",
            """
            public sealed class WhileTrainer
            {
                private readonly int _maxEpochs = 20;

                public void Fit(DataSet train)
                {
                    var model = new Net(seed: 11);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, {|DSL1002:totalSteps: _maxEpochs|});
                    var epoch = 0;
                    while (epoch < _maxEpochs)
                    {
                        foreach (var batch in train.Batches(256, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                        epoch++;
                    }
                }
            }
            """),
        new CorpusProgram("PropertyEpochsRange",
            "Lightning-AI/pytorch-lightning#3205 'OneCycleLR scheduler looks wrong' (horizon and step interval disagree)",
            """
            public sealed class Experiment
            {
                public int Epochs { get; init; } = 10;

                public void Run(DataSet train)
                {
                    var model = new Net(seed: 2);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, {|DSL1002:totalSteps: Epochs|});
                    foreach (var epoch in Enumerable.Range(0, Epochs))
                        foreach (var batch in train.Batches(64, true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                }
            }
            """),
        new CorpusProgram("SnakeCaseMaxEpochs",
            "pytorch/pytorch#65417 'OneCycleLR updating on epoch rather than on step' (the workaround total_steps=epochs, here stepped per batch)",
            """
            public static class Config
            {
                public const int max_epochs = 30;
            }

            public static class SnakeCase
            {
                public static void Train(DataSet train)
                {
                    var model = new Net(seed: 8);
                    var optimizer = new Sgd(model.Parameters, lr: 0.1, momentum: 0.9);
                    var schedule = new CosineAnnealingLR(optimizer, {|DSL1002:tMax: Config.max_epochs|}, unit: ScheduleUnit.Batch);
                    for (int epoch = 0; epoch < Config.max_epochs; ++epoch)
                        foreach (var batch in train.Batches(32, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                }
            }
            """),
        new CorpusProgram("BatchSizeMismatchConst",
            "A4Bio/PiFold#6 'runtime error with batch_size=2' (steps_per_epoch computed for another batch size)",
            """
            public static class Mismatch
            {
                public static void Train(DataSet train)
                {
                    const int epochs = 10;
                    var model = new Net(seed: 9);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, {|DSL1003:totalSteps: epochs * train.BatchesPerEpoch(64)|});
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(32, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                }
            }
            """),
        new CorpusProgram("ConstEpochsCorrect",
            "pytorch/pytorch#21258 'Implement 1cycle learning rate policy' (total_steps = num_epochs * len(train_dl))",
            """
            public static class ConstCorrect
            {
                public static void Train(DataSet train)
                {
                    const int epochs = 3;
                    var model = new Net(seed: 3);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: epochs * train.BatchesPerEpoch(64));
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                }
            }
            """),
        new CorpusProgram("StepsPerEpochLocalCorrect",
            "pytorch/pytorch#99302 'Fix OneCycleLR comment error in lr_scheduler.py' (total_steps derived from steps_per_epoch * epochs)",
            """
            public static class StepsPerEpoch
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 4);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var stepsPerEpoch = train.BatchesPerEpoch(32);
                    var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: epochs * stepsPerEpoch);
                    for (var epoch = 1; epoch <= epochs; epoch++)
                        foreach (var batch in train.Batches(32, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                }
            }
            """),
        new CorpusProgram("FullBatchEpochHorizonCorrect",
            "pytorch/pytorch#91765 'OnceCycleLR Scheduler computes wrong learning rate in last step' (one optimizer step per loop iteration, total_steps = iterations)",
            """
            public static class FullBatch
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 6);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-2);
                    var schedule = new OneCycleLR(optimizer, maxLr: 1e-2, totalSteps: epochs);
                    for (var epoch = 0; epoch < epochs; epoch++)
                    {
                        model.TrainStep(train.Features, train.Labels);
                        optimizer.Step();
                        schedule.Step();
                    }
                }
            }
            """),
        new CorpusProgram("WhileLoopCorrect",
            "flairNLP/flair#2954 'Error in trainer when schedule is OneCyclelr' (the fix: recompute total steps from the data actually iterated)",
            """
            public sealed class WhileCorrect
            {
                public void Fit(DataSet train, int epochs)
                {
                    var model = new Net(seed: 12);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: epochs * train.BatchesPerEpoch(256));
                    var epoch = 0;
                    while (epoch < epochs)
                    {
                        foreach (var batch in train.Batches(256, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                        epoch++;
                    }
                }
            }
            """),
        new CorpusProgram("HyperparameterSweepCorrect",
            "Lightning-AI/pytorch-lightning#3205 'OneCycleLR scheduler looks wrong' (the schedule rebuilt per run of a sweep)",
            """
            public static class Sweep
            {
                public static void Run(DataSet train, int epochs)
                {
                    foreach (var lr in new[] { 1e-3, 3e-3, 1e-2 })
                    {
                        var model = new Net(seed: 1);
                        var optimizer = new AdamW(model.Parameters, lr: lr);
                        var schedule = new OneCycleLR(optimizer, maxLr: lr, totalSteps: epochs * train.BatchesPerEpoch(128));
                        for (var epoch = 0; epoch < epochs; epoch++)
                            foreach (var batch in train.Batches(128, shuffle: true, epoch: epoch))
                            {
                                model.TrainStep(batch.Features, batch.Labels);
                                optimizer.Step();
                                schedule.Step();
                            }
                    }
                }
            }
            """),
        // ---------------------------------------------------------------- epoch-unit schedules stepped per batch
        new CorpusProgram("StepLrHalfEpochsPerBatch",
            "runebook.dev 'Demystifying PyTorch Learning Rate Schedulers' (StepLR stepped inside the batch loop decays far too fast)",
            """
            public static class StepDecay
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 21);
                    var optimizer = new Sgd(model.Parameters, lr: 0.1, momentum: 0.9);
                    var schedule = new StepLR(optimizer, {|DSL1002:stepSize: epochs / 2|}, gamma: 0.1);
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                }
            }
            """),
        new CorpusProgram("CosineEpochsPerBatch",
            "Tony-Y/pytorch_warmup#14 'My lr jumped from 0.01 to 0.0498 without any linear signs' (CosineAnnealingLR(T_max=23) epochs, stepped per iteration)",
            """
            public static class CosineEpochs
            {
                public static void Train(DataSet train)
                {
                    var numEpochs = 23;
                    var model = new Net(seed: 22);
                    var optimizer = new Sgd(model.Parameters, lr: 0.05, momentum: 0.9);
                    var schedule = new CosineAnnealingLR(optimizer, {|DSL1002:tMax: numEpochs|});
                    for (var epoch = 0; epoch < numEpochs; epoch++)
                        foreach (var batch in train.Batches(32, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                }
            }
            """),
        new CorpusProgram("ConditionalCosineNullStep",
            "vturrisi/solo-learn#271 'About the setup of LinearWarmupCosineAnnealingLR, seems no different between the step-level or epoch-level information'",
            """
            public sealed class Options
            {
                public bool UseCosine { get; init; } = true;
                public int NumEpochs { get; init; } = 40;
            }

            public static class Conditional
            {
                public static void Train(DataSet train, Options options)
                {
                    var model = new Net(seed: 23);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    ILearningRateScheduler? schedule = options.UseCosine ? new CosineAnnealingLR(optimizer, {|DSL1002:tMax: options.NumEpochs|}) : null;
                    for (var epoch = 0; epoch < options.NumEpochs; epoch++)
                        foreach (var batch in train.Batches(128, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule?.Step();
                        }
                }
            }
            """),
        new CorpusProgram("WarmRestartsEpochsPerBatch",
            "openai/CLIP#107 'LR Schedule Hyperparameters' (is the cosine period T_0 in epochs or iterations?)",
            """
            public static class Restarts
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 24);
                    var optimizer = new Sgd(model.Parameters, lr: 0.1);
                    var schedule = new CosineAnnealingWarmRestarts(optimizer, {|DSL1002:t0: epochs / 3|}, tMult: 1);
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                }
            }
            """),
        new CorpusProgram("StepLrPerEpochCorrect",
            "runebook.dev 'Mastering PyTorch LRSchedulers: Common Pitfalls' (StepLR stepped once per epoch, after the batch loop)",
            """
            public static class StepDecayCorrect
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 25);
                    var optimizer = new Sgd(model.Parameters, lr: 0.1, momentum: 0.9);
                    var schedule = new StepLR(optimizer, stepSize: 30, gamma: 0.1);
                    for (var epoch = 0; epoch < epochs; epoch++)
                    {
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                        }
                        schedule.Step();
                    }
                }
            }
            """),
        new CorpusProgram("ConditionalCosinePerEpochCorrect",
            "vturrisi/solo-learn#271 (epoch-level interval with an epoch horizon)",
            """
            public static class ConditionalCorrect
            {
                public static void Train(DataSet train, int numEpochs, bool useCosine)
                {
                    var model = new Net(seed: 26);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    ILearningRateScheduler? schedule = useCosine ? new CosineAnnealingLR(optimizer, tMax: numEpochs) : null;
                    for (var epoch = 0; epoch < numEpochs; epoch++)
                    {
                        foreach (var batch in train.Batches(128, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                        }
                        schedule?.Step();
                    }
                }
            }
            """),
        new CorpusProgram("IterationStepLrCorrect",
            "hpcaitech/ColossalAI#17 'Add gradient accumulation, fix lr scheduler' (lr_scheduler_step in steps, with step counts in iterations)",
            """
            public static class IterationDecay
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 27);
                    var optimizer = new Sgd(model.Parameters, lr: 0.1);
                    var schedule = new StepLR(optimizer, stepSize: 2000, gamma: 0.5);
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                }
            }
            """),
        // ---------------------------------------------------------------- composed schedules
        new CorpusProgram("WarmupThenCosineWholeRun",
            "openai/CLIP#107 'LR Schedule Hyperparameters' (linear warmup over 2,000 iterations, then cosine)",
            """
            public static class WarmupCosine
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 31);
                    var optimizer = new AdamW(model.Parameters, lr: 5e-4);
                    var total = epochs * train.BatchesPerEpoch(64);
                    var schedule = new LinearWarmup(optimizer, warmupSteps: 500,
                        then: new CosineAnnealingLR(optimizer, {|DSL1003:tMax: total|}, unit: ScheduleUnit.Batch));
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                }
            }
            """),
        new CorpusProgram("SequentialMilestoneInEpochs",
            "vturrisi/solo-learn#271 (warmup_epochs passed where the step-level scheduler expects steps)",
            """
            public static class SequentialEpochs
            {
                public static void Train(DataSet train, int epochs)
                {
                    const int warmupEpochs = 2;
                    var model = new Net(seed: 32);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var total = epochs * train.BatchesPerEpoch(64);
                    var warm = new LinearWarmup(optimizer, warmupSteps: 400);
                    var cosine = new CosineAnnealingLR(optimizer, tMax: total - 400, unit: ScheduleUnit.Batch);
                    var schedule = new SequentialLR(optimizer, new ILearningRateScheduler[] { warm, cosine }, milestones: new[] { {|DSL1002:warmupEpochs|} });
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                }
            }
            """),
        new CorpusProgram("SequentialTailWholeRun",
            "pytorch/pytorch#72856 'Fix SequentialLR initialization' (SequentialLR of a warmup and a cosine, milestones in steps)",
            """
            public static class SequentialTail
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 33);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var total = epochs * train.BatchesPerEpoch(128);
                    var schedule = new SequentialLR(optimizer,
                        new ILearningRateScheduler[] { new LinearWarmup(optimizer, 100), new CosineAnnealingLR(optimizer, {|DSL1003:tMax: total|}, unit: ScheduleUnit.Batch) },
                        milestones: new[] { 100 });
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(128, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                }
            }
            """),
        new CorpusProgram("WarmupThenCosineCorrect",
            "microsoft/Swin-Transformer#278 'Support warmup_prefix for CosineLRScheduler' (the cosine counts only the steps after the warmup)",
            """
            public static class WarmupCosineCorrect
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 34);
                    var optimizer = new AdamW(model.Parameters, lr: 5e-4);
                    var total = epochs * train.BatchesPerEpoch(64);
                    var warmup = total / 20;
                    var schedule = new LinearWarmup(optimizer, warmupSteps: warmup,
                        then: new CosineAnnealingLR(optimizer, tMax: total - warmup, unit: ScheduleUnit.Batch));
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                }
            }
            """),
        new CorpusProgram("SequentialCorrect",
            "microsoft/InnerEye-DeepLearning#187 'Add warmup to LR scheduler and MultiStepLR' (warmup scheduler, then the decay for the remaining steps)",
            """
            public static class SequentialCorrect
            {
                public static void Train(DataSet train, int epochs)
                {
                    const int warmupSteps = 200;
                    var model = new Net(seed: 35);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var total = epochs * train.BatchesPerEpoch(128);
                    var schedule = new SequentialLR(optimizer,
                        new ILearningRateScheduler[] { new LinearWarmup(optimizer, warmupSteps), new CosineAnnealingLR(optimizer, tMax: total - warmupSteps, unit: ScheduleUnit.Batch) },
                        milestones: new[] { warmupSteps });
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(128, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                }
            }
            """),
        new CorpusProgram("TrainerFactoryEpochHorizon",
            "Lightning-AI/pytorch-lightning#3205 'OneCycleLR scheduler looks wrong' (configure_optimizers with an interval of 'step')",
            """
            public static class TrainerOneCycle
            {
                public static TrainingHistory Fit(DataSet train, DataSet val)
                {
                    var model = new Net(seed: 41);
                    var trainer = new Trainer(model, new TrainerOptions
                    {
                        Epochs = 8,
                        Schedule = (optimizer, context) => new OneCycleLR(optimizer, 3e-3, {|DSL1002:totalSteps: context.Epochs|}),
                    });
                    return trainer.Fit(train, val);
                }
            }
            """),
        new CorpusProgram("TrainerFactoryWarmupCosineWhole",
            "microsoft/Swin-Transformer#278 'Support warmup_prefix for CosineLRScheduler' (cosine length including the warmup)",
            """
            public static class TrainerWarmupCosine
            {
                public static TrainingHistory Fit(DataSet train, DataSet val)
                {
                    var model = new Net(seed: 42);
                    var options = new TrainerOptions
                    {
                        Epochs = 12,
                        Schedule = (optimizer, context) => new LinearWarmup(optimizer, 200,
                            then: new CosineAnnealingLR(optimizer, {|DSL1003:tMax: context.TotalSteps|}, unit: ScheduleUnit.Batch)),
                    };
                    return new Trainer(model, options).Fit(train, val);
                }
            }
            """),
        new CorpusProgram("TrainerFactoryStepLrInSteps",
            "hpcaitech/ColossalAI#17 'Add gradient accumulation, fix lr scheduler' (step vs epoch stepping of the same schedule)",
            """
            public static class TrainerStepDecay
            {
                public static TrainingHistory Fit(DataSet train)
                {
                    var model = new Net(seed: 43);
                    return new Trainer(model, new TrainerOptions
                    {
                        Epochs = 30,
                        Schedule = (optimizer, context) => new StepLR(optimizer, {|DSL1003:stepSize: context.TotalSteps / 3|}),
                    }).Fit(train);
                }
            }
            """),
        new CorpusProgram("TrainerFactoryCorrect",
            "pytorch/pytorch#21258 'Implement 1cycle learning rate policy' (total_steps = epochs * steps per epoch)",
            """
            public static class TrainerCorrect
            {
                public static TrainingHistory Fit(DataSet train, DataSet val)
                {
                    var model = new Net(seed: 44);
                    var trainer = new Trainer(model, new TrainerOptions
                    {
                        Epochs = 8,
                        Schedule = (optimizer, context) => new OneCycleLR(optimizer, 3e-3, totalSteps: context.TotalSteps),
                    });
                    return trainer.Fit(train, val);
                }
            }
            """),
        new CorpusProgram("TrainerFactoryEpochCosineCorrect",
            "runebook.dev 'Mastering PyTorch LRSchedulers: Common Pitfalls' (epoch schedules stepped per epoch with an epoch horizon)",
            """
            public static class TrainerEpochCosine
            {
                public static TrainingHistory Fit(DataSet train, DataSet val)
                {
                    var model = new Net(seed: 45);
                    var options = new TrainerOptions
                    {
                        Epochs = 50,
                        Schedule = (optimizer, context) =>
                        {
                            var warmup = Math.Max(1, context.TotalSteps / 20);
                            return new LinearWarmup(optimizer, warmup,
                                then: new CosineAnnealingLR(optimizer, tMax: context.TotalSteps - warmup, unit: ScheduleUnit.Batch));
                        },
                    };
                    var trainer = new Trainer(model, options);
                    var cosineTrainer = new Trainer(model, new TrainerOptions { Schedule = (o, c) => new CosineAnnealingLR(o, tMax: c.Epochs) });
                    cosineTrainer.Fit(train);
                    return trainer.Fit(train, val);
                }
            }
            """),
    };
}
