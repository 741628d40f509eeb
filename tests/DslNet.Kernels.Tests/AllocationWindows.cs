using DslNet.Kernels.Cpu;

namespace DslNet.Kernels.Tests;

/// <summary>
/// Measures that repeated steps allocate nothing, on the threads that run them and across the process. The calling
/// thread and the pool's workers are measured exactly and must allocate 0 bytes in every window. The process-wide
/// figure is the catch-all for any other thread a kernel might use, but it also counts the test host's own threads,
/// which allocate whether or not the step does: a flaky failure (672 bytes in one full-suite run, 840 in a
/// reproduction with the whole assembly on a loaded machine) came only when earlier tests of the same process had
/// run, never with a test alone, and no kernel starts a thread, timer or thread-pool item. So the catch-all is the
/// quietest of up to 20 windows; an allocation in the step itself (one object per step at least) shows in every one.
/// </summary>
internal static class AllocationWindows
{
    public static void AssertStepsAllocateNothing(Action<long> step, int stepsPerWindow, long processAllowance = 512)
    {
        long quietest = long.MaxValue;
        for (int attempt = 0; attempt < 20 && quietest >= processAllowance; attempt++)
        {
            long thread = GC.GetAllocatedBytesForCurrentThread();
            long workers = WorkerPool.WorkerAllocatedBytes();
            long total = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < stepsPerWindow; i++)
            {
                step(i);
            }

            long totalDelta = GC.GetTotalAllocatedBytes(precise: true) - total;
            long threadDelta = GC.GetAllocatedBytesForCurrentThread() - thread;
            long workerDelta = WorkerPool.WorkerAllocatedBytes() - workers;
            Assert.True(threadDelta == 0, $"calling thread allocated {threadDelta} bytes during {stepsPerWindow} steps");
            Assert.True(workerDelta == 0, $"worker threads allocated {workerDelta} bytes during {stepsPerWindow} steps");
            quietest = Math.Min(quietest, totalDelta);
        }

        Assert.True(quietest < processAllowance, $"process allocated {quietest} bytes during {stepsPerWindow} steps");
    }
}
