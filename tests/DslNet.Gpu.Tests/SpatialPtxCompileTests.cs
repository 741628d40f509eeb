using System.Reflection;
using DslNet.Kernels.Gpu;

namespace DslNet.Gpu.Tests;

/// <summary>Every spatial kernel compiles to PTX without a GPU: over fp32 storage for sm_90 and sm_80, over fp16 and bf16
/// storage for sm_90 (16-bit loads and stores must then appear in the PTX).</summary>
public sealed class SpatialPtxCompileTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var (storage, kernels) in Storages())
        {
            foreach (var kernel in kernels)
            {
                data.Add($"{storage}.{kernel.Name}", 90);
                if (storage == "fp32") data.Add($"{storage}.{kernel.Name}", 80);
            }
        }

        return data;
    }

    private static IEnumerable<(string Storage, MethodInfo[] Kernels)> Storages()
    {
        yield return ("fp32", PtxKernelCompiler.ImplicitlyGroupedKernels(typeof(SpatialKernels)));
        yield return ("fp16", PtxKernelCompiler.ImplicitlyGroupedKernels(typeof(SpatialKernels.Half<Fp16Format>)));
        yield return ("bf16", PtxKernelCompiler.ImplicitlyGroupedKernels(typeof(SpatialKernels.Half<Bf16Format>)));
    }

    [Fact]
    public void Every_spatial_device_function_has_a_compiled_kernel()
    {
        // A new device function without a kernel here would escape the PTX check: count them against the wrappers.
        var functions = typeof(DslNet.Kernels.Gpu.Spatial.GpuConv2d).Assembly.GetTypes()
            .Where(t => t.Namespace == "DslNet.Kernels.Gpu.Spatial")
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)).Count();
        Assert.Equal(32, functions);
        Assert.Equal(functions, PtxKernelCompiler.ImplicitlyGroupedKernels(typeof(SpatialKernels)).Length);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Compiles_to_ptx(string kernel, int architecture)
    {
        var (storage, name) = (kernel.Split('.')[0], kernel.Split('.')[1]);
        var method = Storages().Single(s => s.Storage == storage).Kernels.Single(m => m.Name == name);
        var ptx = PtxKernelCompiler.Compile(method, architecture);
        // ILGPU 1.5.3 caps the emitted target at the instruction set's (ISA 8.0: sm_80), as the model kernels' test sees too.
        Assert.Contains(".target sm_", ptx);
        if (storage != "fp32")
        {
            Assert.True(ptx.Contains(".u16") || ptx.Contains(".b16"), "16-bit storage without 16-bit accesses");
        }
    }
}
