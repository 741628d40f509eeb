using DslNet.Kernels.Cpu;

namespace DslNet.Kernels.Tests;

/// <summary>
/// Analytic fp32 backward passes against central differences of a double-precision reference forward, so the
/// numeric derivative itself is accurate to ~1e-9 and any mismatch is the kernel's.
/// </summary>
public class GradientCheckTests
{
    private const int Rows = 6;
    private const int Features = 8;
    private const double Step = 1e-6;

    public enum Norm
    {
        Batch,
        Layer,
        Group,
    }

    public static TheoryData<Norm, string, bool> NormCases()
    {
        var data = new TheoryData<Norm, string, bool>();
        foreach (var norm in Enum.GetValues<Norm>())
        {
            foreach (string name in ActivationReference.Names)
            {
                data.Add(norm, name, false);
                data.Add(norm, name, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(NormCases))]
    public void NormalizationBackwardMatchesFiniteDifferences(Norm norm, string activation, bool withDropout) =>
        ActivationReference.Visit(activation, new NormCheck(norm, activation, withDropout ? new Dropout(0.4f, 3, 1, 7) : Dropout.None));

    private sealed class NormCheck(Norm norm, string name, Dropout dropout) : IActivationVisitor
    {
        private readonly int groups = norm switch { Norm.Batch => 0, Norm.Layer => 1, _ => 2 };

        public void Visit<TAct>(TAct act)
            where TAct : struct, IActivation
        {
            var z = TestUtil.Random(Rows * Features, 21, 2f);
            var gamma = TestUtil.Random(Features, 22, 1.5f);
            var beta = TestUtil.Random(Features, 23);
            var upstream = TestUtil.Random(Rows * Features, 24);
            var values = (float[])z.Clone();
            var output = new float[Rows * Features];
            var invStd = new float[Rows * Features];
            var gradient = (float[])upstream.Clone();
            var dGamma = new float[Features];
            var dBeta = new float[Features];
            const float Eps = 1e-5f;
            switch (norm)
            {
                case Norm.Batch:
                    BatchNorm.ForwardTraining(values, gamma, beta, new float[Features], new float[Features], invStd, output, Rows, Features, 0.1f, Eps, act, dropout);
                    BatchNorm.Backward(gradient, values, gamma, beta, invStd, dGamma, dBeta, Rows, Features, act, dropout);
                    break;
                case Norm.Layer:
                    LayerNorm.Forward(values, gamma, beta, invStd, output, Rows, Features, Eps, act, dropout);
                    LayerNorm.Backward(gradient, values, gamma, beta, invStd, dGamma, dBeta, Rows, Features, act, dropout);
                    break;
                default:
                    GroupNorm.Forward(values, gamma, beta, invStd, output, Rows, Features, groups, Eps, act, dropout);
                    GroupNorm.Backward(gradient, values, gamma, beta, invStd, dGamma, dBeta, Rows, Features, groups, act, dropout);
                    break;
            }

            var zd = z.Select(v => (double)v).ToArray();
            var gd = gamma.Select(v => (double)v).ToArray();
            var bd = beta.Select(v => (double)v).ToArray();
            var forward = Forward(zd, gd, bd);
            for (int i = 0; i < output.Length; i++)
            {
                TestUtil.Close(forward[i], output[i], 1e-5, 1e-6, $"{norm} {name} output[{i}]");
            }

            double Loss() => Forward(zd, gd, bd).Select((o, i) => o * upstream[i]).Sum();
            Compare(zd, gradient, Loss, "dz");
            Compare(gd, dGamma, Loss, "dgamma");
            Compare(bd, dBeta, Loss, "dbeta");
        }

        private void Compare(double[] parameter, float[] analytic, Func<double> loss, string what)
        {
            for (int i = 0; i < parameter.Length; i++)
            {
                double saved = parameter[i];
                parameter[i] = saved + Step;
                double plus = loss();
                parameter[i] = saved - Step;
                double minus = loss();
                parameter[i] = saved;
                TestUtil.Close((plus - minus) / (2 * Step), analytic[i], 1e-3, 1e-4, $"{norm} {name} rate={dropout.Rate} {what}[{i}]");
            }
        }

        private double[] Forward(double[] z, double[] gamma, double[] beta)
        {
            var xhat = new double[z.Length];
            if (norm == Norm.Batch)
            {
                for (int j = 0; j < Features; j++)
                {
                    var column = Enumerable.Range(0, Rows).Select(i => z[i * Features + j]).ToArray();
                    double mean = column.Average();
                    double inv = 1 / Math.Sqrt(column.Select(v => (v - mean) * (v - mean)).Average() + 1e-5);
                    for (int i = 0; i < Rows; i++)
                    {
                        xhat[i * Features + j] = (column[i] - mean) * inv;
                    }
                }
            }
            else
            {
                int width = Features / groups;
                for (int i = 0; i < Rows; i++)
                {
                    for (int g = 0; g < groups; g++)
                    {
                        var span = z.AsSpan(i * Features + g * width, width).ToArray();
                        double mean = span.Average();
                        double inv = 1 / Math.Sqrt(span.Select(v => (v - mean) * (v - mean)).Average() + 1e-5);
                        for (int k = 0; k < width; k++)
                        {
                            xhat[i * Features + g * width + k] = (span[k] - mean) * inv;
                        }
                    }
                }
            }

            return xhat.Select((x, e) => ActivationReference.Apply(name, gamma[e % Features] * x + beta[e % Features]) * dropout.ScaleAt(e)).ToArray();
        }
    }

    [Fact]
    public void LossGradientsMatchFiniteDifferences()
    {
        var logits = TestUtil.Random(12, 31, 4f);
        var binary = TestUtil.Random(12, 32).Select(v => v > 0 ? 1f : 0f).ToArray();
        CheckLoss(logits, g => Losses.BinaryCrossEntropyWithLogits(logits, binary, g), x =>
            x.Select((v, i) => Math.Max(v, 0) - v * binary[i] + Math.Log(1 + Math.Exp(-Math.Abs(v)))).Average(), "bce");

        var classes = new float[] { 2, 0, 3 };
        CheckLoss(logits, g => Losses.CrossEntropy(logits, classes, g, 3, 4), x =>
            Enumerable.Range(0, 3).Select(r =>
            {
                var row = x.Skip(r * 4).Take(4).ToArray();
                return Math.Log(row.Sum(Math.Exp)) - row[(int)classes[r]];
            }).Average(), "cross-entropy");

        var targets = TestUtil.Random(12, 33);
        CheckLoss(logits, g => Losses.MeanSquaredError(logits, targets, g), x =>
            x.Select((v, i) => (v - targets[i]) * (v - targets[i])).Average(), "mse");
    }

    private static void CheckLoss(float[] input, Func<float[], float> kernel, Func<double[], double> reference, string what)
    {
        var gradient = new float[input.Length];
        float loss = kernel(gradient);
        var x = input.Select(v => (double)v).ToArray();
        TestUtil.Close(reference(x), loss, 1e-6, 0, what);
        for (int i = 0; i < x.Length; i++)
        {
            double saved = x[i];
            x[i] = saved + Step;
            double plus = reference(x);
            x[i] = saved - Step;
            double minus = reference(x);
            x[i] = saved;
            TestUtil.Close((plus - minus) / (2 * Step), gradient[i], 1e-4, 1e-7, $"{what} d[{i}]");
        }
    }
}
