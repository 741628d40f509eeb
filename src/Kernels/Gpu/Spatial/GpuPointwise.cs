using DslNet.Kernels.Cpu;

namespace DslNet.Kernels.Gpu.Spatial;

/// <summary>
/// The device side of <see cref="Cpu.Spatial.Pointwise"/> and of a group's activation backward, one thread per element:
/// an activation and elementwise dropout (or a plain copy, <see cref="Identity"/> without dropout; or dropout alone in
/// place), a residual Add with its activation, and the gradients through them.
/// </summary>
public static class GpuPointwise
{
    /// <summary>Thread e: output[e] = activation(input[e])·mask[e] (dropout element e of the value's [rows, size]).</summary>
    public static void Forward<TInput, TOutput, TAct>(int e, TInput input, TOutput output, TAct activation, GpuDropout dropout)
        where TInput : struct, IDeviceTensor
        where TOutput : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        output.Store(e, activation.Apply(input.Load(e)) * dropout.ScaleAt(e));
    }

    /// <summary>Thread e, in place: gradient[e] = gradient[e]·f'(preActivation[e]).</summary>
    public static void ActivationBackward<TGradient, TPre, TAct>(int e, TGradient gradient, TPre preActivation, TAct activation)
        where TGradient : struct, IDeviceTensor
        where TPre : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        gradient.Store(e, gradient.Load(e) * activation.Derivative(preActivation.Load(e)));
    }

    /// <summary>Thread e: output[e] = act(input[e] + skip[e]) (a residual Add and the activation after it).</summary>
    public static void Add<TInput, TSkip, TOutput, TAct>(int e, TInput input, TSkip skip, TOutput output, TAct activation)
        where TInput : struct, IDeviceTensor
        where TSkip : struct, IDeviceTensor
        where TOutput : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        output.Store(e, activation.Apply(input.Load(e) + skip.Load(e)));
    }

    /// <summary>Thread e: sum[e] = input[e] + skip[e], output[e] = act(sum[e]) (for an activation whose backward needs the sum).</summary>
    public static void Add<TInput, TSkip, TSum, TOutput, TAct>(int e, TInput input, TSkip skip, TSum sum, TOutput output, TAct activation)
        where TInput : struct, IDeviceTensor
        where TSkip : struct, IDeviceTensor
        where TSum : struct, IDeviceTensor
        where TOutput : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        sum.Store(e, input.Load(e) + skip.Load(e));
        output.Store(e, activation.Apply(sum.Load(e)));
    }

    /// <summary>
    /// Thread e, the backward of <see cref="Add{TInput, TSkip, TOutput, TAct}"/>: d = gradient[e]·f'(at[e]) (at: the sum, or
    /// the output for ReLU) into both operands' gradients, each overwritten or, with its accumulate flag, added to.
    /// </summary>
    public static void AddBackward<TGradient, TAt, TAct, TInputGradient, TSkipGradient>(int e, TGradient gradient, TAt at, TAct activation,
        TInputGradient inputGradient, bool accumulateInput, TSkipGradient skipGradient, bool accumulateSkip)
        where TGradient : struct, IDeviceTensor
        where TAt : struct, IDeviceTensor
        where TAct : struct, IActivation
        where TInputGradient : struct, IDeviceTensor
        where TSkipGradient : struct, IDeviceTensor
    {
        var d = gradient.Load(e) * activation.Derivative(at.Load(e));
        inputGradient.Store(e, accumulateInput ? inputGradient.Load(e) + d : d);
        skipGradient.Store(e, accumulateSkip ? skipGradient.Load(e) + d : d);
    }
}
