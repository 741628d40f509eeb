using DslNet.Kernels.Cpu;

namespace DslNet.Kernels.Gpu.Spatial;

/// <summary>
/// The device side of <see cref="Cpu.Spatial.Pointwise"/> and of a group's activation backward, one thread per element:
/// an activation and elementwise dropout (or a plain copy, <see cref="Identity"/> without dropout; or dropout alone in
/// place), a residual Add, and the gradient through the activation.
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

    /// <summary>Thread e: output[e] = input[e] + skip[e] (a residual Add; its backward passes the gradient to both).</summary>
    public static void Add<TInput, TSkip, TOutput>(int e, TInput input, TSkip skip, TOutput output)
        where TInput : struct, IDeviceTensor
        where TSkip : struct, IDeviceTensor
        where TOutput : struct, IDeviceTensor
    {
        output.Store(e, input.Load(e) + skip.Load(e));
    }
}
