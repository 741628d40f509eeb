namespace DslNet;

/// <summary>
/// <see cref="TrainerOptions.MonitorInterval"/>: after each <c>TrainStep</c> the monitor gathered on, copies its
/// activation and gradient statistics into the history as one snapshot.
/// </summary>
internal sealed class MonitorSnapshots(NetworkMonitor monitor, TrainingHistory history) : ITrainerCallback
{
    private long _lastStep = -1;

    public void OnMicroBatchEnd(TrainingContext context)
    {
        // TrainStep counts itself: the step it just ran is one before the model's count.
        if (!monitor.Gathers(context.Model.StepCount - 1)) return;
        var step = _lastStep;
        foreach (var a in monitor.Activations) if (a is not null) step = Math.Max(step, a.Step);
        foreach (var g in monitor.Gradients) if (g is not null) step = Math.Max(step, g.Step);
        if (step == _lastStep) return;
        history.AddSnapshot(new MonitorSnapshot(step, context.Epoch,
            monitor.Activations.Where(a => a is not null && a.Step == step).Select(a => a!).ToArray(),
            monitor.Gradients.Where(g => g is not null && g.Step == step).Select(g => g!).ToArray()));
        _lastStep = step;
    }
}
