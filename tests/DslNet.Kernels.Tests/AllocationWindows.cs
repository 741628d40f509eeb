using DslNet.Kernels.Cpu;

namespace DslNet.Kernels.Tests;

/// <summary>
/// Measures that repeated steps allocate nothing, on the threads that run them and across the process. The calling
/// thread and the pool's workers are measured exactly and must allocate 0 bytes in every window. The process-wide
/// figure is the catch-all for any other thread a kernel might use; it also counts other tests' threads and the test
/// host's own (its reporting), which allocate whether or not the step does: it failed with 672–6,888 bytes in
/// 100-step windows on a loaded machine, mostly with other tests running beside it. So its tests run alone
/// (<see cref="AllocationCollection"/>), the windows are short (a few steps: fewer of the host's periodic allocations
/// fall into one), and the catch-all is the quietest of up to 20 windows; an allocation in the step itself (one object
/// per step at least) shows in every one.
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

/// <summary>
/// The process-wide count includes every thread, so the tests that read it run in a collection of their own that xUnit
/// runs alone, after the parallel ones: no other test allocates during their windows.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "Allocation measurements";
}
