using System.Runtime.Intrinsics;
using DslNet.Kernels.Cpu;
using DslNet.Tests.Shared;

namespace DslNet.Kernels.Tests;

/// <summary>SiLU against PyTorch's own numbers (tests/reference/silu.json from tests/reference/scripts/silu.py):
/// torch.nn.functional.silu and its autograd derivative, in float32, at points across the range.</summary>
public class SiluReferenceTests
{
    [Fact]
    public void ForwardAndDerivativeMatchPyTorch()
    {
        var reference = ReferenceFiles.Load("silu.json");
        var points = reference.GetProperty("x").EnumerateArray().Select(ReferenceFiles.ToDouble).ToArray();
        var values = reference.GetProperty("y").EnumerateArray().Select(ReferenceFiles.ToDouble).ToArray();
        var slopes = reference.GetProperty("dy_dx").EnumerateArray().Select(ReferenceFiles.ToDouble).ToArray();
        Assert.True(points.Length > 100);
        var silu = default(Silu);
        for (var i = 0; i < points.Length; i++)
        {
            var x = (float)points[i];
            TestUtil.Close(values[i], silu.Apply(x), 2e-6, 1e-7, $"silu({x})");
            TestUtil.Close(values[i], silu.Apply(Vector512.Create(x))[0], 2e-6, 1e-7, $"silu({x}) v512");
            TestUtil.Close(values[i], silu.Apply(Vector256.Create(x))[0], 2e-6, 1e-7, $"silu({x}) v256");
            TestUtil.Close(slopes[i], silu.Derivative(x), 1e-5, 2e-6, $"silu'({x})");
            TestUtil.Close(slopes[i], silu.Derivative(Vector512.Create(x))[0], 1e-5, 2e-6, $"silu'({x}) v512");
            TestUtil.Close(slopes[i], silu.Derivative(Vector256.Create(x))[0], 1e-5, 2e-6, $"silu'({x}) v256");
        }
    }
}
