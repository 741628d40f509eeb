namespace DslNet.Kernels.Cpu.Spatial;

/// <summary>
/// An activation and dropout on their own, for an image model's steps that have no GEMM or normalization to fuse them
/// into (the ReLU after a residual add, a dropout after pooling). Elementwise over the whole batch, so dropout element
/// e is the value's flat index, as in the fused epilogues.
/// </summary>
public static unsafe class Pointwise
{
    /// <summary>output = dropout(activation(input)); in place allowed.</summary>
    public static void Forward<TAct>(ReadOnlySpan<float> input, Span<float> output, TAct activation, Dropout dropout)
        where TAct : struct, IActivation
    {
        Gemm.CheckShape(output.Length, input.Length, nameof(output));
        fixed (float* x = input)
        fixed (float* y = output)
        {
            ChunkedPass.Run(new ForwardPass<TAct>(x, y, activation, dropout), input.Length);
        }
    }

    private readonly struct ForwardPass<TAct>(float* input, float* output, TAct activation, Dropout dropout) : IChunkPass
        where TAct : struct, IActivation
    {
        public void Run(int start, int count)
        {
            Elementwise.Activate(input + start, output + start, count, activation);
            dropout.Apply(output + start, start, count);
        }
    }

    /// <summary>In place: values[i] *= the dropout scale of element i (the forward pass's mask, redrawn).</summary>
    public static void Dropout(Span<float> values, Dropout dropout)
    {
        fixed (float* v = values)
        {
            dropout.Apply(v, 0, values.Length);
        }
    }
}
