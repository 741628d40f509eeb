namespace DslNet.Kernels.Cpu;

/// <summary>How many threads CPU kernels use, the calling thread included. 1 means single-threaded.</summary>
public static class CpuThreads
{
    private static int count = Environment.ProcessorCount;

    public static int Count
    {
        get => Volatile.Read(ref count);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref count, value);
        }
    }
}
