using DslNet.Kernels.Cpu;

namespace DslNet.Kernels.Tests;

/// <summary>Every Dense entry point (and so every GEMM epilogue) against a double-precision reference.</summary>
public class DenseTests
{
    public static TheoryData<string, int, int, int> Cases()
    {
        var data = new TheoryData<string, int, int, int>();
        var shapes = new[] { (1, 1, 1), (3, 5, 7), (17, 9, 6), (13, 3, 33), (160, 60, 70) };
        foreach (string name in ActivationReference.Names)
        {
            foreach (var (rows, inputs, units) in shapes)
            {
                data.Add(name, rows, inputs, units);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesReference(string activation, int rows, int inputs, int units) =>
        ActivationReference.Visit(activation, new Check(activation, rows, inputs, units));

    private sealed class Check(string name, int rows, int inputs, int units) : IActivationVisitor
    {
        public void Visit<TAct>(TAct act)
            where TAct : struct, IActivation
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                foreach (var dropout in new[] { Dropout.None, new Dropout(0.3f, 77, 5, 2) })
                {
                    TestUtil.With(threads, Gemm.Isa, () => Run(act, dropout, $"{name} {rows}x{inputs}->{units} threads={threads} rate={dropout.Rate}"));
                }
            }
        }

        private void Run<TAct>(TAct act, Dropout dropout, string what)
            where TAct : struct, IActivation
        {
            var x = TestUtil.Random(rows * inputs, 1, 2f);
            var w = TestUtil.Random(units * inputs, 2, 0.5f);
            var b = TestUtil.Random(units, 3);
            var pre = new float[rows * units];
            var output = new float[rows * units];
            Dense.Forward(x, w, b, pre, output, rows, inputs, units, act, dropout);
            var expectedPre = Linear(x, w, b, rows, inputs, units, out var magnitude);
            for (int i = 0; i < pre.Length; i++)
            {
                TestUtil.Close(expectedPre[i], pre[i], 0, 1e-6 * magnitude[i] + 1e-6, $"{what} pre[{i}]");
                double expected = ActivationReference.Apply(name, pre[i]) * dropout.ScaleAt(i);
                TestUtil.Close(expected, output[i], 2e-6, 2e-6, $"{what} output[{i}]");
            }

            // No output: only the pre-activation (a normalization follows); no bias: none added.
            var preOnly = new float[rows * units];
            Dense.Forward(x, w, ReadOnlySpan<float>.Empty, preOnly, Span<float>.Empty, rows, inputs, units, act, dropout);
            for (int i = 0; i < pre.Length; i++)
            {
                TestUtil.Close(expectedPre[i] - b[i % units], preOnly[i], 0, 1e-6 * magnitude[i] + 1e-6, $"{what} preOnly[{i}]");
            }

            // Inference with a folded BatchNorm affine.
            var scale = TestUtil.Random(units, 4, 2f);
            var shift = TestUtil.Random(units, 5);
            var inference = new float[rows * units];
            Dense.ForwardInference(x, w, b, scale, shift, inference, rows, inputs, units, act);
            for (int i = 0; i < pre.Length; i++)
            {
                double u = expectedPre[i] * scale[i % units] + shift[i % units];
                double slack = 1e-6 * (magnitude[i] + 1) * (Math.Abs(scale[i % units]) + 1) * Math.Max(1, Math.Abs(ActivationReference.Derivative(name, u)));
                TestUtil.Close(ActivationReference.Apply(name, u), inference[i], 2e-6, slack, $"{what} inference[{i}]");
            }

            // Backward through activation and dropout, in place.
            var upstream = TestUtil.Random(rows * units, 6);
            var gradPre = (float[])upstream.Clone();
            Dense.BackwardActivation(gradPre, pre, rows, units, act, dropout);
            for (int i = 0; i < pre.Length; i++)
            {
                double expected = upstream[i] * dropout.ScaleAt(i) * ActivationReference.Derivative(name, pre[i]);
                TestUtil.Close(expected, gradPre[i], 2e-5, 2e-6, $"{what} gradPre[{i}]");
            }

            var dw = TestUtil.Random(units * inputs, 7);
            var db = TestUtil.Random(units, 8);
            Dense.BackwardWeights(gradPre, x, dw, db, rows, inputs, units);
            for (int j = 0; j < units; j++)
            {
                double bias = 0;
                for (int i = 0; i < rows; i++)
                {
                    bias += gradPre[i * units + j];
                }

                TestUtil.Close(bias, db[j], 1e-6, 1e-6, $"{what} db[{j}]");
                for (int p = 0; p < inputs; p++)
                {
                    double sum = 0, mag = 0;
                    for (int i = 0; i < rows; i++)
                    {
                        sum += (double)gradPre[i * units + j] * x[i * inputs + p];
                        mag += Math.Abs((double)gradPre[i * units + j] * x[i * inputs + p]);
                    }

                    TestUtil.Close(sum, dw[j * inputs + p], 0, 1e-6 * mag + 1e-7, $"{what} dw[{j},{p}]");
                }
            }

            var dx = TestUtil.Random(rows * inputs, 9);
            Dense.BackwardInput(gradPre, w, dx, rows, inputs, units);
            var previousPre = TestUtil.Random(rows * inputs, 10, 3f);
            var previousDropout = dropout.Rate == 0 ? Dropout.None : new Dropout(0.5f, 77, 5, 1);
            var fused = TestUtil.Random(rows * inputs, 11);
            Dense.BackwardInput(gradPre, w, fused, previousPre, rows, inputs, units, act, previousDropout);
            for (int i = 0; i < rows; i++)
            {
                for (int p = 0; p < inputs; p++)
                {
                    double sum = 0, mag = 0;
                    for (int j = 0; j < units; j++)
                    {
                        sum += (double)gradPre[i * units + j] * w[j * inputs + p];
                        mag += Math.Abs((double)gradPre[i * units + j] * w[j * inputs + p]);
                    }

                    int e = i * inputs + p;
                    TestUtil.Close(sum, dx[e], 0, 1e-6 * mag + 1e-7, $"{what} dx[{i},{p}]");
                    double chained = dx[e] * previousDropout.ScaleAt(e) * ActivationReference.Derivative(name, previousPre[e]);
                    TestUtil.Close(chained, fused[e], 2e-5, 1e-6 * (mag + 1), $"{what} fused dx[{i},{p}]");
                }
            }
        }

        private static double[] Linear(float[] x, float[] w, float[] b, int rows, int inputs, int units, out double[] magnitude)
        {
            var result = new double[rows * units];
            magnitude = new double[rows * units];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < units; j++)
                {
                    double sum = b[j], mag = Math.Abs(b[j]);
                    for (int p = 0; p < inputs; p++)
                    {
                        sum += (double)x[i * inputs + p] * w[j * inputs + p];
                        mag += Math.Abs((double)x[i * inputs + p] * w[j * inputs + p]);
                    }

                    result[i * units + j] = sum;
                    magnitude[i * units + j] = mag;
                }
            }

            return result;
        }
    }
}
