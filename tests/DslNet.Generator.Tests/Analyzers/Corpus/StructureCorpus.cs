namespace DslNet.Generator.Tests.Analyzers.Corpus;

/// <summary>Corpus programs whose training loop is spread over fields, helpers, callbacks, collections and accumulation shapes.</summary>
public static class StructureCorpus
{
    public static IEnumerable<CorpusProgram> Programs() => new[]
    {
        // ---------------------------------------------------------------- fields, helpers, callbacks, collections
        new CorpusProgram("FieldScheduleTrainOneEpoch",
            "A4Bio/PiFold#6 (train_one_epoch helper stepping self.scheduler) and pytorch/pytorch#65417 'OneCycleLR updating on epoch rather than on step'",
            """
            public sealed class Experiment
            {
                private readonly Net _model = new Net(seed: 51);
                private readonly AdamW _optimizer;
                private readonly OneCycleLR _schedule;
                private readonly DataSet _train;
                private readonly int _epochs;

                public Experiment(DataSet train, int epochs)
                {
                    _train = train;
                    _epochs = epochs;
                    _optimizer = new AdamW(_model.Parameters, lr: 1e-3);
                    _schedule = new OneCycleLR(_optimizer, maxLr: 1e-3, totalSteps: epochs * train.BatchesPerEpoch(64));
                }

                public void Fit()
                {
                    for (var epoch = 0; epoch < _epochs; epoch++)
                    {
                        TrainOneEpoch(epoch);
                        {|DSL1001:_schedule.Step()|};
                    }
                }

                private void TrainOneEpoch(int epoch)
                {
                    foreach (var batch in _train.Batches(64, shuffle: true, epoch: epoch))
                    {
                        _model.TrainStep(batch.Features, batch.Labels);
                        _optimizer.Step();
                    }
                }
            }
            """),
        new CorpusProgram("OnBatchEndBeforeOptimizer",
            "PyTorch UserWarning 'Detected call of lr_scheduler.step() before optimizer.step()' raised from a callback-style hook",
            """
            public sealed class CallbackLoop
            {
                private readonly Net _model = new Net(seed: 52);
                private readonly AdamW _optimizer;
                private readonly OneCycleLR _schedule;

                public CallbackLoop(DataSet train, int epochs)
                {
                    _optimizer = new AdamW(_model.Parameters, lr: 1e-3);
                    _schedule = new OneCycleLR(_optimizer, 1e-3, epochs * train.BatchesPerEpoch(32));
                }

                public void Fit(DataSet train, int epochs)
                {
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(32, shuffle: true, epoch: epoch))
                        {
                            var loss = _model.TrainStep(batch.Features, batch.Labels);
                            OnBatchEnd(loss);
                            _optimizer.Step();
                        }
                }

                private void OnBatchEnd(double loss)
                {
                    {|DSL1005:_schedule.Step()|};
                    Console.WriteLine($"loss {loss:F4} lr {_optimizer.LearningRate:E2}");
                }
            }
            """),
        new CorpusProgram("ScheduleListPerEpoch",
            "pytorch/pytorch#72856 'Fix SequentialLR initialization' (several schedulers on one run, stepped in a loop over the list)",
            """
            public static class ScheduleList
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 53);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedules = new List<ILearningRateScheduler>
                    {
                        new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: epochs * train.BatchesPerEpoch(64)),
                    };
                    for (var epoch = 0; epoch < epochs; epoch++)
                    {
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                        }
                        foreach (var s in schedules) {|DSL1001:s.Step()|};
                    }
                }
            }
            """),
        new CorpusProgram("LocalFunctionStepBeforeOptimizer",
            "runebook.dev 'Optimizing PyTorch Training with Advanced Learning Rate Schedulers' (scheduler.step() called before optimizer.step())",
            """
            public static class LocalFunctions
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 54);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var warmup = new LinearWarmup(optimizer, warmupSteps: 100);

                    void AdvanceSchedules() => {|DSL1005:warmup.Step()|};

                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(32, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            AdvanceSchedules();
                            optimizer.Step();
                        }
                }
            }
            """),
        new CorpusProgram("LambdaCallbackPerEpoch",
            "pytorch/pytorch#65417 'OneCycleLR updating on epoch rather than on step' (a per-epoch hook stepping the one-cycle schedule)",
            """
            public static class LambdaHook
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 55);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = new OneCycleLR(optimizer, 1e-3, epochs * train.BatchesPerEpoch(128));
                    Action onEpochEnd = () => {|DSL1001:schedule.Step()|};
                    for (var epoch = 0; epoch < epochs; epoch++)
                    {
                        foreach (var batch in train.Batches(128, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                        }
                        onEpochEnd();
                    }
                }
            }
            """),
        new CorpusProgram("HelperFieldEpochHorizon",
            "A4Bio/PiFold#6 'runtime error with batch_size=2' (the horizon computed from the epoch setting, stepped in train_one_epoch)",
            """
            public sealed class Runner
            {
                private readonly Net _model = new Net(seed: 56);
                private readonly AdamW _optimizer;
                private readonly OneCycleLR _schedule;
                private readonly int _epochs;

                public Runner(int epochs)
                {
                    _epochs = epochs;
                    _optimizer = new AdamW(_model.Parameters, lr: 1e-3);
                    _schedule = new OneCycleLR(_optimizer, maxLr: 1e-3, {|DSL1002:totalSteps: epochs|});
                }

                public void Fit(DataSet train)
                {
                    for (var epoch = 0; epoch < _epochs; epoch++) TrainOneEpoch(train, epoch);
                }

                private void TrainOneEpoch(DataSet data, int epoch)
                {
                    foreach (var batch in data.Batches(64, shuffle: true, epoch: epoch))
                    {
                        _model.TrainStep(batch.Features, batch.Labels);
                        _optimizer.Step();
                        _schedule.Step();
                    }
                }
            }
            """),
        new CorpusProgram("TwoSchedulesWrongOptimizer",
            "PyTorch forums thread 'Multiple schedulers with one optimizer' (a second scheduler meant for the head's optimizer built on the body's)",
            """
            public static class TwoOptimizers
            {
                public static void Train(DataSet train, int epochs)
                {
                    var body = new Net(seed: 57);
                    var head = new Net(seed: 58);
                    var bodyOptimizer = new AdamW(body.Parameters, lr: 1e-4);
                    var headOptimizer = new AdamW(head.Parameters, lr: 1e-3);
                    var total = epochs * train.BatchesPerEpoch(64);
                    var bodySchedule = new OneCycleLR(bodyOptimizer, 1e-4, total);
                    var headSchedule = new OneCycleLR(bodyOptimizer, 1e-3, total);
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            body.TrainStep(batch.Features, batch.Labels);
                            head.TrainStep(batch.Features, batch.Labels);
                            bodyOptimizer.Step();
                            headOptimizer.Step();
                            bodySchedule.Step();
                            {|DSL1006:headSchedule.Step()|};
                        }
                }
            }
            """),
        new CorpusProgram("TwoSchedulesSameOptimizer",
            "Tony-Y/pytorch_warmup#14 'My lr jumped from 0.01 to 0.0498' (a warmup and a cosine both stepped on one optimizer)",
            """
            public static class WarmupPlusCosine
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 59);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var total = epochs * train.BatchesPerEpoch(64);
                    var cosine = new CosineAnnealingLR(optimizer, tMax: total, unit: ScheduleUnit.Batch);
                    var warmup = new LinearWarmup(optimizer, warmupSteps: 50);
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            cosine.Step();
                            {|DSL1006:warmup.Step()|};
                        }
                }
            }
            """),
        new CorpusProgram("FieldHelperCorrect",
            "A4Bio/PiFold#6 (the fix: total steps from the real batches per epoch, stepped per batch in train_one_epoch)",
            """
            public sealed class RunnerCorrect
            {
                private readonly Net _model = new Net(seed: 60);
                private readonly AdamW _optimizer;
                private readonly OneCycleLR _schedule;
                private readonly DataSet _train;

                public RunnerCorrect(DataSet train, int epochs)
                {
                    _train = train;
                    Epochs = epochs;
                    _optimizer = new AdamW(_model.Parameters, lr: 1e-3);
                    _schedule = new OneCycleLR(_optimizer, maxLr: 1e-3, totalSteps: epochs * train.BatchesPerEpoch(64));
                }

                public int Epochs { get; }

                public void Fit()
                {
                    for (var epoch = 0; epoch < Epochs; epoch++) TrainOneEpoch(epoch);
                }

                private void TrainOneEpoch(int epoch)
                {
                    foreach (var batch in _train.Batches(64, shuffle: true, epoch: epoch))
                    {
                        _model.TrainStep(batch.Features, batch.Labels);
                        _optimizer.Step();
                        OnBatchEnd();
                    }
                }

                private void OnBatchEnd() => _schedule.Step();
            }
            """),
        new CorpusProgram("EpochScheduleListCorrect",
            "runebook.dev 'Mastering PyTorch LRSchedulers' (epoch-based schedulers stepped once per epoch)",
            """
            public static class EpochList
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 61);
                    var optimizer = new Sgd(model.Parameters, lr: 0.1);
                    ILearningRateScheduler[] schedules = { new StepLR(optimizer, stepSize: 10, gamma: 0.5) };
                    for (var epoch = 0; epoch < epochs; epoch++)
                    {
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                        }
                        foreach (var schedule in schedules) schedule.Step();
                    }
                }
            }
            """),
        new CorpusProgram("TwoOptimizersTwoSchedulesCorrect",
            "PyTorch forums thread 'Multiple schedulers with one optimizer' (the answer: one scheduler per optimizer)",
            """
            public static class TwoOptimizersCorrect
            {
                public static void Train(DataSet train, int epochs)
                {
                    var body = new Net(seed: 62);
                    var head = new Net(seed: 63);
                    var bodyOptimizer = new AdamW(body.Parameters, lr: 1e-4);
                    var headOptimizer = new AdamW(head.Parameters, lr: 1e-3);
                    var total = epochs * train.BatchesPerEpoch(64);
                    var bodySchedule = new OneCycleLR(bodyOptimizer, 1e-4, total);
                    var headSchedule = new OneCycleLR(headOptimizer, 1e-3, total);
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            body.TrainStep(batch.Features, batch.Labels);
                            head.TrainStep(batch.Features, batch.Labels);
                            bodyOptimizer.Step();
                            headOptimizer.Step();
                            bodySchedule.Step();
                            headSchedule.Step();
                        }
                }
            }
            """),
        new CorpusProgram("TopLevelLocalFunctionsCorrect",
            "theneuralbase.com 'forward pass -> loss -> backward -> step' (the canonical loop, split into small functions)",
            """
            public static class Script
            {
                public static void Main(DataSet train, int epochs)
                {
                    var model = new Net(seed: 64);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = new OneCycleLR(optimizer, 1e-3, epochs * train.BatchesPerEpoch(32));

                    void Step(Batch batch)
                    {
                        model.TrainStep(batch.Features, batch.Labels);
                        optimizer.Step(GradClip.NormCoefficient(model.Gradients, 1.0).Coefficient);
                        schedule.Step();
                    }

                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(32, shuffle: true, epoch: epoch))
                            Step(batch);
                }
            }
            """),
        new CorpusProgram("HelperRunTwiceCorrect",
            "The repository's own samples/StreamRec/RecipeComparison.cs (one training helper run for two recipes), after Lightning-AI/pytorch-lightning#3205's comparison of schedules",
            """
            public static class RecipeComparison
            {
                public static void Main(DataSet train, int epochs)
                {
                    Run(train, epochs, full: true);
                    Run(train, epochs, full: false);
                }

                private static void Run(DataSet train, int epochs, bool full)
                {
                    var model = new Net(seed: 65);
                    Optimizer optimizer;
                    ILearningRateScheduler? schedule = null;
                    if (full)
                    {
                        optimizer = new AdamW(model.Parameters, lr: 1e-3);
                        schedule = new OneCycleLR(optimizer, 1e-3, epochs * train.BatchesPerEpoch(64));
                    }
                    else
                        optimizer = new Adam(model.Parameters, lr: 1e-3);
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            GradClip.ByNorm(model.Gradients, 1.0);
                            optimizer.Step();
                            schedule?.Step();
                        }
                }
            }
            """),
        new CorpusProgram("LocalStepFromSeveralLoopsCorrect",
            "The repository's own tests/DslNet.EndToEnd.Tests/AllocationTests.cs (one step function run from a warm-up loop and measured loops); pytorch/pytorch#91765's loop of plain optimizer and scheduler steps",
            """
            public static class WarmupThenMeasure
            {
                public static void Run(float[] inputs, float[] labels)
                {
                    var model = new Net(seed: 66);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: 2_000);

                    void Step()
                    {
                        model.TrainStep(inputs, labels);
                        optimizer.Step();
                        schedule.Step();
                    }

                    for (var i = 0; i < 300; i++) Step();
                    for (var i = 0; i < 100; i++) Step();
                }
            }
            """),
        new CorpusProgram("FactoryMethodEpochHorizon",
            "A4Bio/PiFold#6 'runtime error with batch_size=2' (the scheduler built in a helper from a steps setting that did not match the loop)",
            """
            public static class Factory
            {
                private static OneCycleLR BuildSchedule(Optimizer optimizer, int horizon) =>
                    new OneCycleLR(optimizer, maxLr: 1e-3, {|DSL1002:totalSteps: horizon|});

                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 67);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = BuildSchedule(optimizer, epochs);
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
        new CorpusProgram("ParsedEpochsHorizon",
            "A4Bio/PiFold#6 (python main.py --batch_size 2: settings from the command line, total steps fixed elsewhere)",
            """
            public static class CommandLine
            {
                public static void Main(string[] args, DataSet train)
                {
                    var epochs = int.Parse(args[0]);
                    var model = new Net(seed: 68);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = new OneCycleLR(optimizer, 1e-3, {|DSL1002:totalSteps: epochs|});
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
        new CorpusProgram("UnboundedEpochLoopPerEpoch",
            "pytorch/pytorch#65417 'OneCycleLR updating on epoch rather than on step' (a training loop that runs until a stopping condition)",
            """
            public static class UntilConverged
            {
                public static void Train(DataSet train, DataSet val, int maxEpochs)
                {
                    var model = new Net(seed: 69);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = new OneCycleLR(optimizer, 1e-3, maxEpochs * train.BatchesPerEpoch(64));
                    var epoch = 0;
                    var best = double.MaxValue;
                    while (true)
                    {
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                        }
                        {|DSL1001:schedule.Step()|};
                        var loss = model.EvaluateLoss(val.Features, val.Labels);
                        if (loss >= best || ++epoch == maxEpochs) break;
                        best = loss;
                    }
                }
            }
            """),
        new CorpusProgram("ModuloMinusOneAccumulation",
            "huggingface/accelerate#999 'Fix scheduler incorrect steps when gradient accumulation enabled' (did_step computed from the iteration counter)",
            """
            public static class ModuloMinusOne
            {
                public static void Train(DataSet train, int epochs, int accum)
                {
                    var model = new Net(seed: 70);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = new LinearWarmup(optimizer, warmupSteps: 100);
                    var step = 0;
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(16, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels, 1f / accum);
                            if (step % accum == accum - 1)
                                optimizer.Step();
                            {|DSL1004:schedule.Step()|};
                            step++;
                        }
                }
            }
            """),
        // ---------------------------------------------------------------- gradient accumulation written differently
        new CorpusProgram("SyncFlagSchedulePerMicroBatch",
            "starVLA/starVLA#210 'fix(trainer): step LR scheduler only on actual optimizer updates'",
            """
            public static class SyncFlag
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 71);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var accumulator = new GradientAccumulator(model.Parameters, steps: 4);
                    var schedule = new OneCycleLR(optimizer, 1e-3, epochs * train.BatchesPerEpoch(16) / 4);
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(16, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            var sync = accumulator.Add();
                            if (sync)
                            {
                                optimizer.Step(GradClip.NormCoefficient(model.Gradients, 1.0).Coefficient);
                            }
                            {|DSL1004:schedule.Step()|};
                        }
                }
            }
            """),
        new CorpusProgram("GuardInHelperPerMicroBatch",
            "sgl-project/SpecForge#364 '[Bug] LR Scheduler misalignment with Gradient Accumulation'",
            """
            public sealed class AccumulatingTrainer
            {
                private readonly Net _model = new Net(seed: 72);
                private readonly AdamW _optimizer;
                private readonly GradientAccumulator _accumulator;
                private readonly OneCycleLR _schedule;

                public AccumulatingTrainer(DataSet train, int epochs)
                {
                    _optimizer = new AdamW(_model.Parameters, lr: 1e-3);
                    _accumulator = new GradientAccumulator(_model.Parameters, steps: 8);
                    _schedule = new OneCycleLR(_optimizer, 1e-3, epochs * train.BatchesPerEpoch(8) / 8);
                }

                public void Fit(DataSet train, int epochs)
                {
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(8, shuffle: true, epoch: epoch))
                        {
                            TrainBatch(batch);
                            {|DSL1004:_schedule.Step()|};
                        }
                }

                private void TrainBatch(Batch batch)
                {
                    _model.TrainStep(batch.Features, batch.Labels);
                    if (!_accumulator.Add()) return;
                    _optimizer.Step();
                }
            }
            """),
        new CorpusProgram("ModuloCounterPerMicroBatch",
            "huggingface/diffusers#2632 'Training script lr schedulers configuration not taking into account gradient accumulation correctly'",
            """
            public static class ModuloCounter
            {
                public static void Train(DataSet train, int epochs, int accumSteps)
                {
                    var model = new Net(seed: 73);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = new LinearWarmup(optimizer, warmupSteps: 100);
                    for (var epoch = 0; epoch < epochs; epoch++)
                    {
                        var i = 0;
                        foreach (var batch in train.Batches(16, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels, 1f / accumSteps);
                            if ((i + 1) % accumSteps == 0)
                                optimizer.Step();
                            {|DSL1004:schedule.Step()|};
                            i++;
                        }
                    }
                }
            }
            """),
        new CorpusProgram("AccumulationHorizonCountsMicroBatches",
            "huggingface/accelerate#1170 'Feature Request: have AcceleratedScheduler take into account the gradient accumulation steps automatically'",
            """
            public static class MicroBatchHorizon
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 74);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var accumulator = new GradientAccumulator(model.Parameters, steps: 4);
                    var schedule = new OneCycleLR(optimizer, 1e-3, {|DSL1004:totalSteps: epochs * train.BatchesPerEpoch(16)|});
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(16, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            if (!accumulator.Add()) continue;
                            optimizer.Step();
                            schedule.Step();
                        }
                }
            }
            """),
        new CorpusProgram("SummedLossSyncFlag",
            "pytorch/examples#1196 'add scaler.unscale_(optimizer) before clip_grad_norm_' thread's training loop, where the logged loss is the sum over accumulation steps",
            """
            public static class SummedLoss
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 75);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var accumulator = new GradientAccumulator(model.Parameters, steps: 4);
                    var running = 0.0;
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(16, shuffle: true, epoch: epoch))
                        {
                            running += model.TrainStep(batch.Features, batch.Labels);
                            if (accumulator.Add())
                            {
                                optimizer.Step();
                                Console.WriteLine($"loss {{|DSL2004:running|}:F4}");
                                running = 0;
                            }
                        }
                }
            }
            """),
        new CorpusProgram("SyncFlagCorrect",
            "huggingface/accelerate#999 'Fix scheduler incorrect steps when gradient accumulation enabled' (step the scheduler only when the optimizer stepped)",
            """
            public static class SyncFlagCorrect
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 76);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var accumulator = new GradientAccumulator(model.Parameters, steps: 4);
                    var schedule = new OneCycleLR(optimizer, 1e-3, epochs * train.BatchesPerEpoch(16) / 4);
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(16, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            var sync = accumulator.Add();
                            if (sync)
                            {
                                optimizer.Step(GradClip.NormCoefficient(model.Gradients, 1.0).Coefficient);
                                schedule.Step();
                            }
                        }
                }
            }
            """),
        new CorpusProgram("ModuloCounterCorrect",
            "wandb/senpai#787 'Gradient accumulation 2-step with sqrt LR scaling' (scheduler.step() per optimizer step inside the modulo branch)",
            """
            public static class ModuloCorrect
            {
                public static void Train(DataSet train, int epochs)
                {
                    const int accumSteps = 2;
                    var model = new Net(seed: 77);
                    var optimizer = new AdamW(model.Parameters, lr: 2.1e-3);
                    var schedule = new LinearWarmup(optimizer, warmupSteps: 100);
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var (batch, microStep) in train.Batches(16, shuffle: true, epoch: epoch).Select((b, i) => (b, i)))
                        {
                            model.TrainStep(batch.Features, batch.Labels, 1f / accumSteps);
                            if ((microStep + 1) % accumSteps == 0)
                            {
                                GradClip.ByNorm(model.Gradients, 1.0);
                                optimizer.Step();
                                optimizer.ZeroGrad();
                                schedule.Step();
                            }
                        }
                }
            }
            """),
        new CorpusProgram("GuardCorrect",
            "vllm-project/speculators#859 'Add gradient accumulation for training' (optimizer and LR scheduler stepped once per accumulation window)",
            """
            public static class GuardCorrect
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 78);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var accumulator = new GradientAccumulator(model.Parameters, steps: 4);
                    var schedule = new OneCycleLR(optimizer, 1e-3, epochs * train.BatchesPerEpoch(16) / 4);
                    var running = 0.0;
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(16, shuffle: true, epoch: epoch))
                        {
                            running += model.TrainStep(batch.Features, batch.Labels);
                            if (!accumulator.Add()) continue;
                            optimizer.Step();
                            schedule.Step();
                            Console.WriteLine($"loss {running / 4:F4}");
                            running = 0;
                        }
                }
            }
            """),
        new CorpusProgram("GuardScalerStepPerMicroBatch",
            "huggingface/accelerate#999 'Fix scheduler incorrect steps when gradient accumulation enabled' (mixed precision with accumulation)",
            """
            public static class ScalerAccumulation
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 79);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var scaler = new GradScaler();
                    var accumulator = new GradientAccumulator(model.Parameters, steps: 2);
                    var schedule = new LinearWarmup(optimizer, warmupSteps: 50);
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(16, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels, scaler.Scale);
                            {|DSL1004:schedule.Step()|};
                            if (!accumulator.Add()) continue;
                            scaler.Unscale(optimizer);
                            GradClip.ByNorm(model.Gradients, 1.0);
                            scaler.Step(optimizer);
                            scaler.Update();
                        }
                }
            }
            """),
    };
}
