using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu;

/// <summary>
/// The residual add <c>y = F(x) + skip</c> and its backward: the skip source receives the output gradient unchanged,
/// as a first contribution (copy) or added to what its other consumer already wrote (accumulate). An image model's Add
/// step also applies the activation after it (<see cref="Forward"/>, <see cref="Backward"/>).
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

    /// <summary>
    /// An image model's Add step with the activation after it, in one pass: output = act(input + skip). The sum is also
    /// stored in <paramref name="preActivation"/> unless that is empty (an activation whose derivative can be read off its
    /// output, such as ReLU, or none). The step must not overwrite its input, which the branch's backward reads.
    /// </summary>
    public static void Forward<TAct>(ReadOnlySpan<float> input, ReadOnlySpan<float> skip, Span<float> preActivation, Span<float> output, TAct activation)
        where TAct : struct, IActivation
    {
        Gemm.CheckShape(skip.Length, input.Length, nameof(skip));
        Gemm.CheckShape(output.Length, input.Length, nameof(output));
        if (!preActivation.IsEmpty) Gemm.CheckShape(preActivation.Length, input.Length, nameof(preActivation));
        fixed (float* x = input)
        fixed (float* s = skip)
        fixed (float* pre = preActivation)
        fixed (float* y = output)
        {
            ChunkedPass.Run(new ForwardPass<TAct>(x, s, pre, y, activation), input.Length);
        }
    }

    /// <summary>
    /// The backward of <see cref="Forward"/>, in one pass: d = gradient·act'(<paramref name="derivativeAt"/>) (the stored
    /// sum, or the output for an activation that allows it), written to both operands' gradients: each overwritten, or
    /// added to with its accumulate flag (a value read twice). Both operands of an image model's Add are step outputs,
    /// which always have gradients.
    /// </summary>
    public static void Backward<TAct>(ReadOnlySpan<float> gradient, ReadOnlySpan<float> derivativeAt, TAct activation,
        Span<float> inputGradient, bool accumulateInput, Span<float> skipGradient, bool accumulateSkip)
        where TAct : struct, IActivation
    {
        int count = gradient.Length;
        Gemm.CheckShape(derivativeAt.Length, count, nameof(derivativeAt));
        Gemm.CheckShape(inputGradient.Length, count, nameof(inputGradient));
        Gemm.CheckShape(skipGradient.Length, count, nameof(skipGradient));
        fixed (float* g = gradient)
        fixed (float* at = derivativeAt)
        fixed (float* input = inputGradient)
        fixed (float* skip = skipGradient)
        {
            var targets = new BackwardTargets(g, at, input, skip, count);
            if (accumulateInput) BackwardToSkip<TAct, AddGradient>(targets, activation, accumulateSkip);
            else BackwardToSkip<TAct, WriteGradient>(targets, activation, accumulateSkip);
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

    private readonly struct ForwardPass<TAct>(float* input, float* skip, float* preActivation, float* output, TAct activation) : IChunkPass
        where TAct : struct, IActivation
    {
        public void Run(int start, int count)
        {
            if (preActivation == null)
            {
                Elementwise.SumActivate(input + start, skip + start, output + start, count, activation);
                return;
            }

            // The chunk's sum is still in L1/L2 when the activation reads it back.
            Elementwise.Sum(input + start, skip + start, preActivation + start, count);
            Elementwise.Activate(preActivation + start, output + start, count, activation);
        }
    }

    /// <summary>The backward's views: the output gradient, where f' is evaluated, the two targets and the length.</summary>
    private readonly struct BackwardTargets(float* gradient, float* derivativeAt, float* input, float* skip, int count)
    {
        public float* Gradient { get; } = gradient;
        public float* DerivativeAt { get; } = derivativeAt;
        public float* Input { get; } = input;
        public float* Skip { get; } = skip;
        public int Count { get; } = count;
    }

    private static void BackwardToSkip<TAct, TInputStore>(BackwardTargets targets, TAct activation, bool accumulateSkip)
        where TAct : struct, IActivation
        where TInputStore : struct, IGradientStore
    {
        if (accumulateSkip) ChunkedPass.Run(new BackwardPass<TAct, TInputStore, AddGradient>(targets, activation), targets.Count);
        else ChunkedPass.Run(new BackwardPass<TAct, TInputStore, WriteGradient>(targets, activation), targets.Count);
    }

    private readonly struct BackwardPass<TAct, TInputStore, TSkipStore>(BackwardTargets targets, TAct activation) : IChunkPass
        where TAct : struct, IActivation
        where TInputStore : struct, IGradientStore
        where TSkipStore : struct, IGradientStore
    {
        public void Run(int start, int count)
        {
            float* g = targets.Gradient + start, at = targets.DerivativeAt + start, input = targets.Input + start, skip = targets.Skip + start;
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; i + 16 <= count; i += 16)
                {
                    var d = Vector512.Load(g + i) * activation.Derivative(Vector512.Load(at + i));
                    TInputStore.Store(input + i, d);
                    TSkipStore.Store(skip + i, d);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                for (; i + 8 <= count; i += 8)
                {
                    var d = Vector256.Load(g + i) * activation.Derivative(Vector256.Load(at + i));
                    TInputStore.Store(input + i, d);
                    TSkipStore.Store(skip + i, d);
                }
            }

            for (; i < count; i++)
            {
                var d = g[i] * activation.Derivative(at[i]);
                TInputStore.Store(input + i, d);
                TSkipStore.Store(skip + i, d);
            }
        }
    }

    /// <summary>How <see cref="BackwardPass{TAct, TInputStore, TSkipStore}"/> writes one target (the JIT keeps one branch).</summary>
    private interface IGradientStore
    {
        static abstract void Store(float* target, Vector512<float> value);

        static abstract void Store(float* target, Vector256<float> value);

        static abstract void Store(float* target, float value);
    }

    /// <summary>The value's first gradient contribution.</summary>
    private readonly struct WriteGradient : IGradientStore
    {
        public static void Store(float* target, Vector512<float> value) => value.Store(target);

        public static void Store(float* target, Vector256<float> value) => value.Store(target);

        public static void Store(float* target, float value) => *target = value;
    }

    /// <summary>A later contribution to a value another step's backward wrote first.</summary>
    private readonly struct AddGradient : IGradientStore
    {
        public static void Store(float* target, Vector512<float> value) => (Vector512.Load(target) + value).Store(target);

        public static void Store(float* target, Vector256<float> value) => (Vector256.Load(target) + value).Store(target);

        public static void Store(float* target, float value) => *target += value;
    }

    private readonly struct CopyPass(float* source, float* target) : IChunkPass
    {
        public void Run(int start, int count) => new ReadOnlySpan<float>(source + start, count).CopyTo(new Span<float>(target + start, count));
    }
}
