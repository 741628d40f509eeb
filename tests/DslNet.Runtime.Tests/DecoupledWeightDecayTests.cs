using Xunit.Abstractions;

namespace DslNet.Runtime.Tests;

/// <summary>
/// §7.4.3, the credit-scoring case: two highly correlated features (think debt-to-income and utilization). The data
/// pins down the sum of their weights but hardly their difference, so an unregularized fit is free to put large
/// opposite or very uneven weights on the pair; decoupled weight decay (AdamW) spreads the weight across the pair.
/// A hand-written logistic regression on a flat buffer (one Weight view), full-batch, fixed seeds: deterministic.
/// </summary>
public sealed class DecoupledWeightDecayTests(ITestOutputHelper output)
{
    private const int Rows = 200;
    private const int Steps = 3000;

    // Seed 12 shows the textbook failure (large opposite weights, about (−1.6, 4.0)); 11 and 13 a very uneven split.
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void AdamW_spreads_weight_across_correlated_features_where_plain_Adam_splits_it_unevenly(int seed)
    {
        var (x, y) = CorrelatedData(seed);
        var plain = Train(x, y, p => new Adam(p, lr: 0.05));
        // A strong decoupled decay (lr·wd = 0.05 per step) so that full-batch training reaches its equilibrium within
        // the run; with mini-batches, where Adam's √v stays at the gradient-noise level, 1e-2 acts the same way.
        var decoupled = Train(x, y, p => new AdamW(p, lr: 0.05, weightDecay: 1.0));
        var coupled = Train(x, y, p => new Adam(p, lr: 0.05, weightDecay: 1e-2));   // L2 through Adam, for the record
        output.WriteLine($"Adam (no decay):  w = ({plain.W1:F3}, {plain.W2:F3}), loss {plain.Loss:F4}");
        output.WriteLine($"AdamW (wd 1):     w = ({decoupled.W1:F3}, {decoupled.W2:F3}), loss {decoupled.Loss:F4}");
        output.WriteLine($"Adam (L2 1e-2):   w = ({coupled.W1:F3}, {coupled.W2:F3}), loss {coupled.Loss:F4}");

        // Without decay: a fragile split; the difference is at least half the (well-determined) sum.
        Assert.True(Math.Abs(plain.W1 - plain.W2) > 0.5 * Math.Abs(plain.W1 + plain.W2),
            $"Adam without decay was expected to split the weight unevenly, got ({plain.W1}, {plain.W2}).");
        // With decoupled decay: both features carry the shared signal, with weights of the same sign within 10%.
        Assert.True(decoupled.W1 > 0 && decoupled.W2 > 0, $"AdamW weights ({decoupled.W1}, {decoupled.W2}) should both be positive.");
        Assert.True(Math.Abs(decoupled.W1 - decoupled.W2) < 0.1 * (decoupled.W1 + decoupled.W2),
            $"AdamW was expected to spread the weight evenly, got ({decoupled.W1}, {decoupled.W2}).");
        // Stability: shifting one feature by one unit (the correlation breaks, as under a new population) moves the
        // logit by that feature's weight: less for the decayed model. And it still fits the training data nearly as well.
        Assert.True(Math.Max(Math.Abs(decoupled.W1), Math.Abs(decoupled.W2)) < Math.Max(Math.Abs(plain.W1), Math.Abs(plain.W2)));
        Assert.True(decoupled.Loss < plain.Loss + 0.03, $"AdamW training loss {decoupled.Loss} vs Adam {plain.Loss}");
    }

    /// <summary>x1 = z + 0.05·e1, x2 = z + 0.05·e2 (correlation ≈ 0.997); P(y = 1) = σ(2z).</summary>
    private static (float[] X, float[] Y) CorrelatedData(int seed)
    {
        var random = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var x = new float[Rows * 2];
        var y = new float[Rows];
        for (var i = 0; i < Rows; i++)
        {
            var z = Normal();
            x[2 * i] = (float)(z + 0.05 * Normal());
            x[2 * i + 1] = (float)(z + 0.05 * Normal());
            y[i] = random.NextDouble() < 1 / (1 + Math.Exp(-2 * z)) ? 1f : 0f;
        }

        return (x, y);
    }

    /// <summary>Full-batch logistic regression without bias, from zero, for <see cref="Steps"/> optimizer steps.</summary>
    private static (double W1, double W2, double Loss) Train(float[] x, float[] y, Func<ParameterBuffer, Optimizer> create)
    {
        var parameters = new ParameterBuffer(2, [new TensorSlot("Logistic.Weight", ParameterKind.Weight, 0, [1, 2])]);
        var optimizer = create(parameters);
        var w = parameters.Data;
        var g = parameters.Gradients.Data;
        double loss = 0;
        for (var step = 0; step <= Steps; step++)
        {
            g[0] = g[1] = 0;
            loss = 0;
            for (var i = 0; i < Rows; i++)
            {
                var logit = w[0] * x[2 * i] + w[1] * x[2 * i + 1];
                var p = 1 / (1 + Math.Exp(-logit));
                loss += Math.Log(1 + Math.Exp(-Math.Abs(logit))) + Math.Max(logit, 0) - y[i] * logit;   // BCE with logits
                var error = (float)((p - y[i]) / Rows);
                g[0] += error * x[2 * i];
                g[1] += error * x[2 * i + 1];
            }

            loss /= Rows;
            if (step < Steps) optimizer.Step();
        }

        return (w[0], w[1], loss);
    }
}
