using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu.Spatial;

/// <summary>Vector loops over one pixel's channels shared by the spatial normalizations.</summary>
internal static unsafe class ChannelMath
{
    /// <summary>sum[c] += x[c]; squares[c] += x[c]², in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AccumulateMoments(double* sum, double* squares, float* x, int count)
    {
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c + 16 <= count; c += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(x + c));
                (Vector512.Load(sum + c) + lo).Store(sum + c);
                (Vector512.Load(sum + c + 8) + hi).Store(sum + c + 8);
                Vector512.FusedMultiplyAdd(lo, lo, Vector512.Load(squares + c)).Store(squares + c);
                Vector512.FusedMultiplyAdd(hi, hi, Vector512.Load(squares + c + 8)).Store(squares + c + 8);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; c + 8 <= count; c += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(x + c));
                (Vector256.Load(sum + c) + lo).Store(sum + c);
                (Vector256.Load(sum + c + 4) + hi).Store(sum + c + 4);
                Vector256.FusedMultiplyAdd(lo, lo, Vector256.Load(squares + c)).Store(squares + c);
                Vector256.FusedMultiplyAdd(hi, hi, Vector256.Load(squares + c + 4)).Store(squares + c + 4);
            }
        }

        for (; c < count; c++)
        {
            double v = x[c];
            sum[c] += v;
            squares[c] += v * v;
        }
    }

    /// <summary>x[c] = (x[c] − mean[c])·inv[c].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Normalize(float* x, float* mean, float* inv, int count)
    {
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c + 16 <= count; c += 16)
            {
                ((Vector512.Load(x + c) - Vector512.Load(mean + c)) * Vector512.Load(inv + c)).Store(x + c);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; c + 8 <= count; c += 8)
            {
                ((Vector256.Load(x + c) - Vector256.Load(mean + c)) * Vector256.Load(inv + c)).Store(x + c);
            }
        }

        for (; c < count; c++)
        {
            x[c] = (x[c] - mean[c]) * inv[c];
        }
    }

    /// <summary>dz[c] = scale[c]·(g[c] − meanG[c] − x̂[c]·meanGx[c]): the normalization's input gradient.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void InputGradient(float* g, float* xhat, float* scale, float* meanG, float* meanGx, float* dz, int count)
    {
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c + 16 <= count; c += 16)
            {
                var centered = Vector512.Load(g + c) - Vector512.Load(meanG + c) - Vector512.Load(xhat + c) * Vector512.Load(meanGx + c);
                (centered * Vector512.Load(scale + c)).Store(dz + c);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; c + 8 <= count; c += 8)
            {
                var centered = Vector256.Load(g + c) - Vector256.Load(meanG + c) - Vector256.Load(xhat + c) * Vector256.Load(meanGx + c);
                (centered * Vector256.Load(scale + c)).Store(dz + c);
            }
        }

        for (; c < count; c++)
        {
            dz[c] = (g[c] - meanG[c] - xhat[c] * meanGx[c]) * scale[c];
        }
    }

    /// <summary>out[c] = a[c]·b[c].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Multiply(float* a, float* b, float* result, int count)
    {
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c + 16 <= count; c += 16)
            {
                (Vector512.Load(a + c) * Vector512.Load(b + c)).Store(result + c);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; c + 8 <= count; c += 8)
            {
                (Vector256.Load(a + c) * Vector256.Load(b + c)).Store(result + c);
            }
        }

        for (; c < count; c++)
        {
            result[c] = a[c] * b[c];
        }
    }

    /// <summary>Runs body(job, task, thread) on up to <see cref="CpuThreads.Count"/> threads (one when small);
    /// returns how many threads' partial sums the job may have written.</summary>
    public static int Run(delegate*<void*, int, int, void> body, void* job, int tasks, long work, long threshold)
    {
        int threads = work < threshold ? 1 : Math.Min(CpuThreads.Count, tasks);
        if (threads <= 1)
        {
            for (int task = 0; task < tasks; task++)
            {
                body(job, task, 0);
            }

            return 1;
        }

        WorkerPool.Run(body, job, tasks, threads);
        return threads;
    }

    /// <summary>Adds the partial sums of threads 1.. into thread 0's.</summary>
    public static void ReducePartials(double* partials, int threads, int length)
    {
        for (int t = 1; t < threads; t++)
        {
            double* other = partials + (long)t * length;
            for (int i = 0; i < length; i++)
            {
                partials[i] += other[i];
            }
        }
    }
}
