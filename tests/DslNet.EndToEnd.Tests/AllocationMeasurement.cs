namespace DslNet.EndToEnd.Tests;

/// <summary>
/// The one measurement behind the allocation tests: a training step (forward, loss, backward, clip, AdamW, one-cycle)
/// followed by a Predict call allocates nothing on the calling thread, and at most a small allowance across every thread
/// of the process in the quietest of a few windows.
/// </summary>
internal static class AllocationMeasurement
{
    /// <summary>What the test host's own threads may allocate in one window (they allocate a little now and then).</summary>
    public const long AllThreadsAllowance = 16 * 1024;

    private const int Windows = 5;

    /// <param name="warmupSteps">Steps before measuring: JIT, workspace growth, worker threads and tiered recompilation
    /// (which allocates in the background).</param>
    /// <param name="windowSteps">Steps per measured window.</param>
    public static void AssertStepsAllocateNothing(INetwork model, float[] inputs, float[] labels, int warmupSteps, int windowSteps)
    {
        var optimizer = new AdamW(model.Parameters, lr: 1e-3, weightDecay: 1e-2);
        var schedule = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: warmupSteps + (Windows + 1) * windowSteps);
        var outputs = new float[labels.Length * model.OutputSize];

        void Step()
        {
            model.TrainStep(inputs, labels);
            GradClip.ByNorm(model.Gradients, 1.0);
            optimizer.Step();
            schedule.Step();
            model.Predict(inputs, outputs);
        }

        for (var i = 0; i < warmupSteps; i++) Step();

        var thisThreadBefore = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < windowSteps; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - thisThreadBefore);

        // Every thread: take the quietest of a few windows; a kernel worker that allocated would show in every one.
        var quietest = long.MaxValue;
        for (var window = 0; window < Windows && quietest > AllThreadsAllowance; window++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < windowSteps; i++) Step();
            quietest = Math.Min(quietest, GC.GetTotalAllocatedBytes(precise: true) - before);
        }
        Assert.True(quietest <= AllThreadsAllowance,
            $"{quietest} bytes allocated across threads in the quietest window of {windowSteps} steps");
    }
}
