using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace DslNet.Kernels.Cpu;

/// <summary>
/// A persistent pool for fork-join kernels: workers are created once and run a job described by a function pointer
/// and a context pointer, so dispatch allocates nothing. Tasks are claimed dynamically, which keeps both cores busy
/// even when one of them is briefly taken by another process. A worker joins a job only while it is open (a CAS on
/// <see cref="jobState"/>); the caller closes the job once every task is claimed and waits just for the workers
/// that joined, so a worker the OS has not scheduled yet never delays the caller, and the context may live on the
/// caller's stack.
/// </summary>
internal static unsafe class WorkerPool
{
    private static readonly object Gate = new();
    private static Worker[] workers = [];
    private static delegate*<void*, int, int, void> jobBody;
    private static void* jobContext;
    private static int jobTasks;
    private static int nextTask;
    private const int Open = 1 << 30;

    // Open flag | number of workers inside the current job.
    private static int jobState;
    private static Exception? jobFailure;

    /// <summary>Runs <paramref name="body"/>(context, task, threadIndex) for every task in [0, tasks) on up to
    /// <paramref name="threads"/> threads; threadIndex 0 is the caller.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(delegate*<void*, int, int, void> body, void* context, int tasks, int threads)
    {
        int helpers = Math.Min(threads, tasks) - 1;
        // A second caller (tests run in parallel, a user's own threads) must not wait for the pool, and a job started
        // from inside a task (a kernel within one share of a split inference) must not reenter it: both run alone.
        if (helpers <= 0 || Monitor.IsEntered(Gate) || !Monitor.TryEnter(Gate))
        {
            for (int task = 0; task < tasks; task++)
            {
                body(context, task, 0);
            }

            return;
        }

        try
        {
            EnsureWorkers(helpers);
            jobBody = body;
            jobContext = context;
            jobTasks = tasks;
            jobFailure = null;
            Volatile.Write(ref nextTask, 0);
            Interlocked.Exchange(ref jobState, Open);
            for (int i = 0; i < helpers; i++)
            {
                workers[i].Post();
            }

            try
            {
                Drain(0);
            }
            catch (Exception e)
            {
                // Workers may still hold the context pointer: record, wait for them, then rethrow.
                jobFailure ??= e;
                Volatile.Write(ref nextTask, int.MaxValue / 2);
            }

            Interlocked.And(ref jobState, ~Open);
            var wait = default(JoinWait);
            while (Volatile.Read(ref jobState) != 0)
            {
                wait.Pause();
            }

            if (jobFailure is { } failure)
            {
                ExceptionDispatchInfo.Throw(failure);
            }
        }
        finally
        {
            jobContext = null;
            Monitor.Exit(Gate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Drain(int threadIndex)
    {
        int task;
        while ((task = Interlocked.Increment(ref nextTask) - 1) < jobTasks)
        {
            jobBody(jobContext, task, threadIndex);
        }
    }

    /// <summary>Bytes the workers have allocated on the managed heap so far (tests hold this at zero growth).</summary>
    internal static long WorkerAllocatedBytes()
    {
        long total = 0;
        foreach (var worker in Volatile.Read(ref workers))
        {
            total += Volatile.Read(ref worker.AllocatedBytes);
        }

        return total;
    }

    private static void EnsureWorkers(int helpers)
    {
        if (workers.Length >= helpers)
        {
            return;
        }

        var grown = new Worker[helpers];
        workers.CopyTo(grown, 0);
        for (int i = workers.Length; i < helpers; i++)
        {
            grown[i] = new Worker(i + 1);
        }

        workers = grown;
    }

    private sealed class Worker
    {
        // Long enough to stay awake between the GEMMs of one training step, short enough not to burn a core when idle.
        private static readonly long SpinTicks = Stopwatch.Frequency / 5000;
        private readonly ManualResetEventSlim wake = new(false, 0);
        private readonly int index;
        private int ticket;
        private int sleeping;
        public long AllocatedBytes;

        public Worker(int index)
        {
            this.index = index;
            var thread = new Thread(Loop, 256 * 1024) { IsBackground = true, Name = $"DslNet CPU worker {index}" };
            thread.Start();
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static bool TryJoin()
        {
            while (true)
            {
                int state = Volatile.Read(ref jobState);
                if ((state & Open) == 0)
                {
                    return false;
                }

                if (Interlocked.CompareExchange(ref jobState, state + 1, state) == state)
                {
                    return true;
                }
            }
        }

        public void Post()
        {
            Interlocked.Increment(ref ticket);
            if (Volatile.Read(ref sleeping) != 0)
            {
                wake.Set();
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Loop()
        {
            int seen = 0;
            while (true)
            {
                long spinStart = Stopwatch.GetTimestamp();
                while (Volatile.Read(ref ticket) == seen)
                {
                    if (Stopwatch.GetTimestamp() - spinStart < SpinTicks)
                    {
                        Thread.SpinWait(16);
                        continue;
                    }

                    // Publish "asleep" before the last look at the ticket; Post reads them in the opposite order.
                    Interlocked.Exchange(ref sleeping, 1);
                    if (Volatile.Read(ref ticket) == seen)
                    {
                        wake.Wait();
                    }

                    wake.Reset();
                    Interlocked.Exchange(ref sleeping, 0);
                    spinStart = Stopwatch.GetTimestamp();
                }

                seen = Volatile.Read(ref ticket);
                if (!TryJoin())
                {
                    continue;
                }

                try
                {
                    Drain(index);
                }
                catch (Exception e)
                {
                    jobFailure ??= e;
                    Volatile.Write(ref nextTask, int.MaxValue / 2);
                }

                Volatile.Write(ref AllocatedBytes, GC.GetAllocatedBytesForCurrentThread());
                Interlocked.Decrement(ref jobState);
            }
        }
    }
}
