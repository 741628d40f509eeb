using System.Reflection;
using DslNet.Kernels.Gpu;

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
            .Where(PtxKernelCompiler.IsImplicitlyGrouped)
            .Concat(new[] { typeof(GpuOptimizers).GetMethod(nameof(GpuOptimizers.SumOfSquares))!, typeof(GroupPartials).GetMethod(nameof(GroupPartials.Merge))! });

    [Fact]
    public void The_step_kernels_are_all_here()
    {
        Assert.Equal(new[] { "AdamStep", "GatherRows", "Merge", "PrepareAdamStep", "RecordStep", "SumOfSquares", "UpdateLossScale" },
            Kernels().Select(k => k.Name).Order());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Compiles_to_ptx(string name, int architecture) =>
        PtxKernelCompiler.Compile(Kernels().Single(m => m.Name == name), architecture);
}
