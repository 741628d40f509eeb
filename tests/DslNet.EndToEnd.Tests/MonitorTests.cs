using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>The generated step gathers statistics in the same pass, names the first non-finite block, and scales losses.</summary>
public sealed class MonitorTests
{
    private static readonly Random Random = new(11);

    [Fact]
    public void Statistics_are_gathered_every_interval_steps_and_describe_the_batch()
    {
        var model = new TanhSigmoidNet(seed: 4);
        var (inputs, targets) = Batch(model, rows: 32);
        model.Monitor.Interval = 2;

        model.TrainStep(inputs, targets);                       // step 0: gathered
        var first = model.Monitor.Activations[0]!;
        Assert.Equal(0, first.Step);
        model.TrainStep(inputs, targets);                       // step 1: not gathered
        Assert.Equal(0, model.Monitor.Activations[0]!.Step);
        model.TrainStep(inputs, targets);                       // step 2: gathered
        Assert.Equal(2, model.Monitor.Activations[0]!.Step);

        // Tanh outputs lie in (-1, 1) with some spread; the sigmoid block's outputs are all positive.
        Assert.InRange(first.Std, 0.05, 1.0);
        Assert.All(model.Monitor.Activations, a => Assert.NotNull(a));
        Assert.True(model.Monitor.Activations[1]!.Mean > 0);

        var weight = model.Monitor.Gradients.Single(g => g!.Tensor == "First.Weight")!;
        var expectedNorm = Math.Sqrt(model.First.WeightGradient.ToArray().Sum(g => (double)g * g));
        Assert.Equal(expectedNorm, weight.Norm, 6);
        Assert.True(weight.MaxAbs > 0 && weight.FractionZero < 1);
    }

    [Fact]
    public void Dead_relu_units_are_counted()
    {
        var model = new ReluMseNet(seed: 1);
        var (inputs, targets) = Batch(model, rows: 16);
        model.Hidden.Bias!.Span[..3].Fill(-1000f);             // three of seven units can never fire
        model.Monitor.Interval = 1;

        model.TrainStep(inputs, targets);

        var hidden = model.Monitor.Activations[0]!;
        Assert.Equal(3.0 / 7.0, hidden.DeadUnits, 9);
        Assert.True(hidden.FractionZero >= 3.0 / 7.0);
    }

    [Fact]
    public void Anomaly_mode_names_the_first_block_that_is_not_finite()
    {
        var model = new TanhSigmoidNet(seed: 4);
        var (inputs, targets) = Batch(model, rows: 8);
        model.Monitor.DetectAnomalies = true;
        model.TrainStep(inputs, targets);                       // healthy: no exception

        model.Second.Weight.Span[0] = float.NaN;
        var error = Assert.Throws<NumericalAnomalyException>(() => model.TrainStep(inputs, targets));

        Assert.Equal("Second", error.Block);
        Assert.Equal("forward output", error.Pass);
        Assert.Contains("Second produced NaN", error.Message);
    }

    [Fact]
    public void Without_anomaly_mode_a_nan_flows_through_silently()
    {
        var model = new TanhSigmoidNet(seed: 4);
        var (inputs, targets) = Batch(model, rows: 8);
        model.Second.Weight.Span[0] = float.NaN;

        Assert.True(float.IsNaN(model.TrainStep(inputs, targets)));
    }

    [Fact]
    public void A_loss_scale_multiplies_every_gradient_and_leaves_the_loss()
    {
        var model = new BatchNormNet(seed: 5);
        var (inputs, targets) = Batch(model, rows: 12);
        var loss = model.TrainStep(inputs, targets);
        var gradients = model.Gradients.Span.ToArray();

        model.StepCount = 0;
        var scaledLoss = model.TrainStep(inputs, targets, lossScale: 1024f);

        Assert.Equal(loss, scaledLoss);
        var scaled = model.Gradients.Span;
        for (var i = 0; i < gradients.Length; i++)
            Assert.True(Math.Abs(scaled[i] - 1024f * gradients[i]) <= 1e-4 * Math.Abs(1024f * gradients[i]) + 1e-9,
                $"gradient {i}: {scaled[i]} vs 1024 × {gradients[i]}");
    }

    private static (float[] Inputs, float[] Targets) Batch(INetwork model, int rows)
    {
        var inputs = Enumerable.Range(0, rows * model.InputSize).Select(_ => (float)(Random.NextDouble() * 2 - 1)).ToArray();
        var targets = model.Loss switch
        {
            Loss.CrossEntropy => Enumerable.Range(0, rows).Select(_ => (float)Random.Next(model.OutputSize)).ToArray(),
            Loss.BinaryCrossEntropyWithLogits => Enumerable.Range(0, rows * model.OutputSize).Select(_ => (float)Random.Next(2)).ToArray(),
            _ => Enumerable.Range(0, rows * model.OutputSize).Select(_ => (float)Random.NextDouble()).ToArray(),
        };
        return (inputs, targets);
    }
}
