using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu;

/// <summary>Column reductions in double precision: a batch of 8192 rows summed in fp32 would drift from PyTorch.</summary>
internal static unsafe class Reductions
{
    /// <summary>sums[j] = Σ_i values[i*columns + j].</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ColumnSums(float* values, int rows, int columns, float* sums)
    {
        using var scratch = new DoubleScratch(columns, stackalloc double[DoubleScratch.StackLimit]);
        double* acc = scratch.Pointer;
        new Span<double>(acc, columns).Clear();
        AccumulateRows(acc, values, rows, columns);
        for (int j = 0; j < columns; j++)
        {
            sums[j] = (float)acc[j];
        }
    }

    /// <summary>acc[j] += Σ_i values[i*columns + j], widening to double.</summary>
    public static void AccumulateRows(double* acc, float* values, int rows, int columns)
    {
        for (int i = 0; i < rows; i++)
        {
            AccumulateRow(acc, values + (long)i * columns, columns);
        }
    }

    /// <summary>acc[j] += row[j], widening to double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AccumulateRow(double* acc, float* row, int count)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 16 <= count; j += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(row + j));
                (Vector512.Load(acc + j) + lo).Store(acc + j);
                (Vector512.Load(acc + j + 8) + hi).Store(acc + j + 8);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 8 <= count; j += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(row + j));
                (Vector256.Load(acc + j) + lo).Store(acc + j);
                (Vector256.Load(acc + j + 4) + hi).Store(acc + j + 4);
            }
        }

        for (; j < count; j++)
        {
            acc[j] += row[j];
        }
    }

    /// <summary>acc[j] += (row[j] - mean[j])², in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AccumulateSquaredDeviation(double* acc, float* row, double* mean, int count)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 16 <= count; j += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(row + j));
                lo -= Vector512.Load(mean + j);
                hi -= Vector512.Load(mean + j + 8);
                Vector512.FusedMultiplyAdd(lo, lo, Vector512.Load(acc + j)).Store(acc + j);
                Vector512.FusedMultiplyAdd(hi, hi, Vector512.Load(acc + j + 8)).Store(acc + j + 8);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 8 <= count; j += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(row + j));
                lo -= Vector256.Load(mean + j);
                hi -= Vector256.Load(mean + j + 4);
                Vector256.FusedMultiplyAdd(lo, lo, Vector256.Load(acc + j)).Store(acc + j);
                Vector256.FusedMultiplyAdd(hi, hi, Vector256.Load(acc + j + 4)).Store(acc + j + 4);
            }
        }

        for (; j < count; j++)
        {
            double d = row[j] - mean[j];
            acc[j] += d * d;
        }
    }

    /// <summary>Σ values[j] in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(float* values, int count)
    {
        int j = 0;
        double sum = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var acc = Vector512<double>.Zero;
            for (; j + 16 <= count; j += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(values + j));
                acc += lo + hi;
            }

            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var acc = Vector256<double>.Zero;
            for (; j + 8 <= count; j += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(values + j));
                acc += lo + hi;
            }

            sum = Vector256.Sum(acc);
        }

        for (; j < count; j++)
        {
            sum += values[j];
        }

        return sum;
    }

    /// <summary>Σ (values[j] - mean)² in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SquaredDeviation(float* values, double mean, int count)
    {
        int j = 0;
        double sum = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var acc = Vector512<double>.Zero;
            var m = Vector512.Create(mean);
            for (; j + 16 <= count; j += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(values + j));
                lo -= m;
                hi -= m;
                acc = Vector512.FusedMultiplyAdd(lo, lo, acc);
                acc = Vector512.FusedMultiplyAdd(hi, hi, acc);
            }

            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var acc = Vector256<double>.Zero;
            var m = Vector256.Create(mean);
            for (; j + 8 <= count; j += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(values + j));
                lo -= m;
                hi -= m;
                acc = Vector256.FusedMultiplyAdd(lo, lo, acc);
                acc = Vector256.FusedMultiplyAdd(hi, hi, acc);
            }

            sum = Vector256.Sum(acc);
        }

        for (; j < count; j++)
        {
            double d = values[j] - mean;
            sum += d * d;
        }

        return sum;
    }

    /// <summary>Σ a[j]*b[j] in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Dot(float* a, float* b, int count)
    {
        int j = 0;
        double sum = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var acc = Vector512<double>.Zero;
            for (; j + 16 <= count; j += 16)
            {
                var (alo, ahi) = Vector512.Widen(Vector512.Load(a + j));
                var (blo, bhi) = Vector512.Widen(Vector512.Load(b + j));
                acc = Vector512.FusedMultiplyAdd(alo, blo, acc);
                acc = Vector512.FusedMultiplyAdd(ahi, bhi, acc);
            }

            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var acc = Vector256<double>.Zero;
            for (; j + 8 <= count; j += 8)
            {
                var (alo, ahi) = Vector256.Widen(Vector256.Load(a + j));
                var (blo, bhi) = Vector256.Widen(Vector256.Load(b + j));
                acc = Vector256.FusedMultiplyAdd(alo, blo, acc);
                acc = Vector256.FusedMultiplyAdd(ahi, bhi, acc);
            }

            sum = Vector256.Sum(acc);
        }

        for (; j < count; j++)
        {
            sum += (double)a[j] * b[j];
        }

        return sum;
    }

    /// <summary>acc[j] += (double)a[j] * b[j].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AccumulateProduct(double* acc, float* a, float* b, int count)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 16 <= count; j += 16)
            {
                var (alo, ahi) = Vector512.Widen(Vector512.Load(a + j));
                var (blo, bhi) = Vector512.Widen(Vector512.Load(b + j));
                Vector512.FusedMultiplyAdd(alo, blo, Vector512.Load(acc + j)).Store(acc + j);
                Vector512.FusedMultiplyAdd(ahi, bhi, Vector512.Load(acc + j + 8)).Store(acc + j + 8);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 8 <= count; j += 8)
            {
                var (alo, ahi) = Vector256.Widen(Vector256.Load(a + j));
                var (blo, bhi) = Vector256.Widen(Vector256.Load(b + j));
                Vector256.FusedMultiplyAdd(alo, blo, Vector256.Load(acc + j)).Store(acc + j);
                Vector256.FusedMultiplyAdd(ahi, bhi, Vector256.Load(acc + j + 4)).Store(acc + j + 4);
            }
        }

        for (; j < count; j++)
        {
            acc[j] += (double)a[j] * b[j];
        }
    }
}

/// <summary>A double buffer on the stack when small, else a per-thread pinned array grown once (no steady-state allocation).</summary>
internal readonly unsafe ref struct DoubleScratch
{
    public const int StackLimit = 1024;

    [ThreadStatic]
    private static double[]? heap;

    public DoubleScratch(int length, Span<double> stack)
    {
        if (length <= stack.Length)
        {
            Pointer = (double*)Unsafe.AsPointer(ref stack[0]);
            return;
        }

        if (heap is null || heap.Length < length)
        {
            heap = GC.AllocateUninitializedArray<double>(length, pinned: true);
        }

        Pointer = (double*)Unsafe.AsPointer(ref heap[0]);
    }

    public double* Pointer { get; }

    public void Dispose()
    {
    }
}
