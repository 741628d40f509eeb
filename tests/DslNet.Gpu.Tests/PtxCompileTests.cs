using DslNet.Devices;

namespace DslNet.Gpu.Tests;

/// <summary>Every generated kernel of every test model and sample model compiles to PTX (sm_90 and sm_80) without a GPU.</summary>
public sealed class PtxCompileTests
{
    [Theory]
    [MemberData(nameof(Models.NamesWithSample), MemberType = typeof(Models))]
    public void Every_kernel_compiles_to_ptx(string name)
    {
        foreach (var (major, minor) in new[] { (9, 0), (8, 0) })
        {
            var model = (IDeviceModel)Models.All[name](0, Device.PtxCompileOnly(major, minor));
            var network = model.DeviceNetwork!;
            try
            {
                Assert.NotEmpty(network.CompiledPtx);
                foreach (var ptx in network.CompiledPtx)
                {
                    Assert.Contains(".target sm_", ptx);
                    Assert.Contains(".entry", ptx);
                }
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
