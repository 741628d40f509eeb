using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu.Spatial;

/// <summary>
/// Dropout2d (spatial dropout): whole channels of an image are zeroed, kept ones scaled by 1/(1 − rate). The mask is
/// <see cref="Dropout"/>'s own counter-based draw with the element index e = n·C + c, keyed by the same
/// (seed, step, layer), so a GPU kernel reproduces it bit for bit and the backward pass redraws it (N·C draws) instead
/// of storing it. In place is allowed (input and output the same buffer).
/// </summary>
public static unsafe class Dropout2d
{
    private const long ParallelThreshold = 32 * 1024;

    /// <summary>scales[n·C + c] = 0 or 1/(1 − rate), the factor of channel c of image n.</summary>
    public static void Scales(Dropout dropout, Span<float> scales, int batch, int channels)
    {
        int count = checked(batch * channels);
        Gemm.CheckShape(scales.Length, count, nameof(scales));
        scales[..count].Fill(1f);
        fixed (float* s = scales)
        {
            dropout.Apply(s, 0, count);
        }
    }

    /// <summary>output[n, h, w, c] = input[n, h, w, c]·scale(n, c) on NHWC activations.</summary>
    public static void Forward(ReadOnlySpan<float> input, Span<float> output, Dropout dropout, int batch, int pixels, int channels) =>
        Apply(input, output, dropout, batch, pixels, channels);

    /// <summary>inputGradient = outputGradient·scale(n, c): the forward's mask, redrawn.</summary>
    public static void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, Dropout dropout, int batch, int pixels, int channels) =>
        Apply(outputGradient, inputGradient, dropout, batch, pixels, channels);

    private static void Apply(ReadOnlySpan<float> source, Span<float> destination, Dropout dropout, int batch, int pixels, int channels)
    {
        long count = (long)batch * pixels * channels;
        Gemm.CheckShape(source.Length, count, nameof(source));
        Gemm.CheckShape(destination.Length, count, nameof(destination));
        float* scales = SpatialScratch.Weights((long)batch * channels);
        Scales(dropout, new Span<float>(scales, batch * channels), batch, channels);
        fixed (float* x = source)
        fixed (float* y = destination)
        {
            var job = new Job { X = x, Y = y, Scales = scales, Pixels = pixels, Channels = channels };
            ChannelMath.Run(&Job.RunTask, Unsafe.AsPointer(ref job), batch, count, ParallelThreshold);
        }
    }

    private struct Job
    {
        public float* X, Y, Scales;
        public int Pixels, Channels;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void RunTask(void* context, int image, int thread)
        {
            ref var job = ref Unsafe.AsRef<Job>(context);
            int c = job.Channels;
            float* scale = job.Scales + (long)image * c;
            long first = (long)image * job.Pixels * c;
            for (int p = 0; p < job.Pixels; p++)
            {
                float* x = job.X + first + (long)p * c, y = job.Y + first + (long)p * c;
                int k = 0;
                if (Vector512.IsHardwareAccelerated)
                {
                    for (; k + 16 <= c; k += 16)
                    {
                        (Vector512.Load(x + k) * Vector512.Load(scale + k)).Store(y + k);
                    }
                }
                else if (Vector256.IsHardwareAccelerated)
                {
                    for (; k + 8 <= c; k += 8)
                    {
                        (Vector256.Load(x + k) * Vector256.Load(scale + k)).Store(y + k);
                    }
                }

                for (; k < c; k++)
                {
                    y[k] = x[k] * scale[k];
                }
            }
        }
    }
}
