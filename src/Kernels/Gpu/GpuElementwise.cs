using DslNet.Kernels.Cpu;
using ILGPU;

namespace DslNet.Kernels.Gpu;

/// <summary>Elementwise passes, grid-stride over 1-D groups of <see cref="GroupSize"/>.</summary>
public static class GpuElementwise
{
    public const int GroupSize = 256;
    private const int MaxGroups = 4096;

    public static KernelConfig Config(long count) =>
        new((int)Math.Max(1, Math.Min(MaxGroups, (count + GroupSize - 1) / GroupSize)), GroupSize);

    /// <summary>In place: gradient = gradient·mask·f'(preActivation) (the last block's backward when it has no normalization).</summary>
    public static void ActivationBackward<TActivations, TAct>(TActivations gradient, TActivations preActivation, int count, TAct activation, GpuDropout dropout)
        where TActivations : struct, IDeviceTensor
        where TAct : struct, IActivation
    {
        for (int e = Grid.GlobalIndex.X; e < count; e += Grid.DimX * Group.DimX)
            gradient.Store(e, gradient.Load(e) * dropout.ScaleAt(e) * activation.Derivative(preActivation.Load(e)));
    }

    /// <summary>destination = source (a pre-activation block copies its input, which a skip also reads, before normalizing it in place).</summary>
    public static void Copy<TSource, TDestination>(TSource source, TDestination destination, int count)
        where TSource : struct, IDeviceTensor
        where TDestination : struct, IDeviceTensor
    {
        for (int e = Grid.GlobalIndex.X; e < count; e += Grid.DimX * Group.DimX)
            destination.Store(e, source.Load(e));
    }

    /// <summary>output += skip: a residual add (the skip a block's output, or its projection shortcut).</summary>
    public static void ResidualAdd<TOutput, TSkip>(TOutput output, TSkip skip, int count)
        where TOutput : struct, IDeviceTensor
        where TSkip : struct, IDeviceTensor
    {
        for (int e = Grid.GlobalIndex.X; e < count; e += Grid.DimX * Group.DimX)
            output.Store(e, output.Load(e) + skip.Load(e));
    }

    /// <summary>A residual's backward: skipGradient = gradient, or += when <paramref name="accumulate"/> (the skip source's
    /// other consumer already wrote its contribution).</summary>
    public static void AccumulateGradient<TActivations>(TActivations skipGradient, TActivations gradient, int count, bool accumulate)
        where TActivations : struct, IDeviceTensor
    {
        for (int e = Grid.GlobalIndex.X; e < count; e += Grid.DimX * Group.DimX)
            skipGradient.Store(e, accumulate ? skipGradient.Load(e) + gradient.Load(e) : gradient.Load(e));
    }
}
