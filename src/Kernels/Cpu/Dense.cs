namespace DslNet.Kernels.Cpu;

/// <summary>
/// Fully connected layer with PyTorch's weight layout [units, inputs]. Forward and backward are GEMMs whose
/// epilogues carry the elementwise work, so every activation is written once.
/// </summary>
public static unsafe class Dense
{
    /// <summary>Up to this many rows, inference takes the dot-product path (no packing, no threads).</summary>
    internal const int SmallInferenceRows = 4;

    /// <summary>preActivation = input·weightᵀ + bias; output = dropout(activation(preActivation)).
    /// Empty bias: none. Empty output: only preActivation is written (a normalization follows).</summary>
    public static void Forward<TAct>(ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        Span<float> preActivation, Span<float> output, int rows, int inputs, int units, TAct activation, Dropout dropout)
        where TAct : struct, IActivation
    {
        Gemm.CheckShape(input.Length, (long)rows * inputs, nameof(input));
        Gemm.CheckShape(weight.Length, (long)units * inputs, nameof(weight));
        Gemm.CheckShape(preActivation.Length, (long)rows * units, nameof(preActivation));
        CheckOptional(bias.Length, units, nameof(bias));
        CheckOptional(output.Length, (long)rows * units, nameof(output));
        fixed (float* x = input)
        fixed (float* w = weight)
        fixed (float* b = bias)
        fixed (float* pre = preActivation)
        fixed (float* y = output)
        {
            var epilogue = new BiasActivationEpilogue<TAct>(bias.IsEmpty ? null : b, output.IsEmpty ? null : y, units, activation, dropout);
            Gemm.Run(x, inputs, 1, w, 1, inputs, pre, rows, units, inputs, ref epilogue);
        }
    }

    /// <summary>output = activation((input·weightᵀ + bias) * scale + shift), per column; empty scale/shift: not applied.</summary>
    public static void ForwardInference<TAct>(ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> output, int rows, int inputs, int units, TAct activation)
        where TAct : struct, IActivation
    {
        Gemm.CheckShape(input.Length, (long)rows * inputs, nameof(input));
        Gemm.CheckShape(weight.Length, (long)units * inputs, nameof(weight));
        Gemm.CheckShape(output.Length, (long)rows * units, nameof(output));
        CheckOptional(bias.Length, units, nameof(bias));
        CheckOptional(scale.Length, units, nameof(scale));
        if (scale.IsEmpty != shift.IsEmpty)
        {
            throw new ArgumentException("scale and shift must both be given or both be empty.", nameof(shift));
        }

        CheckOptional(shift.Length, units, nameof(shift));
        fixed (float* x = input)
        fixed (float* w = weight)
        fixed (float* b = bias)
        fixed (float* s = scale)
        fixed (float* h = shift)
        fixed (float* y = output)
        {
            var epilogue = new InferenceEpilogue<TAct>(bias.IsEmpty ? null : b, scale.IsEmpty ? null : s, shift.IsEmpty ? null : h, activation);
            if (rows <= SmallInferenceRows)
            {
                // A few rows (batch-1 serving): one dot product per output straight from the weights, on the calling
                // thread. Packing the weights into GEMM panels would cost more than the whole product, and a
                // register tile would be mostly padding rows.
                GemmDot.Run(x, inputs, w, inputs, y, rows, units, inputs, ref epilogue, Gemm.Isa);
                return;
            }

            Gemm.Run(x, inputs, 1, w, 1, inputs, y, rows, units, inputs, ref epilogue);
        }
    }

    /// <summary>In place: gradient holds dL/doutput on entry and dL/dpreActivation on exit.</summary>
    public static void BackwardActivation<TAct>(Span<float> gradient, ReadOnlySpan<float> preActivation, int rows, int units,
        TAct activation, Dropout dropout)
        where TAct : struct, IActivation
    {
        int count = checked(rows * units);
        Gemm.CheckShape(gradient.Length, count, nameof(gradient));
        Gemm.CheckShape(preActivation.Length, count, nameof(preActivation));
        fixed (float* g = gradient)
        fixed (float* pre = preActivation)
        {
            ChunkedPass.Run(new BackwardActivationPass<TAct>(g, pre, activation, dropout), count);
        }
    }

