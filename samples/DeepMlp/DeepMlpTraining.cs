using System.Diagnostics;
using System.Globalization;
using DslNet.Kernels.Cpu;
using DslNet.Samples.StreamRec;

namespace DslNet.Samples.DeepMlp;

/// <summary>One model's run: validation AUC per epoch, training throughput, and the weight-gradient norm of each block.</summary>
public sealed record DeepRun(string Name, double[] ValidationAuc, double SamplesPerSecond, double[] GradientNormByDepth)
{
    public double FinalAuc => ValidationAuc[^1];
}

/// <summary>
/// The StreamRec recipe (AdamW lr 1e-3, weight decay 1e-2, one-cycle per batch, clipping at norm 1, batches of 512) on
/// a deep network. The gradient norms are taken over the first <see cref="GradientSteps"/> steps, before clipping: the
/// vanishing-gradient picture at the start of training, where it decides whether the deep blocks learn at all.
/// </summary>
public static class DeepMlpTraining
{
    public const int GradientSteps = 50;

    public static DeepRun Train(string name, INetwork model, DataSet train, DataSet validation, StreamRecOptions options, TextWriter log)
    {
        var optimizer = new AdamW(model.Parameters, lr: options.MaxLearningRate, weightDecay: options.WeightDecay);
        var dropLast = train.Rows % options.BatchSize == 1;
        var steps = train.BatchesPerEpoch(options.BatchSize, dropLast);
        var schedule = new OneCycleLR(optimizer, maxLr: options.MaxLearningRate, totalSteps: options.Epochs * steps,
            pctStart: options.PctStart, divFactor: options.DivFactor, finalDivFactor: options.FinalDivFactor);
        var norms = new double[DeepMlpModels.Depth];
        var logits = new float[validation.Rows];
        var aucs = new double[options.Epochs];
        long samples = 0;
        var clock = new Stopwatch();
        var step = 0;
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            clock.Start();
            foreach (var batch in train.Batches(options.BatchSize, shuffle: true, seed: options.Seed, epoch: epoch, dropLast: dropLast))
            {
                model.TrainStep(batch.Features, batch.Labels);
                if (step < GradientSteps) AddGradientNorms(model, norms);
                optimizer.Step(GradClip.NormCoefficient(model.Gradients, options.ClipNorm).Coefficient);
                schedule.Step();
                samples += batch.Count;
                step++;
            }
            clock.Stop();

            model.Predict(validation.Features, logits);
            aucs[epoch] = Metrics.RocAuc(logits, validation.Labels);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-9} epoch {epoch + 1}  val_auc {aucs[epoch]:F4}  {samples / clock.Elapsed.TotalSeconds,8:F0} samples/s"));
        }

        for (var d = 0; d < norms.Length; d++) norms[d] /= Math.Min(step, GradientSteps);
        return new DeepRun(name, aucs, samples / clock.Elapsed.TotalSeconds, norms);
    }

    private static void AddGradientNorms(INetwork model, double[] norms)
    {
        for (var depth = 1; depth <= norms.Length; depth++)
        {
            var sum = 0.0;
            foreach (var g in model.Gradients[DeepMlpModels.WeightName(depth)].Span) sum += (double)g * g;
            norms[depth - 1] += Math.Sqrt(sum);
        }
    }

    /// <summary>Sets the kernel threads when asked (the StreamRec sample's --threads).</summary>
    public static void UseThreads(int? threads)
    {
        if (threads is { } count) CpuThreads.Count = count;
    }
}
