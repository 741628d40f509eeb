namespace DslNet.Generator.Tests.Analyzers.Corpus;

/// <summary>Corpus programs about optimizer steps, gradients, evaluation data, precision and the Trainer (DSL2xxx, DSL3xxx).</summary>
public static class OptimizerCorpus
{
    public static IEnumerable<CorpusProgram> Programs() => new[]
    {
        // ---------------------------------------------------------------- ZeroGrad between backward and step
        new CorpusProgram("ZeroGradBetweenBackwardAndStep",
            "velog.io/@rhss10 'optimizer.zero_grad()는 어디에 넣어주어야 할까' (anywhere except between loss.backward() and optimizer.step())",
            """
            public static class ZeroGradMistake
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 81);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.ZeroGrad();
                            {|DSL2005:optimizer.Step()|};
                        }
                }
            }
            """),
        new CorpusProgram("GradientsClearedBeforeFoldedStep",
            "errorcanon.top 'RuntimeError: step() called before loss.backward()' (optimizer stepping on gradients that were never computed or were cleared)",
            """
            public sealed class ClearedGradients
            {
                private readonly Net _model = new Net(seed: 82);

                public void Train(DataSet train, int epochs)
                {
                    var optimizer = new AdamW(_model.Parameters, lr: 1e-3);
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            Backward(batch);
                            _model.Gradients.Clear();
                            {|DSL2005:optimizer.Step(GradClip.NormCoefficient(_model.Gradients, 1.0).Coefficient)|};
                        }
                }

                private void Backward(Batch batch) => _model.TrainStep(batch.Features, batch.Labels);
            }
            """),
        new CorpusProgram("ZeroGradInHelperBetween",
            "theneuralbase.com 'optimizer.zero_grad() — clearing old gradients' (placement of zero_grad relative to backward and step)",
            """
            public sealed class ResetHelper
            {
                private readonly Net _model = new Net(seed: 83);
                private readonly AdamW _optimizer;

                public ResetHelper() => _optimizer = new AdamW(_model.Parameters, lr: 1e-3);

                public void Train(DataSet train, int epochs)
                {
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(32, shuffle: true, epoch: epoch))
                        {
                            _model.TrainStep(batch.Features, batch.Labels);
                            ResetGradients();
                            {|DSL2005:_optimizer.Step()|};
                        }
                }

                private void ResetGradients() => _optimizer.ZeroGrad();
            }
            """),
        new CorpusProgram("ZeroGradFirstCorrect",
            "runebook.dev 'Mastering PyTorch: A Guide to zero_grad()' (zero the gradients at the start of each iteration)",
            """
            public static class ZeroGradFirst
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 84);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            optimizer.ZeroGrad();
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                        }
                }
            }
            """),
        new CorpusProgram("ZeroGradLastCorrect",
            "preproom.ai 'Model training in PyTorch' (step, then zero the gradients for the next iteration)",
            """
            public static class ZeroGradLast
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 85);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            optimizer.ZeroGrad();
                        }
                }
            }
            """),
        new CorpusProgram("RepeatedStepsOneBackward",
            "errorcanon.top 'RuntimeError: step() called before loss.backward()' (stepping repeatedly on the gradients of one backward pass)",
            """
            public static class RepeatedSteps
            {
                public static void Train(DataSet train)
                {
                    var model = new Net(seed: 86);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    model.TrainStep(train.Features, train.Labels);
                    for (var i = 0; i < 5; i++)
                        {|DSL2005:optimizer.Step(GradClip.NormCoefficient(model.Gradients, 1.0).Coefficient)|};
                }
            }
            """),
        // ---------------------------------------------------------------- evaluation data trained on
        new CorpusProgram("DevSetTrainStep",
            "flairNLP/flair#2954 (train_with_dev / train_with_test change what the trainer iterates)",
            """
            public static class DevReport
            {
                public static double Report(Net model, DataSet dev)
                {
                    var total = 0.0;
                    var batches = 0;
                    foreach (var batch in dev.Batches(256, shuffle: false))
                    {
                        total += {|DSL2006:model.TrainStep(batch.Features, batch.Labels)|};
                        batches++;
                    }
                    return total / batches;
                }
            }
            """),
        new CorpusProgram("HoldoutBatchesLocal",
            "PyTorch forums thread 'Model.eval() vs torch.no_grad() for validation' (computing the validation loss with the training forward)",
            """
            public static class Holdout
            {
                public static double Score(Net model, DataSet holdout)
                {
                    var holdoutBatches = holdout.Batches(128, shuffle: false);
                    var loss = 0.0;
                    foreach (var b in holdoutBatches)
                        loss += {|DSL2006:model.TrainStep(b.Features, b.Labels)|};
                    return loss;
                }
            }
            """),
        new CorpusProgram("TestSetThroughHelper",
            "flairNLP/flair#2954 'Error in trainer when schedule is OneCyclelr' (test data reaching the training path)",
            """
            public sealed class Pipeline
            {
                private readonly Net _model = new Net(seed: 87);

                public void Run(DataSet train, DataSet testSet)
                {
                    var optimizer = new AdamW(_model.Parameters, lr: 1e-3);
                    foreach (var batch in train.Batches(64, shuffle: true))
                    {
                        _model.TrainStep(batch.Features, batch.Labels);
                        optimizer.Step();
                    }
                    Console.WriteLine(MeanLoss(testSet));
                }

                private double MeanLoss(DataSet data)
                {
                    var sum = 0.0;
                    foreach (var batch in data.Batches(512, shuffle: false))
                        sum += {|DSL2006:_model.TrainStep(batch.Features, batch.Labels)|};
                    return sum / data.BatchesPerEpoch(512);
                }
            }
            """),
        new CorpusProgram("ValidateMethod",
            "PyTorch forums thread 'Model.eval() vs torch.no_grad() for validation' (a validate() function that runs the training step)",
            """
            public static class Validation
            {
                public static double Validate(Net model, DataSet data)
                {
                    var loss = 0.0;
                    foreach (var batch in data.Batches(256, shuffle: false))
                        loss += {|DSL2006:model.TrainStep(batch.Features, batch.Labels)|};
                    return loss;
                }
            }
            """),
        new CorpusProgram("TrainValRefitCorrect",
            "flairNLP/flair#2954 (train_with_dev: a final fit on train + dev, which is training, not evaluation)",
            """
            public static class Refit
            {
                public static Net FinalFit(DataSet trainVal, int epochs)
                {
                    var model = new Net(seed: 88);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var schedule = new OneCycleLR(optimizer, 1e-3, epochs * trainVal.BatchesPerEpoch(64));
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in trainVal.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                        }
                    return model;
                }
            }
            """),
        new CorpusProgram("DevEvaluateLossCorrect",
            "PyTorch forums thread 'Model.eval() vs torch.no_grad() for validation' (the answer: evaluation mode, no gradients)",
            """
            public static class DevCorrect
            {
                public static double Report(Net model, DataSet dev)
                {
                    var total = 0.0;
                    foreach (var batch in dev.Batches(256, shuffle: false))
                        total += model.EvaluateLoss(batch.Features, batch.Labels);
                    return total / dev.BatchesPerEpoch(256);
                }
            }
            """),
        new CorpusProgram("TrainAndDevCorrect",
            "flairNLP/flair#2954 (train_with_dev=True merges dev into the training data)",
            """
            public static class Merged
            {
                public static void Fit(DataSet trainAndDev)
                {
                    var model = new Net(seed: 89);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    foreach (var batch in trainAndDev.Batches(64, shuffle: true))
                    {
                        model.TrainStep(batch.Features, batch.Labels);
                        optimizer.Step();
                    }
                }
            }
            """),
        // ---------------------------------------------------------------- the Trainer path and precision
        new CorpusProgram("TrainerFp16LossScalingOff",
            "engichang1467/Open-Rig3R#35 'autocast defaults to fp16 with no GradScaler — gradients can silently underflow to zero'",
            """
            public static class HalfTrainer
            {
                public static TrainingHistory Fit(DataSet train, DataSet val)
                {
                    var model = new Net(1, Device.Cpu, Precision.Fp16);
                    var trainer = new Trainer(model, new TrainerOptions { Epochs = 5, {|DSL3001:LossScaling = false|} });
                    return trainer.Fit(train, val);
                }
            }
            """),
        new CorpusProgram("TrainerFp16DefaultOptions",
            "lucidrains/imagen-pytorch#129 'fp16 causes loss to be nan?' (fp16=True in the trainer without anything else configured)",
            """
            public static class HalfDefaults
            {
                public static TrainingHistory Fit(DataSet train)
                {
                    var model = new Net(seed: 2, device: Device.Cpu, precision: Precision.Fp16);
                    var options = new TrainerOptions { BatchSize = 256, Epochs = 3 };
                    return {|DSL3001:new Trainer(model, options)|}.Fit(train);
                }
            }
            """),
        new CorpusProgram("TrainerFp16FieldModel",
            "engichang1467/Open-Rig3R#35 (fp16 configured far from the training call)",
            """
            public sealed class HalfService
            {
                private readonly Net _model;

                public HalfService(Device device) => _model = new Net(3, device, Precision.Fp16);

                public TrainingHistory Train(DataSet train) =>
                    new Trainer(_model, new TrainerOptions { {|DSL3001:LossScaling = false|}, ClipNorm = 1.0 }).Fit(train);
            }
            """),
        new CorpusProgram("TrainerFp16ScalingCorrect",
            "pytorch/pytorch#26512 'Gradient scaling API' (fp16 with dynamic loss scaling)",
            """
            public static class HalfCorrect
            {
                public static TrainingHistory Fit(DataSet train, DataSet val)
                {
                    var model = new Net(1, Device.Cpu, Precision.Fp16);
                    return new Trainer(model, new TrainerOptions { Epochs = 5, LossScaling = true }).Fit(train, val);
                }
            }
            """),
        new CorpusProgram("TrainerFp16OptionsFromHelper",
            "pytorch/pytorch#26512 'Gradient scaling API' (the scaler switched on by a configuration helper, far from the trainer)",
            """
            public static class HalfFromHelper
            {
                private static TrainerOptions Recipe(int epochs, bool lossScaling) => new() { Epochs = epochs, LossScaling = lossScaling };

                public static TrainingHistory Fit(DataSet train, TrainerOptions? given)
                {
                    var model = new Net(1, Device.Cpu, Precision.Fp16);
                    new Trainer(model, given).Fit(train);
                    return new Trainer(model, Recipe(5, lossScaling: true)).Fit(train);
                }
            }
            """),
        new CorpusProgram("TrainerFp16OptionsHelperWithoutScaling",
            "pytorch/pytorch#26512 'Gradient scaling API' (a configuration helper that builds the options and leaves the scaler off)",
            """
            public static class HalfRecipe
            {
                private static TrainerOptions Recipe(int epochs) => new() { Epochs = epochs, {|DSL3001:LossScaling = false|} };

                private static TrainerOptions Quick() => new() { Epochs = 1 };

                public static void Fit(DataSet train)
                {
                    var model = new Net(1, Device.Cpu, Precision.Fp16);
                    new Trainer(model, Recipe(5)).Fit(train);
                    {|DSL3001:new Trainer(model, Quick())|}.Fit(train);
                }
            }
            """),
        new CorpusProgram("TrainerBf16Correct",
            "engichang1467/Open-Rig3R#35 (the fix suggested there: bf16 needs no scaler)",
            """
            public static class Bf16Trainer
            {
                public static TrainingHistory Fit(DataSet train)
                {
                    var model = new Net(1, Device.Cpu, Precision.Bf16);
                    return new Trainer(model, new TrainerOptions { Epochs = 5, LossScaling = false }).Fit(train);
                }
            }
            """),
        new CorpusProgram("TrainerFp32Correct",
            "pytorch/pytorch#40497 'Mixed precision causes NaN loss' (falling back to fp32 training)",
            """
            public static class Fp32Trainer
            {
                public static TrainingHistory Fit(DataSet train, DataSet val)
                {
                    var model = new Net(seed: 4);
                    return new Trainer(model, new TrainerOptions { Epochs = 10 }).Fit(train, val);
                }
            }
            """),
        new CorpusProgram("ManualFp16WithoutScaler",
            "engichang1467/Open-Rig3R#35 'autocast defaults to fp16 with no GradScaler'",
            """
            public static class ManualHalf
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(1, Device.Cpu, {|DSL3001:precision: Precision.Fp16|});
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
        new CorpusProgram("ClipBeforeUnscale",
            "milesial/Pytorch-UNet#468 'Gradients are clipped before the unscaling'",
            """
            public static class ClipScaled
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(1, Device.Cpu, Precision.Fp16);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var scaler = new GradScaler();
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels, scaler.Scale);
                            {|DSL2003:GradClip.ByNorm(model.Gradients, 1.0)|};
                            scaler.Step(optimizer);
                            scaler.Update();
                        }
                }
            }
            """),
        new CorpusProgram("UnscaleThenClipCorrect",
            "milesial/Pytorch-UNet#470 'Unscale gradients before clipping'",
            """
            public static class UnscaleFirst
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(1, Device.Cpu, Precision.Fp16);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var scaler = new GradScaler();
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels, scaler.Scale);
                            scaler.Unscale(optimizer);
                            GradClip.ByNorm(model.Gradients, 1.0);
                            scaler.Step(optimizer);
                            scaler.Update();
                        }
                }
            }
            """),
        new CorpusProgram("ClipAfterStep",
            "Deci-AI/super-gradients#653 'Fix grad clipping stage + upscale gradients before clipping' (clipping done at the wrong stage)",
            """
            public static class ClipLate
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 90);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            {|DSL2003:GradClip.ByNorm(model.Gradients, maxNorm: 1.0)|};
                        }
                }
            }
            """),
        // ---------------------------------------------------------------- optimizer settings (messages print values)
        new CorpusProgram("AdamWeightDecayConstLocal",
            "PyTorch forums thread 'AdamW and Adam with weight decay' (Loshchilov & Hutter's decoupled weight decay vs Adam's L2)",
            """
            public static class AdamDecay
            {
                public static void Train(DataSet train)
                {
                    const double weightDecay = 0.01;
                    var model = new Net(seed: 91);
                    var optimizer = {|DSL2001:new Adam(model.Parameters, lr: 1e-3, weightDecay: weightDecay)|};
                    foreach (var batch in train.Batches(64, shuffle: true))
                    {
                        model.TrainStep(batch.Features, batch.Labels);
                        optimizer.Step();
                    }
                }
            }
            """),
        new CorpusProgram("AdamWeightDecayField",
            "PyTorch forums thread 'AdamW and Adam with weight decay' (weight_decay=5e-4 copied from an SGD recipe into Adam)",
            """
            public sealed class Recipe
            {
                private readonly double _decay = 5e-4;

                public Optimizer Build(Net model) => {|DSL2001:new Adam(model.Parameters, lr: 3e-4, weightDecay: _decay)|};
            }
            """),
        new CorpusProgram("AdamWDecayCorrect",
            "PyTorch forums thread 'AdamW and Adam with weight decay' (the answer: AdamW with about 1e-2)",
            """
            public static class AdamWCorrect
            {
                public static void Train(DataSet train)
                {
                    var weightDecay = 1e-2;
                    var model = new Net(seed: 92);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3, weightDecay: weightDecay);
                    foreach (var batch in train.Batches(64, shuffle: true))
                    {
                        model.TrainStep(batch.Features, batch.Labels);
                        optimizer.Step();
                    }
                }
            }
            """),
        new CorpusProgram("TrainerCallbackCorrect",
            "Keras callbacks (on_batch_end / on_epoch_end hooks); the Trainer steps the schedule itself",
            """
            public static class CallbackCorrect
            {
                public static TrainingHistory Fit(DataSet train, DataSet val)
                {
                    var model = new Net(seed: 93);
                    var trainer = new Trainer(model, new TrainerOptions
                    {
                        Epochs = 4,
                        Callbacks = new ITrainerCallback[] { new TrainerCallback { BatchEnd = context => Console.WriteLine(context.LearningRate) } },
                    });
                    return trainer.Fit(train, val);
                }
            }
            """),
        new CorpusProgram("ScalerStepAfterSchedule",
            "PyTorch forums thread 'Optimizer.step() before lr_scheduler.step() error using GradScaler' (the scheduler stepped ahead of scaler.step(optimizer))",
            """
            public static class ScalerOrder
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(1, Device.Cpu, Precision.Fp16);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var scaler = new GradScaler();
                    var schedule = new OneCycleLR(optimizer, 1e-3, epochs * train.BatchesPerEpoch(64));
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels, scaler.Scale);
                            {|DSL1005:schedule.Step()|};
                            scaler.Step(optimizer);
                            scaler.Update();
                        }
                }
            }
            """),
        new CorpusProgram("LinqIndexedBatchesEpochHorizon",
            "Tony-Y/pytorch_warmup#14 (for i, (input, target) in enumerate(train_loader) with a cosine T_max in epochs)",
            """
            public static class IndexedBatches
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(seed: 94);
                    var optimizer = new Sgd(model.Parameters, lr: 0.05);
                    var schedule = new CosineAnnealingLR(optimizer, {|DSL1002:tMax: epochs|});
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var (batch, i) in train.Batches(64, shuffle: true, epoch: epoch).Select((b, i) => (b, i)))
                        {
                            model.TrainStep(batch.Features, batch.Labels);
                            optimizer.Step();
                            schedule.Step();
                            if (i % 100 == 0) Console.WriteLine(optimizer.LearningRate);
                        }
                }
            }
            """),
        new CorpusProgram("TrainerStepLrEpochsCorrect",
            "runebook.dev 'Demystifying PyTorch Learning Rate Schedulers' (StepLR with step_size in epochs, stepped per epoch)",
            """
            public static class TrainerStepDecayCorrect
            {
                public static TrainingHistory Fit(DataSet train)
                {
                    var model = new Net(seed: 95);
                    return new Trainer(model, new TrainerOptions
                    {
                        Epochs = 30,
                        Schedule = (optimizer, context) => new StepLR(optimizer, stepSize: Math.Max(1, context.Epochs / 3)),
                    }).Fit(train);
                }
            }
            """),
        new CorpusProgram("ScalerLoopCorrect",
            "pytorch/pytorch#26512 'Gradient scaling API' (scale, backward, unscale, clip, step, update, then the scheduler)",
            """
            public static class ScalerCorrect
            {
                public static void Train(DataSet train, int epochs)
                {
                    var model = new Net(1, Device.Cpu, Precision.Fp16);
                    var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                    var scaler = new GradScaler();
                    var schedule = new OneCycleLR(optimizer, 1e-3, epochs * train.BatchesPerEpoch(64));
                    for (var epoch = 0; epoch < epochs; epoch++)
                        foreach (var batch in train.Batches(64, shuffle: true, epoch: epoch))
                        {
                            model.TrainStep(batch.Features, batch.Labels, scaler.Scale);
                            scaler.Unscale(optimizer);
                            GradClip.ByNorm(model.Gradients, 1.0);
                            scaler.Step(optimizer);
                            scaler.Update();
                            schedule.Step();
                        }
                }
            }
            """),
    };
}
