using System.Runtime.Intrinsics;
using DslNet.Kernels.Cpu;

namespace DslNet.Kernels.Tests;

public class ActivationTests
{
    public static TheoryData<string> Names() => new(ActivationReference.Names);

    private static double[] Points()
    {
        var points = new List<double>();
        for (double u = -9; u <= 9; u += 0.0137)
        {
            points.Add(u);
        }

        points.AddRange([0, 1e-6, -1e-6, 0.6249, 0.6251, -0.625, 40, -40, 100, -100]);
        return [.. points];
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ScalarAndVectorFormsMatchDoubleReference(string name) => ActivationReference.Visit(name, new ValueCheck(name));

    private sealed class ValueCheck(string name) : IActivationVisitor
    {
        public void Visit<TAct>(TAct act)
            where TAct : struct, IActivation
        {
            foreach (double u in Points())
            {
                float x = (float)u;
                double expected = ActivationReference.Apply(name, x);
                double slope = ActivationReference.Derivative(name, x);
                // GELU's exact form is specified to ~1e-7 absolute; everything else is relative.
                CheckAll(expected, act.Apply(x), act.Apply(Vector512.Create(x)), act.Apply(Vector256.Create(x)), 2e-6, 1e-7, $"{name}({x})");
                if (Math.Abs(x) > 1e-3 || name is not ("Relu" or "LeakyRelu"))
                {
                    CheckAll(slope, act.Derivative(x), act.Derivative(Vector512.Create(x)), act.Derivative(Vector256.Create(x)), 1e-5, 2e-6, $"{name}'({x})");
                }
            }
        }

        private static void CheckAll(double expected, float scalar, Vector512<float> v512, Vector256<float> v256, double rel, double abs, string what)
        {
            TestUtil.Close(expected, scalar, rel, abs, what + " scalar");
            for (int lane = 0; lane < 16; lane++)
            {
                TestUtil.Close(expected, v512[lane], rel, abs, what + " v512");
            }

            for (int lane = 0; lane < 8; lane++)
            {
                TestUtil.Close(expected, v256[lane], rel, abs, what + " v256");
            }
        }
    }

    [Fact]
    public void ReluDerivativeAtZeroIsZeroAndLeakyUsesSlope()
    {
        Assert.Equal(0f, default(Relu).Derivative(0f));
        Assert.Equal(0.2f, new LeakyRelu(0.2f).Derivative(0f));
        Assert.Equal(-0.4f, new LeakyRelu(0.2f).Apply(-2f));
    }
}
