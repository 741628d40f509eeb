using System.Reflection;
using DslNet.Kernels.Gpu;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace DslNet.Gpu.Tests;

/// <summary>The kernels a device-resident step launches besides the model's (the optimizer update and its step decisions,
/// the clipping norm's partial sums and their merge, the loss scaler's update, the loss history, the device batch gather)
/// compile to PTX without a GPU, for sm_80 and sm_90: the double-precision Pow and Sqrt of the bias corrections included.</summary>
public sealed class StepKernelPtxCompileTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var kernel in Kernels())
        {
            data.Add(kernel.Name, 80);
            data.Add(kernel.Name, 90);
        }

        return data;
    }

    /// <summary>The implicitly grouped kernels (an <see cref="ILGPU.Index1D"/> first) and the explicitly grouped reductions.</summary>
    private static IEnumerable<MethodInfo> Kernels() =>
        new[] { typeof(GpuStepState), typeof(GpuGather), typeof(GpuOptimizers) }
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(IsImplicitlyGrouped)
            .Concat(new[] { typeof(GpuOptimizers).GetMethod(nameof(GpuOptimizers.SumOfSquares))!, typeof(GroupPartials).GetMethod(nameof(GroupPartials.Merge))! });

    private static bool IsImplicitlyGrouped(MethodInfo method) => method.GetParameters().FirstOrDefault()?.ParameterType == typeof(ILGPU.Index1D);

    [Fact]
    public void The_step_kernels_are_all_here()
    {
        Assert.Equal(new[] { "AdamStep", "GatherRows", "Merge", "PrepareAdamStep", "RecordStep", "SumOfSquares", "UpdateLossScale" },
            Kernels().Select(k => k.Name).Order());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Compiles_to_ptx(string name, int architecture)
    {
        var method = Kernels().Single(m => m.Name == name);
        var cuda = new CudaArchitecture(architecture / 10, architecture % 10);
        using var backend = new PTXBackend(Device.Context, new CudaCapabilityContext(cuda), cuda, CudaInstructionSet.ISA_80, null);
        var entry = IsImplicitlyGrouped(method)
            ? EntryPointDescription.FromImplicitlyGroupedKernel(method)
            : EntryPointDescription.FromExplicitlyGroupedKernel(method);
        var compiled = Assert.IsType<PTXCompiledKernel>(backend.Compile(entry, KernelSpecialization.Empty));
        Assert.Contains(".entry", compiled.PTXAssembly);
    }
}
