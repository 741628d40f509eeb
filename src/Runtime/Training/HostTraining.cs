namespace DslNet;

/// <summary>
/// The batch loop of the host path: a training step per (micro-)batch and, every <see cref="TrainerOptions.AccumulationSteps"/>
/// of them, one optimizer step: averaged over the ranks, unscaled, clipped (the norm recorded before clipping), stepped,
/// the scaler updated, a per-batch schedule stepped. <see cref="DeviceResidentTraining"/> is its device counterpart.
/// </summary>
internal sealed class HostTraining(INetwork model, Optimizer optimizer, TrainerOptions options, GradScaler? scaler,
    GradientAccumulator? accumulator, DistributedTraining? distributed)
{
    private readonly double _clipNorm = options.ClipNorm ?? double.PositiveInfinity;

    /// <summary>One epoch's batches; returns the sum of loss × rows and the optimizer steps taken.</summary>
    public (double LossSum, int Steps) RunEpoch(DataSet train, int epoch, TrainingContext context, List<ITrainerCallback> callbacks,
        ILearningRateScheduler? schedule)
    {
        double epochLossSum = 0, microLossSum = 0;
        var epochSteps = 0;
        accumulator?.Reset();
        var batches = distributed?.Batches(train, epoch - 1)
            ?? train.Batches(options.BatchSize, options.Shuffle, options.Seed, epoch - 1, options.DropLast);
        foreach (var batch in batches)
        {
            var loss = scaler is null
                ? model.TrainStep(batch.Features, batch.Labels)
                : model.TrainStep(batch.Features, batch.Labels, scaler.Scale);
            context.MicroBatchDone(batch.Count, loss);
            epochLossSum += (double)loss * batch.Count;
            microLossSum += loss;
            for (var c = 0; c < callbacks.Count; c++) callbacks[c].OnMicroBatchEnd(context);
            if (accumulator is not null && !accumulator.Add()) continue;

            var stepLoss = microLossSum / options.AccumulationSteps;
            microLossSum = 0;
            OptimizerStep(stepLoss, context, schedule);
            epochSteps++;
            for (var c = 0; c < callbacks.Count; c++) callbacks[c].OnBatchEnd(context);
            if (distributed is not null && distributed.AnyStop(context.StopRequested))
                context.RequestStop("a callback on another rank requested a stop");
            if (context.StopRequested) break;
        }

        return (epochLossSum, epochSteps);
    }

    // One optimizer step: average over ranks, unscale, clip (recording the norm before clipping), step, update, schedule.
    // Across ranks: the buckets the backward pass started are awaited, the rest started and awaited; with accumulation
    // the accumulated mean is averaged once (DDP's no_sync on the micro-batches before it).
    private void OptimizerStep(double stepLoss, TrainingContext context, ILearningRateScheduler? schedule)
    {
        distributed?.Synchronizer.Synchronize();
        if (distributed is not null) stepLoss = distributed.MeanLoss(stepLoss);
        var learningRate = optimizer.LearningRate;
        var momentum = optimizer.Momentum;
        double norm;
        if (scaler is null)
        {
            // Clipping folded into the optimizer's pass: the same update as ByNorm, then Step.
            (norm, var clip) = GradClip.NormCoefficient(model.Gradients, _clipNorm);
            optimizer.Step(clip);
        }
        else
        {
            scaler.Unscale(optimizer);
            norm = GradClip.ByNorm(model.Gradients, _clipNorm);
            scaler.Step(optimizer);
            scaler.Update();
        }

        if (schedule?.Unit == ScheduleUnit.Batch) schedule.Step();
        context.OptimizerStepDone(stepLoss, learningRate, momentum, norm);
    }
}
