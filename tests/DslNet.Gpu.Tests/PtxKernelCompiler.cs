using System.Reflection;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace DslNet.Gpu.Tests;

/// <summary>Compiles one kernel method to PTX without a GPU (ILGPU's PTX backend over the shared context), for the tests
/// that check a library's kernels one by one.</summary>
internal static class PtxKernelCompiler
{
    /// <summary>An implicitly grouped kernel: its first parameter is the thread's <see cref="ILGPU.Index1D"/>.</summary>
    public static bool IsImplicitlyGrouped(MethodInfo method) => method.GetParameters().FirstOrDefault()?.ParameterType == typeof(ILGPU.Index1D);

    /// <summary>The public static implicitly grouped kernels of <paramref name="type"/>.</summary>
    public static MethodInfo[] ImplicitlyGroupedKernels(Type type) =>
        type.GetMethods(BindingFlags.Public | BindingFlags.Static).Where(IsImplicitlyGrouped).ToArray();

    /// <summary>The PTX of <paramref name="method"/> for sm_<paramref name="architecture"/> (e.g. 80, 90) with the ISA 8.0
    /// instruction set; an explicitly grouped kernel when its first parameter is not an index.</summary>
    public static string Compile(MethodInfo method, int architecture)
    {
        var cuda = new CudaArchitecture(architecture / 10, architecture % 10);
        using var backend = new PTXBackend(Device.Context, new CudaCapabilityContext(cuda), cuda, CudaInstructionSet.ISA_80, null);
        var entry = IsImplicitlyGrouped(method)
            ? EntryPointDescription.FromImplicitlyGroupedKernel(method)
            : EntryPointDescription.FromExplicitlyGroupedKernel(method);
        var compiled = Assert.IsType<PTXCompiledKernel>(backend.Compile(entry, KernelSpecialization.Empty));
        Assert.Contains(".entry", compiled.PTXAssembly);
        return compiled.PTXAssembly;
    }
}