    private readonly struct BackwardActivationPass<TAct>(float* gradient, float* preActivation, TAct activation, Dropout dropout) : IChunkPass
        where TAct : struct, IActivation
    {
        public void Run(int start, int count)
        {
            dropout.Apply(gradient + start, start, count);
            Elementwise.MultiplyDerivative(gradient + start, preActivation + start, count, activation);
        }
    }

    /// <summary>weightGradient = gradPreᵀ·input ([units, inputs]); biasGradient = column sums of gradPre. Overwrites.</summary>
    public static void BackwardWeights(ReadOnlySpan<float> gradPre, ReadOnlySpan<float> input, Span<float> weightGradient,
        Span<float> biasGradient, int rows, int inputs, int units)
    {
        Gemm.CheckShape(gradPre.Length, (long)rows * units, nameof(gradPre));
        Gemm.CheckShape(input.Length, (long)rows * inputs, nameof(input));
        Gemm.CheckShape(weightGradient.Length, (long)units * inputs, nameof(weightGradient));
        CheckOptional(biasGradient.Length, units, nameof(biasGradient));
        fixed (float* g = gradPre)
        fixed (float* x = input)
        fixed (float* dw = weightGradient)
        fixed (float* db = biasGradient)
        {
            var epilogue = default(NoEpilogue);
            Gemm.Run(g, 1, units, x, inputs, 1, dw, units, inputs, rows, ref epilogue);
            if (!biasGradient.IsEmpty)
            {
                Reductions.ColumnSums(g, rows, units, db);
            }
        }
    }

    /// <summary>inputGradient = gradPre·weight ([rows, inputs]). Overwrites.</summary>
    public static void BackwardInput(ReadOnlySpan<float> gradPre, ReadOnlySpan<float> weight, Span<float> inputGradient,
        int rows, int inputs, int units) =>
        BackwardInput(gradPre, weight, inputGradient, rows, inputs, units, accumulate: false);

    /// <summary>inputGradient = gradPre·weight, or += with <paramref name="accumulate"/>: the plan's mode for a value
    /// read by two consumers (a residual skip), whose gradient is the sum of both contributions.</summary>
    public static void BackwardInput(ReadOnlySpan<float> gradPre, ReadOnlySpan<float> weight, Span<float> inputGradient,
        int rows, int inputs, int units, bool accumulate)
    {
        var epilogue = default(NoEpilogue);
        BackwardInputCore(gradPre, weight, inputGradient, rows, inputs, units, ref epilogue, accumulate);
    }

    /// <summary>inputGradient = gradPre·weight, then the previous block's dropout and activation backward, giving its
    /// dL/dpreActivation directly (the previous block has no normalization).</summary>
    public static void BackwardInput<TAct>(ReadOnlySpan<float> gradPre, ReadOnlySpan<float> weight, Span<float> previousGradPre,
        ReadOnlySpan<float> previousPreActivation, int rows, int inputs, int units, TAct previousActivation, Dropout previousDropout)
        where TAct : struct, IActivation
    {
        Gemm.CheckShape(previousPreActivation.Length, (long)rows * inputs, nameof(previousPreActivation));
        fixed (float* pre = previousPreActivation)
        {
            var epilogue = new ActivationBackwardEpilogue<TAct>(pre, inputs, previousActivation, previousDropout);
            BackwardInputCore(gradPre, weight, previousGradPre, rows, inputs, units, ref epilogue);
        }
    }

    private static void BackwardInputCore<TEpilogue>(ReadOnlySpan<float> gradPre, ReadOnlySpan<float> weight, Span<float> inputGradient,
        int rows, int inputs, int units, ref TEpilogue epilogue, bool accumulate = false)
        where TEpilogue : struct, IGemmEpilogue
    {
        Gemm.CheckShape(gradPre.Length, (long)rows * units, nameof(gradPre));
        Gemm.CheckShape(weight.Length, (long)units * inputs, nameof(weight));
        Gemm.CheckShape(inputGradient.Length, (long)rows * inputs, nameof(inputGradient));
        fixed (float* g = gradPre)
        fixed (float* w = weight)
        fixed (float* dx = inputGradient)
        {
            Gemm.Run(g, units, 1, w, inputs, 1, dx, rows, inputs, units, ref epilogue, accumulate);
        }
    }

    private static void CheckOptional(int length, long required, string name)
    {
        if (length != 0)
        {
            Gemm.CheckShape(length, required, name);
        }
    }
}
