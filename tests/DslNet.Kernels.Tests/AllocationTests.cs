using DslNet.Kernels.Cpu;

namespace DslNet.Kernels.Tests;

[Collection(AllocationCollection.Name)]
public class AllocationTests
{
    [Fact]
    public void TrainingStepsAllocateNothingOnAnyThread()
    {
        int saved = CpuThreads.Count;
        try
        {
            CpuThreads.Count = Math.Max(2, Environment.ProcessorCount);
            var model = new TinyModel();
            // Long enough for tiered compilation to finish re-jitting the kernels (its bookkeeping allocates).
            for (int step = 0; step < 400; step++)
            {
                model.Step(step);
            }

            AllocationWindows.AssertStepsAllocateNothing(model.Step, stepsPerWindow: 20);
        }
        finally
        {
            CpuThreads.Count = saved;
        }
    }

    /// <summary>128 → Dense(256)+BatchNorm+Relu+Dropout → Dense(128)+LayerNorm+GeluTanh → Dense(64)+Tanh+Dropout → Dense(1), BCE.</summary>
    private sealed class TinyModel
    {
        private const int Rows = 256;
        private readonly float[] x = TestUtil.Random(Rows * 128, 1);
        private readonly float[] targets = TestUtil.Random(Rows, 2).Select(v => v > 0 ? 1f : 0f).ToArray();
        private readonly float[] w1 = TestUtil.Random(256 * 128, 3, 0.1f), b1 = new float[256], z1 = new float[Rows * 256], a1 = new float[Rows * 256];
        private readonly float[] g1 = Ones(256), be1 = new float[256], rm1 = new float[256], rv1 = Ones(256), s1 = new float[256];
        private readonly float[] w2 = TestUtil.Random(128 * 256, 4, 0.1f), b2 = new float[128], z2 = new float[Rows * 128], a2 = new float[Rows * 128];
        private readonly float[] g2 = Ones(128), be2 = new float[128], s2 = new float[Rows];
        private readonly float[] w3 = TestUtil.Random(64 * 128, 5, 0.1f), b3 = new float[64], z3 = new float[Rows * 64], a3 = new float[Rows * 64];
        private readonly float[] w4 = TestUtil.Random(64, 6, 0.1f), b4 = new float[1], z4 = new float[Rows];
        private readonly float[] dz4 = new float[Rows], dw4 = new float[64], db4 = new float[1], dz3 = new float[Rows * 64];
        private readonly float[] dw3 = new float[64 * 128], db3 = new float[64], da2 = new float[Rows * 128];
        private readonly float[] dw2 = new float[128 * 256], db2 = new float[128], dg2 = new float[128], dbe2 = new float[128], da1 = new float[Rows * 256];
        private readonly float[] dw1 = new float[256 * 128], db1 = new float[256], dg1 = new float[256], dbe1 = new float[256];

        public void Step(long step)
        {
            var drop1 = new Dropout(0.3f, 42, step, 0);
            var drop3 = new Dropout(0.3f, 42, step, 2);
            Dense.Forward(x, w1, b1, z1, Span<float>.Empty, Rows, 128, 256, default(Identity), Dropout.None);
            BatchNorm.ForwardTraining(z1, g1, be1, rm1, rv1, s1, a1, Rows, 256, 0.1f, 1e-5f, default(Relu), drop1);
            Dense.Forward(a1, w2, b2, z2, Span<float>.Empty, Rows, 256, 128, default(Identity), Dropout.None);
            LayerNorm.Forward(z2, g2, be2, s2, a2, Rows, 128, 1e-5f, default(GeluTanh), Dropout.None);
            Dense.Forward(a2, w3, b3, z3, a3, Rows, 128, 64, default(Tanh), drop3);
            Dense.Forward(a3, w4, b4, z4, Span<float>.Empty, Rows, 64, 1, default(Identity), Dropout.None);
            Losses.BinaryCrossEntropyWithLogits(z4, targets, dz4);

            Dense.BackwardWeights(dz4, a3, dw4, db4, Rows, 64, 1);
            Dense.BackwardInput(dz4, w4, dz3, z3, Rows, 64, 1, default(Tanh), drop3);
            Dense.BackwardWeights(dz3, a2, dw3, db3, Rows, 128, 64);
            Dense.BackwardInput(dz3, w3, da2, Rows, 128, 64);
            LayerNorm.Backward(da2, z2, g2, be2, s2, dg2, dbe2, Rows, 128, default(GeluTanh), Dropout.None);
            Dense.BackwardWeights(da2, a1, dw2, db2, Rows, 256, 128);
            Dense.BackwardInput(da2, w2, da1, Rows, 256, 128);
            BatchNorm.Backward(da1, z1, g1, be1, s1, dg1, dbe1, Rows, 256, default(Relu), drop1);
            Dense.BackwardWeights(da1, x, dw1, db1, Rows, 128, 256);
        }

        private static float[] Ones(int n) => Enumerable.Repeat(1f, n).ToArray();
    }
}
