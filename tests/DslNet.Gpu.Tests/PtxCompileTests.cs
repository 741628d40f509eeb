using DslNet.Devices;

namespace DslNet.Gpu.Tests;

/// <summary>Every generated kernel of every test model and sample model compiles to PTX without a GPU, in every precision
/// (fp16 and bf16 are separate instantiations of the kernels, so separately compiled).</summary>
public sealed class PtxCompileTests
{
    public static IEnumerable<object[]> Cases =>
        from name in Models.NamesWithSample.Select(n => (string)n[0])
        from precision in new[] { Precision.Fp32, Precision.Fp16, Precision.Bf16 }
        select new object[] { name, precision };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_kernel_compiles_to_ptx(string name, Precision precision)
    {
        // fp16/bf16 on one architecture only, to keep the suite short: the storage code is the same on both.
        var architectures = precision == Precision.Fp32 ? new[] { (9, 0), (8, 0) } : new[] { (9, 0) };
        foreach (var (major, minor) in architectures)
        {
            var model = (IDeviceModel)Models.WithPrecision[name](0, Device.PtxCompileOnly(major, minor), precision);
            var network = model.DeviceNetwork!;
            try
            {
                Assert.Equal(precision, network.Precision);
                Assert.NotEmpty(network.CompiledPtx);
                foreach (var ptx in network.CompiledPtx)
                {
                    Assert.Contains(".target sm_", ptx);
                    Assert.Contains(".entry", ptx);
                }

                // 16-bit storage means 16-bit loads and stores somewhere in the kernels; fp32 storage has none.
                var halfAccess = network.CompiledPtx.Any(ptx => ptx.Contains(".u16") || ptx.Contains(".b16"));
                Assert.Equal(precision != Precision.Fp32, halfAccess);
            }
            finally
            {
                network.Dispose();
            }
        }
    }

    [Fact]
    public void A_compile_only_device_refuses_to_run()
    {
        var model = new MiniStreamRec(0, Device.PtxCompileOnly());
        var (inputs, targets) = Models.Batch(model, 4, 1);
        Assert.Throws<DeviceUnavailableException>(() => model.TrainStep(inputs, targets));
    }
}
