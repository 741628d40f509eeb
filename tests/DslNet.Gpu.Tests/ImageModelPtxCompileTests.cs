using System.Reflection;
using DslNet.Devices;

namespace DslNet.Gpu.Tests;

/// <summary>Every generated device kernel of the image models compiles to PTX without a GPU: fp32 for sm_90, fp16 and bf16
/// storage (their own instantiations) too, where 16-bit loads and stores must then appear.</summary>
public sealed class ImageModelPtxCompileTests
{
    public static IEnumerable<object[]> Cases =>
        from name in ImageModels.AllNames.Select(n => (string)n[0])
        from precision in new[] { Precision.Fp32, Precision.Fp16, Precision.Bf16 }
        select new object[] { name, precision };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_kernel_compiles_to_ptx(string name, Precision precision)
    {
        var model = (IDeviceModel)ImageModels.Create(name, 0, Device.PtxCompileOnly(9, 0), precision);
        var network = model.DeviceNetwork!;
        try
        {
            Assert.Equal(precision, network.Precision);
            // One PTX module per kernel method of the generated GpuPath: none was skipped.
            var kernels = network.GetType().GetMethods(BindingFlags.NonPublic | BindingFlags.Static)
                .Count(m => m.Name.EndsWith("Kernel", StringComparison.Ordinal) && m.GetParameters().Length == 1);
            Assert.True(kernels > 10, $"{name}: only {kernels} kernel methods found");
            Assert.Equal(kernels, network.CompiledPtx.Count);
            foreach (var ptx in network.CompiledPtx)
            {
                Assert.Contains(".target sm_", ptx);
                Assert.Contains(".entry", ptx);
            }

            var halfAccess = network.CompiledPtx.Any(ptx => ptx.Contains(".u16") || ptx.Contains(".b16"));
            Assert.Equal(precision != Precision.Fp32, halfAccess);
        }
        finally
        {
            network.Dispose();
        }
    }
}
