namespace DslNet.Kernels.Cpu;

/// <summary>
/// The residual add <c>y = F(x) + skip</c> and its backward: the skip source receives the output gradient unchanged,
/// as a first contribution (copy) or added to what its other consumer already wrote (accumulate).
/// </summary>
public static unsafe class Residual
{
    /// <summary>output += skip.</summary>
    public static void Add(Span<float> output, ReadOnlySpan<float> skip)
    {
        Gemm.CheckShape(skip.Length, output.Length, nameof(skip));
        fixed (float* y = output)
        fixed (float* s = skip)
        {
            ChunkedPass.Run(new AddPass(y, s), output.Length);
        }
    }

    /// <summary>output = input + skip in one pass (an image model's Add step, which must not overwrite its input).</summary>
    public static void Sum(ReadOnlySpan<float> input, ReadOnlySpan<float> skip, Span<float> output)
    {
        Gemm.CheckShape(skip.Length, input.Length, nameof(skip));
        Gemm.CheckShape(output.Length, input.Length, nameof(output));
        fixed (float* x = input)
        fixed (float* s = skip)
        fixed (float* y = output)
        {
            ChunkedPass.Run(new SumPass(x, s, y), input.Length);
        }
    }

    /// <summary>skipGradient = gradient, or += with <paramref name="accumulate"/>.</summary>
    public static void AccumulateGradient(ReadOnlySpan<float> gradient, Span<float> skipGradient, bool accumulate)
    {
        Gemm.CheckShape(skipGradient.Length, gradient.Length, nameof(skipGradient));
        fixed (float* target = skipGradient)
        fixed (float* g = gradient)
        {
            if (accumulate)
            {
                ChunkedPass.Run(new AddPass(target, g), gradient.Length);
            }
            else
            {
                ChunkedPass.Run(new CopyPass(g, target), gradient.Length);
            }
        }
    }

    private readonly struct AddPass(float* values, float* addend) : IChunkPass
    {
        public void Run(int start, int count) => Elementwise.Add(values + start, addend + start, count);
    }

    private readonly struct SumPass(float* input, float* skip, float* output) : IChunkPass
    {
        public void Run(int start, int count) => Elementwise.Sum(input + start, skip + start, output + start, count);
    }

    private readonly struct CopyPass(float* source, float* target) : IChunkPass
    {
        public void Run(int start, int count) => new ReadOnlySpan<float>(source + start, count).CopyTo(new Span<float>(target + start, count));
    }
}
