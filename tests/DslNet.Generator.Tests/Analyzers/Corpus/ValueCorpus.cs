namespace DslNet.Generator.Tests.Analyzers.Corpus;

/// <summary>
/// Corpus programs whose settings come from constants, locals and fields (so that every rule's message is checked to
/// print the value, not the name: <see cref="MessageValueTests"/>), and the shapes the issue lists that the other files
/// had fewer than three of: LINQ over batches, conditional creation stepped with <c>?.Step()</c>, SequentialLR
/// milestones counted in epochs.
/// </summary>
public static class ValueCorpus
{
    public static IEnumerable<CorpusProgram> Programs() => new[]
    {
        // ---------------------------------------------------------------- settings from constants and fields
        new CorpusProgram("PctStartAsPercentConst",
            "pytorch/pytorch#42447 'OneCycleLR argument pct_start used as a proportion not percentage' (the docs said percentage)",
            """
            public static class OneCyclePercent
            {
                private const double WarmupPercent = 30;

                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 101);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: epochs * train.BatchesPerEpoch(64), {|DSL1007:pctStart: WarmupPercent|});
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
        new CorpusProgram("AdamWDecayL2RangeField",
            "mlfoundations/open_clip#32 'Why is Weight decay parameter so large?' (1e-4 is an SGD/L2 value; AdamW's decoupled decay is about 0.1)",
            """
            public sealed class FineTune
            {
                private static readonly double WeightDecay = 1e-4;
                private readonly Net _model = new Net(seed: 102);

                public void Train(DataSet train, int epochs)
                {
                    var optimizer = {|DSL2002:new AdamW(_model.Parameters, lr: 5e-4, weightDecay: WeightDecay)|};
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(128, shuffle: true, epoch: epoch))
                        {
                            _model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                        }
                }
            }
            """),
        new CorpusProgram("Bf16ScalerLocalPrecision",
            "huggingface/accelerate#1036 'do not scale gradient in bf16 mode' (GradScaler only makes sense in fp16)",
            """
            public static class Bf16WithScaler
            {
                public static void Train(DataSet train, int epochs)
                {
                    var precision = Precision.Bf16;
                    var model = new Net(103, Device.Cpu, precision);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var scaler = {|DSL3003:new GradScaler()|};
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels, scaler.Scale);
                            scaler.Unscale(optimizer);
                            scaler.Step(optimizer);
                            scaler.Update();
                        }
                }
            }
            """),
        new CorpusProgram("Fp16LocalPrecisionNoScaler",
            "engichang1467/Open-Rig3R#35 'autocast defaults to fp16 with no GradScaler: gradients can silently underflow to zero'",
            """
            public static class HalfPrecision
            {
                public static void Train(DataSet train, int epochs, bool half)
                {
                    var precision = Precision.Fp16;
                    var model = new Net(104, Device.Cpu, {|DSL3001:precision|});
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                        }
                }
            }
            """),
        new CorpusProgram("ClipAfterStepConstMaxNorm",
            "VGraphRNN/VGRNN#4 'Incorrect use of torch.nn.utils.clip_grad_norm' (called after opt.step(), so it does nothing)",
            """
            public static class LateClip
            {
                private const double MaxGradNorm = 0.5;

                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 105);
                    var optimizer = new Adam(model.Parameters, lr: 1e-3);
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            {|DSL2003:GradClip.ByNorm(model.Gradients, MaxGradNorm)|};
                        }
                }
            }
            """),
        new CorpusProgram("ZeroGradBetweenDecayField",
            "velog.io/@rhss10 'optimizer.zero_grad()는 어디에 넣어주어야 할까' (zero_grad between loss.backward() and optimizer.step() leaves only weight decay)",
            """
            public sealed class DecayOnly
            {
                private readonly double _decay = 0.05;
                private readonly Net _model = new Net(seed: 106);

                public void Train(DataSet train, int epochs)
                {
                    var optimizer = new AdamW(_model.Parameters, lr: 1e-3, weightDecay: _decay);
                    var epoch = 0;
                    while (epoch < epochs)
                    {
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            _model.TrainStep(batch.Features, batch.Labels);
                            optimizer.ZeroGrad();
                            {|DSL2005:optimizer.Step()|};
                        }
                        epoch++;
                    }
                }
            }
            """),
        new CorpusProgram("SummedLossConstAccumulation",
            "piergiaj/pytorch-i3d#44 'Why do you reset the loss every tenth scheduler step...' (losses summed over num_steps_per_update micro-batches)",
            """
            public static class SummedOverSteps
            {
                private const int AccumulationSteps = 8;

                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 107);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var accumulator = new GradientAccumulator(model.Parameters, steps: AccumulationSteps);
                    var loss = 0.0;
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(8, shuffle: true, epoch: epoch))
                        {
                            loss += model.TrainStep(batch.Features, batch.Labels);
                            var sync = accumulator.Add();
                            if (!sync) continue;
                            optimizer.Step();
                            Console.WriteLine($"train loss {{|DSL2004:loss|}:F4}");
                            loss = 0;
                        }
                }
            }
            """),
        new CorpusProgram("ModuloFieldPerMicroBatch",
            "h2oai/h2o-llmstudio#663 '[BUG] Scheduler should consider gradient accumulation while assigning epoch_steps?' (scheduler called for every micro-batch)",
            """
            public sealed class LlmStudioLoop
            {
                private readonly int _accumulation = 10;
                private readonly Net _model = new Net(seed: 108);

                public void Train(DataSet train, int epochs)
                {
                    var optimizer = new AdamW(_model.Parameters, lr: 2e-4);
                    var schedule = new CosineAnnealingLR(optimizer, tMax: epochs * train.BatchesPerEpoch(16) / _accumulation, unit: ScheduleUnit.Batch);
                    for (var epoch = 0; epoch < epochs; epoch++)
                    {
                        var step = 0;
                        foreach (var batch in train.Batches(16, shuffle: true, epoch: epoch))
                        {
                            _model.TrainStep(batch.Features, batch.Labels, 1f / _accumulation);
                            if ((step + 1) % _accumulation == 0)
                                optimizer.Step();
                            {|DSL1004:schedule.Step()|};
                            step++;
                        }
                    }
                }
            }
            """),
        new CorpusProgram("ModuloFieldCorrect",
            "microsoft/Swin-Transformer#185 (optimizer and scheduler both stepped inside 'if (idx + 1) % ACCUMULATION_STEPS == 0')",
            """
            public sealed class SwinLoop
            {
                private readonly int _accumulation = 4;
                private readonly Net _model = new Net(seed: 109);

                public void Train(DataSet train, int epochs)
                {
                    var optimizer = new AdamW(_model.Parameters, lr: 1e-3, weightDecay: 0.05);
                    var schedule = new CosineAnnealingLR(optimizer, tMax: epochs * train.BatchesPerEpoch(32) / _accumulation, unit: ScheduleUnit.Batch);
                    for (var epoch = 0; epoch < epochs; epoch++)
                    {
                        var index = 0;
                        foreach (var batch in train.Batches(32, shuffle: true, epoch: epoch))
                        {
                            _model.TrainStep(batch.Features, batch.Labels, 1f / _accumulation);
                            if ((index + 1) % _accumulation == 0)
                            {
                                optimizer.Step();
                                optimizer.ZeroGrad();
                                schedule.Step();
                            }
                            index++;
                        }
                    }
                }
            }
            """),
        // ---------------------------------------------------------------- conditional creation, stepped with ?.Step()
        new CorpusProgram("ConditionalWarmupStepBeforeOptimizer",
            "discuss.pytorch.org/t/88295 'UserWarning: Detected call of lr_scheduler.step() before optimizer.step()' (linked from h2oai/h2o-llmstudio#663)",
            """
            public static class OptionalWarmup
            {
                public static void Train(DataSet train, int epochs, bool useWarmup)
                {
                    var model = new Net(seed: 110);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    LinearWarmup? warmup = useWarmup ? new LinearWarmup(optimizer, warmupSteps: 500) : null;
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            {|DSL1005:warmup?.Step()|};
                            optimizer.Step();
                        }
                }
            }
            """),
        new CorpusProgram("ConditionalOneCycleCorrect",
            "vturrisi/solo-learn#271 (the step-level schedule built only when the option is on, with step-level horizons)",
            """
            public sealed class RunOptions
            {
                public bool OneCycle { get; init; }
                public int Epochs { get; init; } = 20;
            }

            public static class OptionalOneCycle
            {
                public static void Train(DataSet train, RunOptions options)
                {
                    var model = new Net(seed: 111);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = options.OneCycle ? new OneCycleLR(optimizer, 1e-3, options.Epochs * train.BatchesPerEpoch(64)) : null;
                    for (var epoch = 0; epoch < options.Epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule?.Step();
                        }
                }
            }
            """),
        // ---------------------------------------------------------------- SequentialLR milestones
        new CorpusProgram("SequentialFieldMilestoneInEpochs",
            "facebookresearch/fairchem#177 'Step-wise Scheduler' (lr_milestones and warmup_epochs in epochs had to become steps when the scheduler moved to per-step)",
            """
            public sealed class StepwiseRunner
            {
                private readonly int _warmupEpochs = 3;
                private readonly Net _model = new Net(seed: 112);
                private readonly AdamW _optimizer;
                private readonly SequentialLR _schedule;

                public StepwiseRunner(DataSet train, int epochs)
                {
                    _optimizer = new AdamW(_model.Parameters, lr: 5e-4);
                    var warmupSteps = _warmupEpochs * train.BatchesPerEpoch(32);
                    var warm = new LinearWarmup(_optimizer, warmupSteps);
                    var decay = new CosineAnnealingLR(_optimizer, tMax: epochs * train.BatchesPerEpoch(32) - warmupSteps, unit: ScheduleUnit.Batch);
                    _schedule = new SequentialLR(_optimizer, new ILearningRateScheduler[] { warm, decay }, new[] { {|DSL1002:_warmupEpochs|} });
                }

                public void Fit(DataSet train, int epochs)
                {
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(32, shuffle: true, epoch: epoch))
                        {
                            _model.TrainStep(batch.Features, batch.Labels);
                            _optimizer.Step();
                            OnBatchEnd();
                        }
                }

                private void OnBatchEnd() => _schedule.Step();
            }
            """),
        new CorpusProgram("SequentialMilestoneStepsCorrect",
            "facebookresearch/fairchem#177 (after the change: milestones and warmup counted in steps)",
            """
            public static class StepwiseCorrect
            {
                public static void Train(DataSet train, int epochs)
                {
                    const int warmupEpochs = 2;
                    var model = new Net(seed: 113);
                    var optimizer = new AdamW(model.Parameters, lr: 5e-4);
                    var perEpoch = train.BatchesPerEpoch(32);
                    var warmupSteps = warmupEpochs * perEpoch;
                    var warm = new LinearWarmup(optimizer, warmupSteps);
                    var decay = new CosineAnnealingLR(optimizer, tMax: epochs * perEpoch - warmupSteps, unit: ScheduleUnit.Batch);
                    var schedule = new SequentialLR(optimizer, new ILearningRateScheduler[] { warm, decay }, new[] { warmupSteps });
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
        // ---------------------------------------------------------------- LINQ over batches
        new CorpusProgram("LinqFilteredBatchesEpochHorizon",
            "A4Bio/PiFold#6 'runtime error with batch_size=2' (total steps from the epoch count; the loop filters batches with a comprehension)",
            """
            public static class FilteredBatches
            {
                public static void Train(DataSet train)
                {
                    var epochs = 8;
                    var model = new Net(seed: 114);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = new OneCycleLR(optimizer, 1e-3, {|DSL1002:epochs|});
                    foreach (var epoch in Enumerable.Range(0, epochs))
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch).Where(b => b.Count > 1))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                }
            }
            """),
        new CorpusProgram("LinqForEachSchedulesPerEpoch",
            "Lightning-AI/pytorch-lightning#3205 'OneCycleLR scheduler looks wrong' (a per-step scheduler stepped on the epoch interval)",
            """
            public static class ForEachSchedules
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 115);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedules = new List<ILearningRateScheduler> { new OneCycleLR(optimizer, 1e-3, epochs * train.BatchesPerEpoch(64)) };
                    for (var epoch = 0; epoch < epochs; epoch++)
                    {
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                        }
                        schedules.ForEach(s => {|DSL1001:s.Step()|});
                    }
                }
            }
            """),
        new CorpusProgram("LinqRangeSelectManyCorrect",
            "pytorch/pytorch#91765 (the per-step OneCycleLR loop, with total steps from the batches per epoch), the epochs' batches flattened with SelectMany",
            """
            public static class FlatBatches
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 116);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = new OneCycleLR(optimizer, 1e-3, epochs * train.BatchesPerEpoch(64));
                    foreach (var batch in Enumerable.Range(0, epochs).SelectMany(e => train.Batches(64, shuffle: true, epoch: e)))
                    {
                        model.TrainStep(batch.Features, batch.Labels);
                        optimizer.Step();
                        schedule.Step();
                    }
                }
            }
            """),
        // ---------------------------------------------------------------- two schedules, two phases
        new CorpusProgram("TwoDecaySchedulesSameOptimizer",
            "pytorch/pytorch#64037 'To add SequentialLR to PyTorch Core Schedulers' (schedulers meant for different periods of training)",
            """
            public static class TwoPhases
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 117);
                    var optimizer = new Sgd(model.Parameters, lr: 0.1);
                    var steps = new StepLR(optimizer, stepSize: 10);
                    var cosine = new CosineAnnealingLR(optimizer, tMax: epochs);
                    for (var epoch = 0; epoch < epochs; epoch++)
                    {
                        foreach (var batch in train.Batches(128, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                        }
                        steps.Step();
                        {|DSL1006:cosine.Step()|};
                    }
                }
            }
            """),
    };
}
