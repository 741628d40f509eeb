using System.Diagnostics;

namespace DslNet.Kernels.Cpu;

/// <summary>
/// How a fork/join waits for work another kernel thread holds (packing it must finish, tasks it must end): pause
/// instructions only while the wait is short. A yield would hand the core to whatever else is runnable on it, and
/// even a nice-19 process then keeps it for a whole time slice while the step waits. Past <see cref="YieldAfterTicks"/>
/// it yields after all, for when more kernel threads than cores were asked for and the holder needs this core.
/// </summary>
internal struct JoinWait
{
    private static readonly long YieldAfterTicks = Stopwatch.Frequency / 10_000;
    private long _start;

    public void Pause()
    {
        long now = Stopwatch.GetTimestamp();
        if (_start == 0) _start = now;
        if (now - _start < YieldAfterTicks) Thread.SpinWait(16);
        else Thread.Yield();
    }
}
