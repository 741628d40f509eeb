using System.Runtime.CompilerServices;

namespace DslNet.Kernels.Cpu;

/// <summary>One task of a job split for <see cref="CpuParallel.For{TTasks}"/>.</summary>
public interface IParallelTasks
{
    void Run(int task);
}

/// <summary>
/// The kernels' fork/join on <see cref="CpuThreads.Count"/> threads, for passes outside this assembly (the optimizers):
/// the persistent worker pool, no allocation per call, the calling thread takes tasks too.
/// </summary>
public static unsafe class CpuParallel
{
    /// <summary>Runs <c>tasks.Run(t)</c> for every t in [0, <paramref name="count"/>), on the calling thread alone
    /// when one kernel thread is configured. Tasks must touch disjoint data.</summary>
    public static void For<TTasks>(TTasks tasks, int count)
        where TTasks : struct, IParallelTasks
    {
        int threads = Math.Min(CpuThreads.Count, count);
        if (threads <= 1)
        {
            for (int task = 0; task < count; task++) tasks.Run(task);
            return;
        }

        // The copy lives on this frame for the whole fork/join, so the pointer the workers receive stays valid.
        WorkerPool.Run(&RunTask<TTasks>, Unsafe.AsPointer(ref tasks), count, threads);
    }

    private static void RunTask<TTasks>(void* context, int task, int thread)
        where TTasks : struct, IParallelTasks =>
        Unsafe.AsRef<TTasks>(context).Run(task);
}
