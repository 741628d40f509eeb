using DslNet.Kernels.Gpu;
using ILGPU;
using ILGPU.Runtime;
using CpuDropout = DslNet.Kernels.Cpu.Dropout;

namespace DslNet.Gpu.Tests;

/// <summary>Device functions on their own: dropout masks bit-identical to the CPU's, bf16/fp16 conversions and storage.</summary>
public sealed class DeviceKernelTests
{
    private static void MaskKernel(Index1D e, ArrayView<float> scales, float rate, ulong seed, long step, int layer) =>
        scales[e] = new GpuDropout(rate, seed, step, layer).ScaleAt(e);

    [Theory]
    [InlineData(0.3f, 42UL, 0L, 0)]
    [InlineData(0.5f, 0xDEADBEEFCAFEUL, 123456789012L, 3)]
    [InlineData(0.1f, 7UL, 5L, 1)]
    public void Dropout_masks_are_the_cpus_bit_for_bit(float rate, ulong seed, long step, int layer)
    {
        const int count = 1000;
        var accelerator = Device.IlgpuCpu.Acquire();
        using var buffer = accelerator.Allocate1D<float>(count);
        var kernel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float, ulong, long, int>(MaskKernel);
        kernel(count, buffer.View, rate, seed, step, layer);
        var gpu = buffer.GetAsArray1D();

        // The CPU's vectorized Apply over a ones vector, starting at an unaligned element, and its scalar ScaleAt.
        var cpu = new CpuDropout(rate, seed, step, layer);
        var ones = Enumerable.Repeat(1f, count - 3).ToArray();
        unsafe
        {
            fixed (float* p = ones) cpu.Apply(p, 3, ones.Length);
        }

        for (var e = 0; e < count; e++)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(cpu.ScaleAt(e)), BitConverter.SingleToInt32Bits(gpu[e]));
            if (e >= 3) Assert.Equal(BitConverter.SingleToInt32Bits(ones[e - 3]), BitConverter.SingleToInt32Bits(gpu[e]));
        }

        var kept = gpu.Count(s => s != 0) / (double)count;
        Assert.InRange(kept, 1 - rate - 0.06, 1 - rate + 0.06);
    }

    private static void StoreKernel(Index1D i, ArrayView<float> values, ArrayView<ushort> fp16, ArrayView<ushort> bf16, ArrayView<float> widened,
        ArrayView<double> flags)
    {
        var half = new HalfTensor<Fp16Format>(fp16, flags.SubView(0, 1), raisesOverflow: true);
        var brain = new HalfTensor<Bf16Format>(bf16, flags.SubView(1, 1), raisesOverflow: true);
        half.Store(i, values[i]);
        brain.Store(i, values[i]);
        widened[i] = half.Load(i) + brain.Load(i);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fp16_and_bf16_tensors_round_on_store_widen_on_load_and_raise_the_overflow_flag(bool withOverflow)
    {
        var values = new[] { 1f, -2.5f, 1e-9f, 3.1415927f, 65504f, 1e5f, -3e38f };
        if (withOverflow) values = values.Append(float.NaN).Append(3.4e38f * 2).ToArray();   // NaN, and fp32 +∞ for bf16
        var accelerator = Device.IlgpuCpu.Acquire();
        using var input = accelerator.Allocate1D(values);
        using var fp16 = accelerator.Allocate1D<ushort>(values.Length);
        using var bf16 = accelerator.Allocate1D<ushort>(values.Length);
        using var widened = accelerator.Allocate1D<float>(values.Length);
        using var flags = accelerator.Allocate1D<double>(2);
        flags.MemSetToZero();
        var kernel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<double>>(StoreKernel);
        kernel(values.Length, input.View, fp16.View, bf16.View, widened.View, flags.View);

        var halfBits = fp16.GetAsArray1D();
        var brainBits = bf16.GetAsArray1D();
        var sums = widened.GetAsArray1D();
        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal(Float16.FromFloat(values[i]), halfBits[i]);
            Assert.Equal(BFloat16.FromFloat(values[i]), brainBits[i]);
            Assert.Equal(Float16.ToFloat(halfBits[i]) + BFloat16.ToFloat(brainBits[i]), sums[i]);
        }

        // 1e5 and -3e38 overflow fp16 in every case; bf16 only sees NaN and ∞ (its range is fp32's).
        Assert.Equal(new[] { 1.0, withOverflow ? 1.0 : 0.0 }, flags.GetAsArray1D());
    }

    [Fact]
    public void Bf16_rounds_to_nearest_even_and_round_trips()
    {
        Assert.Equal((ushort)0x3F80, BFloat16.FromFloat(1f));
        Assert.Equal(1f, BFloat16.ToFloat(0x3F80));
        // 1 + 2^-8 is halfway between bf16 1 and 1 + 2^-7: ties go to the even mantissa (1).
        Assert.Equal((ushort)0x3F80, BFloat16.FromFloat(1f + 1f / 256));
        // 1 + 3·2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6: rounds up to even.
        Assert.Equal((ushort)0x3F82, BFloat16.FromFloat(1f + 3f / 256));
        Assert.True(float.IsNaN(BFloat16.ToFloat(BFloat16.FromFloat(float.NaN))));
        Assert.Equal(float.PositiveInfinity, BFloat16.ToFloat(BFloat16.FromFloat(float.PositiveInfinity)));
        var random = new Random(1);
        for (var i = 0; i < 1000; i++)
        {
            var x = (float)(random.NextDouble() * 200 - 100);
            Assert.True(Math.Abs(BFloat16.ToFloat(BFloat16.FromFloat(x)) - x) <= Math.Abs(x) / 256);
        }
    }

    [Fact]
    public void Fp16_conversion_is_system_halfs_round_to_nearest_even_and_flags_overflow()
    {
        var random = new Random(2);
        for (var i = 0; i < 20000; i++)
        {
            var x = i < 10000 ? (float)(random.NextDouble() * 1000 - 500) : (float)((random.NextDouble() - 0.5) * Math.Pow(2, random.Next(-30, 17)));
            Assert.Equal(BitConverter.HalfToUInt16Bits((System.Half)x), Float16.FromFloat(x));
            Assert.Equal((float)(System.Half)x, Float16.ToFloat(Float16.FromFloat(x)));
        }

        Assert.True(Float16.IsOverflow(Float16.FromFloat(70000f)));
        Assert.True(Float16.IsOverflow(Float16.FromFloat(float.NaN)));
        Assert.False(Float16.IsOverflow(Float16.FromFloat(65504f)));
    }
}
