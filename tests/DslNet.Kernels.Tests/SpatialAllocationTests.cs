using DslNet.Kernels.Cpu;
using DslNet.Kernels.Cpu.Spatial;

namespace DslNet.Kernels.Tests;

[Collection(AllocationCollection.Name)]
public class SpatialAllocationTests
{
    [Fact]
    public void CnnTrainingStepsAllocateNothingOnAnyThread()
    {
        int saved = CpuThreads.Count;
        try
        {
            CpuThreads.Count = Math.Max(2, Environment.ProcessorCount);
            var model = new TinyCnn();
            for (int step = 0; step < 250; step++)
            {
                model.Step(step);
            }

            AllocationWindows.AssertStepsAllocateNothing(model.Step, stepsPerWindow: 10);
        }
        finally
        {
            CpuThreads.Count = saved;
        }
    }

    /// <summary>[1, 12, 12] → Conv 3x3 (8) + BN2d + ReLU → MaxPool 2 (also through the fused BatchNormMaxPool2d) → depthwise 3x3 + GroupNorm + Dropout2d → Conv 1x1 (16)
    /// + InstanceNorm → LayerNorm([C,H,W]) → AvgPool 3/1/1 → global average pool; every forward and backward kernel.</summary>
    private sealed class TinyCnn
    {
        private const int N = 32;
        private static readonly Conv2dGeometry C1 = Conv2dGeometry.Square(N, 1, 12, 12, 8, 3, padding: 1);
        private static readonly Pool2dGeometry P1 = Pool2dGeometry.Square(N, 8, 12, 12, 2);
        private static readonly Conv2dGeometry C2 = Conv2dGeometry.Square(N, 8, 6, 6, 8, 3, padding: 1, groups: 8);
        private static readonly Conv2dGeometry C3 = Conv2dGeometry.Square(N, 8, 6, 6, 16, 1);
        private static readonly Pool2dGeometry P2 = Pool2dGeometry.Square(N, 16, 6, 6, 3, 1, 1);
        private readonly float[] x = TestUtil.Random(N * 144, 1);
        private readonly float[] w1 = TestUtil.Random(72, 2, 0.3f), b1 = new float[8], z1 = new float[N * 144 * 8], a1 = new float[N * 144 * 8];
        private readonly float[] g1 = Ones(8), be1 = new float[8], rm1 = new float[8], rv1 = Ones(8), s1 = new float[8];
        private readonly float[] p1 = new float[N * 36 * 8];
        private readonly int[] arg1 = new int[N * 36 * 8], fusedArg1 = new int[N * 36 * 8];
        private readonly float[] fusedZ1 = new float[N * 144 * 8], fusedP1 = new float[N * 36 * 8], winners1 = new float[N * 36 * 8], fusedDa1 = new float[N * 144 * 8];
        private readonly float[] w2 = TestUtil.Random(72, 3, 0.3f), z2 = new float[N * 36 * 8], a2 = new float[N * 36 * 8], g2 = Ones(8), be2 = new float[8], s2 = new float[N * 2];
        private readonly float[] w3 = TestUtil.Random(128, 4, 0.3f), z3 = new float[N * 36 * 16], a3 = new float[N * 36 * 16], s3 = new float[N * 16];
        private readonly float[] g4 = Ones(576), be4 = new float[576], a4 = new float[N * 36 * 16], s4 = new float[N];
        private readonly float[] p2 = new float[N * 36 * 16], gap = new float[N * 16];
        private readonly float[] dgap = TestUtil.Random(N * 16, 5), dp2 = new float[N * 36 * 16], da4 = new float[N * 36 * 16];
        private readonly float[] dg4 = new float[576], dbe4 = new float[576], da3 = new float[N * 36 * 8], dw3 = new float[128];
        private readonly float[] dw2 = new float[72], dg2 = new float[8], dbe2 = new float[8], dp1 = new float[N * 36 * 8];
        private readonly float[] da1 = new float[N * 144 * 8], dg1 = new float[8], dbe1 = new float[8], dw1 = new float[72], db1 = new float[8], dx = new float[N * 144];

        public void Step(long step)
        {
            var drop = new Dropout(0.2f, 42, step, 1);
            Conv2d.Forward(x, w1, b1, z1, Span<float>.Empty, C1, default(Identity));
            BatchNorm2d.ForwardTraining(z1, g1, be1, rm1, rv1, s1, a1, N * 144, 8, 0.1f, 1e-5f, default(Relu));
            Pool2d.MaxForward(a1, p1, arg1, P1);
            z1.CopyTo(fusedZ1, 0);
            BatchNormMaxPool2d.ForwardTraining(fusedZ1, g1, be1, rm1, rv1, s1, fusedP1, fusedArg1, winners1, P1, 0.1f, 1e-5f, default(Relu));
            Conv2d.Forward(p1, w2, ReadOnlySpan<float>.Empty, z2, Span<float>.Empty, C2, default(Identity));
            GroupNorm2d.Forward(z2, g2, be2, s2, a2, N, 36, 8, 2, 1e-5f, NormAffine.PerChannel, default(Relu));
            Dropout2d.Forward(a2, a2, drop, N, 36, 8);
            Conv2d.Forward(a2, w3, ReadOnlySpan<float>.Empty, z3, Span<float>.Empty, C3, default(Identity));
            InstanceNorm2d.Forward(z3, ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty, s3, a3, N, 36, 16, 1e-5f, false, default(Relu));
            LayerNorm2d.Forward(a3, g4, be4, s4, a4, N, 36, 16, 1e-5f, default(Identity));
            Pool2d.AvgForward(a4, p2, P2, countIncludePad: false);
            Pool2d.GlobalAvgForward(p2, gap, N, 36, 16);

            Pool2d.GlobalAvgBackward(dgap, dp2, N, 36, 16);
            Pool2d.AvgBackward(dp2, da4, P2, countIncludePad: false);
            LayerNorm2d.Backward(da4, a3, g4, be4, s4, dg4, dbe4, N, 36, 16, default(Identity));
            InstanceNorm2d.Backward(da4, z3, ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty, s3, Span<float>.Empty, Span<float>.Empty, N, 36, 16, false, default(Relu));
            Conv2d.BackwardWeights(da4, a2, dw3, Span<float>.Empty, C3);
            Conv2d.BackwardInput(da4, w3, da3, C3);
            Dropout2d.Backward(da3, da3, drop, N, 36, 8);
            GroupNorm2d.Backward(da3, z2, g2, be2, s2, dg2, dbe2, N, 36, 8, 2, NormAffine.PerChannel, default(Relu));
            Conv2d.BackwardWeights(da3, p1, dw2, Span<float>.Empty, C2);
            Conv2d.BackwardInput(da3, w2, dp1, C2);
            Pool2d.MaxBackward(dp1, arg1, da1, P1);
            BatchNorm2d.Backward(da1, z1, g1, be1, s1, dg1, dbe1, N * 144, 8, default(Relu));
            BatchNormMaxPool2d.Backward(dp1, fusedArg1, winners1, fusedZ1, g1, be1, s1, dg1, dbe1, fusedDa1, P1, default(Relu));
            Conv2d.BackwardWeights(da1, x, dw1, db1, C1);
            Conv2d.BackwardInput(da1, w1, dx, C1);
        }

        private static float[] Ones(int n) => Enumerable.Repeat(1f, n).ToArray();
    }
}
