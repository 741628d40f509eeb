using ILGPU;

namespace DslNet.Kernels.Gpu;

/// <summary>
/// A flat fp32-valued tensor on the device, whatever its storage: loads widen to fp32, stores round from fp32. Device
/// functions take their activation and gradient operands as a generic <see cref="IDeviceTensor"/> struct, so ILGPU
/// specializes each one to the storage it is given and every accumulation stays in fp32 (or double) registers.
/// </summary>
/// <remarks>A tensor built with an overflow flag raises it when a store does not fit its storage (±∞ or NaN after
/// rounding): the backward kernels' gradients carry one, so the loss scaler learns of an overflow without another pass.</remarks>
public interface IDeviceTensor
{
    float Load(int index);

    void Store(int index, float value);
}

/// <summary>How a network stores its activations and activation gradients: a tensor type that can pick a block's
/// region of the workspace. The generated kernels are generic over it, one instantiation per <c>Precision</c>.</summary>
public interface IActivationStorage<TSelf> : IDeviceTensor
    where TSelf : struct, IActivationStorage<TSelf>
{
    /// <summary>The region <paramref name="offsetPerRow"/> × capacity of the workspace, <paramref name="width"/> per row;
    /// with <paramref name="raisesOverflow"/> (gradients) its stores raise <see cref="NetworkViews.OverflowFlag"/>.</summary>
    TSelf Region(NetworkViews views, int offsetPerRow, int width, bool raisesOverflow);
}

/// <summary>Sets the overflow flag (a double slot: it travels back with the loss sum in the same copy).</summary>
public static class GradientOverflow
{
    public static void Raise(ArrayView<double> flag) => Atomic.Exchange(ref flag[0], 1.0);
}

/// <summary>fp32 storage: inputs, outputs, parameters and parameter gradients, and every activation in Precision.Fp32.</summary>
public readonly struct Fp32Tensor : IActivationStorage<Fp32Tensor>
{
    private readonly ArrayView<float> values;
    private readonly ArrayView<double> overflowFlag;
    private readonly bool raisesOverflow;

    public Fp32Tensor(ArrayView<float> values) : this(values, default, false) { }

    public Fp32Tensor(ArrayView<float> values, ArrayView<double> overflowFlag, bool raisesOverflow)
    {
        this.values = values;
        this.overflowFlag = overflowFlag;
        this.raisesOverflow = raisesOverflow;
    }

    public float Load(int index) => values[index];

    public void Store(int index, float value)
    {
        values[index] = value;
        if (raisesOverflow && (float.IsNaN(value) || float.IsInfinity(value))) GradientOverflow.Raise(overflowFlag);
    }

    public Fp32Tensor Region(NetworkViews views, int offsetPerRow, int width, bool raisesOverflow) =>
        new(views.Region(offsetPerRow, width), views.OverflowFlag, raisesOverflow);
}

/// <summary>A 16-bit storage format: round to nearest even from fp32, widen back, and the overflow test.</summary>
public interface IHalfFormat
{
    ushort FromFloat(float value);

    float ToFloat(ushort bits);

    /// <summary>True when the stored bits are ±∞ or NaN.</summary>
    bool IsOverflow(ushort bits);
}

/// <summary>IEEE fp16 (<see cref="Float16"/>): Precision.Fp16.</summary>
public readonly struct Fp16Format : IHalfFormat
{
    public ushort FromFloat(float value) => Float16.FromFloat(value);

    public float ToFloat(ushort bits) => Float16.ToFloat(bits);

    public bool IsOverflow(ushort bits) => Float16.IsOverflow(bits);
}

/// <summary>bfloat16 (<see cref="BFloat16"/>): Precision.Bf16. fp32's exponent range, so only a value already ±∞ or NaN
/// in fp32 (or within half an ulp of fp32's largest) overflows.</summary>
public readonly struct Bf16Format : IHalfFormat
{
    public ushort FromFloat(float value) => BFloat16.FromFloat(value);

    public float ToFloat(ushort bits) => BFloat16.ToFloat(bits);

    public bool IsOverflow(ushort bits) => BFloat16.IsOverflow(bits);
}

/// <summary>16-bit storage (ushort bits in <typeparamref name="TFormat"/>, round to nearest even): Precision.Fp16 and Bf16.</summary>
public readonly struct HalfTensor<TFormat> : IActivationStorage<HalfTensor<TFormat>>
    where TFormat : struct, IHalfFormat
{
    private readonly ArrayView<ushort> bits;
    private readonly ArrayView<double> overflowFlag;
    private readonly bool raisesOverflow;

    public HalfTensor(ArrayView<ushort> bits, ArrayView<double> overflowFlag, bool raisesOverflow)
    {
        this.bits = bits;
        this.overflowFlag = overflowFlag;
        this.raisesOverflow = raisesOverflow;
    }

    public float Load(int index) => default(TFormat).ToFloat(bits[index]);

    public void Store(int index, float value)
    {
        ushort stored = default(TFormat).FromFloat(value);
        bits[index] = stored;
        if (raisesOverflow && default(TFormat).IsOverflow(stored)) GradientOverflow.Raise(overflowFlag);
    }

    public HalfTensor<TFormat> Region(NetworkViews views, int offsetPerRow, int width, bool raisesOverflow) =>
        new(views.HalfRegion(offsetPerRow, width), views.OverflowFlag, raisesOverflow);
}
