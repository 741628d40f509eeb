using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// Finite-difference checks of the generated backward pass: for random directions d, the central difference
/// (L(θ + εd) − L(θ − εd)) / 2ε of the training loss must match the analytic directional derivative ∇L·d.
/// Dropout masks are replayed by pinning StepCount, so every evaluation sees the same network.
/// </summary>
public sealed class GradientCheckTests
{
    private static readonly string[] NetworkNames =
    {
        nameof(ReluMseNet), nameof(LeakyReluNet), nameof(GeluNet), nameof(TanhSigmoidNet),
        nameof(BatchNormNet), nameof(LayerNormNet), nameof(GroupNormNet), nameof(DropoutNet),
        nameof(AddNet), nameof(TwoConsumerNet), nameof(ProjectionNet), nameof(PreActivationNet),
        nameof(SpatialResidualNet), nameof(SpatialProjectionNet), nameof(SpatialNormsNet), nameof(SpatialDropoutNet),
        nameof(SpatialAddActivationNet),
    };

    public static TheoryData<string> Networks => new(NetworkNames);

    [Theory]
    [MemberData(nameof(Networks))]
    public void Backward_matches_finite_differences(string name)
    {
        var network = Create(name);
        const int rows = 6;
        var random = new Random(7);
        var inputs = RandomNormal(random, rows * network.InputSize, 1.0);
        var targets = Targets(network, rows, random);

        for (var direction = 0; direction < 4; direction++)
        {
            var d = RandomNormal(random, network.Parameters.Length, 1.0);
            Normalize(d);
            var analytic = Dot(Gradient(network, inputs, targets), d);
            var epsilon = Epsilon(name);
            var numeric = CentralDifference(network, inputs, targets, d, epsilon);
            var error = Math.Abs(analytic - numeric) / Math.Max(Math.Max(Math.Abs(analytic), Math.Abs(numeric)), NoiseFloor(epsilon));
            Assert.True(error < 2e-2, $"{name}, direction {direction}: analytic {analytic:R}, numeric {numeric:R}, relative error {error:E2}");
        }
    }

    [Fact]
    public void Every_parameter_gets_a_gradient()
    {
        // A backward pass that forgets a tensor leaves its gradient at zero; the check above could miss it when
        // the direction's component is small, so look at each view.
        foreach (var name in NetworkNames)
        {
            var network = Create(name);
            var random = new Random(3);
            var inputs = RandomNormal(random, 8 * network.InputSize, 1.0);
            var gradient = Gradient(network, inputs, Targets(network, 8, random));
            foreach (var view in network.Parameters.Views)
            {
                var norm = Math.Sqrt(gradient.Skip(view.Offset).Take(view.Length).Sum(g => (double)g * g));
                Assert.True(norm > 1e-9, $"{name}: {view.Name} has a zero gradient");
            }
        }
    }

    // The image nets with ReLU have hundreds of ReLU and max-pool inputs per row, so a step of 1e-2 along d moves some of
    // them across a kink and bends the difference quotient; 1e-3 stays clear of that and above the loss's fp32 rounding.
    // SpatialDropoutNet is smooth (GELU, SiLU) and keeps 1e-2, where fp32 rounding matters least.
    private static double Epsilon(string name) =>
        name.StartsWith("Spatial", StringComparison.Ordinal) && name != nameof(SpatialDropoutNet) ? 1e-3 : 1e-2;

    // The loss is fp32: a few of its ulps (about 1e-7 of a loss near 1) divided by the step put a noise floor of about
    // 3e-6 / ε under the difference quotient, so a directional derivative smaller than that is compared against the
    // floor instead of against itself (a random unit direction can be nearly orthogonal to the gradient).
    private static double NoiseFloor(double epsilon) => Math.Max(1e-3, 3e-6 / epsilon);

    private static INetwork Create(string name) => name switch
    {
        nameof(ReluMseNet) => new ReluMseNet(seed: 1),
        nameof(LeakyReluNet) => new LeakyReluNet(seed: 2),
        nameof(GeluNet) => new GeluNet(seed: 3),
        nameof(TanhSigmoidNet) => new TanhSigmoidNet(seed: 4),
        nameof(BatchNormNet) => new BatchNormNet(seed: 5),
        nameof(LayerNormNet) => new LayerNormNet(seed: 6),
        nameof(GroupNormNet) => new GroupNormNet(seed: 7),
        nameof(DropoutNet) => new DropoutNet(seed: 8),
        nameof(AddNet) => new AddNet(seed: 9),
        nameof(TwoConsumerNet) => new TwoConsumerNet(seed: 10),
        nameof(ProjectionNet) => new ProjectionNet(seed: 11),
        nameof(PreActivationNet) => new PreActivationNet(seed: 12),
        nameof(SpatialResidualNet) => new SpatialResidualNet(seed: 12),
        nameof(SpatialProjectionNet) => new SpatialProjectionNet(seed: 13),
        nameof(SpatialNormsNet) => new SpatialNormsNet(seed: 14),
        nameof(SpatialDropoutNet) => new SpatialDropoutNet(seed: 15),
        nameof(SpatialAddActivationNet) => new SpatialAddActivationNet(seed: 16),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static float[] Targets(INetwork network, int rows, Random random) => network.Loss switch
    {
        Loss.CrossEntropy => Enumerable.Range(0, rows).Select(_ => (float)random.Next(network.OutputSize)).ToArray(),
        Loss.BinaryCrossEntropyWithLogits => Enumerable.Range(0, rows * network.OutputSize).Select(_ => (float)random.Next(2)).ToArray(),
        _ => RandomNormal(random, rows * network.OutputSize, 1.0),
    };

    private static float[] Gradient(INetwork network, float[] inputs, float[] targets)
    {
        network.StepCount = 0;
        network.TrainStep(inputs, targets);
        return network.Gradients.Span.ToArray();
    }

    private static double CentralDifference(INetwork network, float[] inputs, float[] targets, float[] direction, double epsilon)
    {
        var original = network.Parameters.Span.ToArray();
        double LossAt(double t)
        {
            var parameters = network.Parameters.Span;
            for (var i = 0; i < parameters.Length; i++) parameters[i] = (float)(original[i] + t * direction[i]);
            network.StepCount = 0;
            return network.TrainStep(inputs, targets);
        }

        // Richardson extrapolation of two central differences cancels their ε² error term, so ε can stay large
        // enough that fp32 rounding of the loss does not dominate.
        var coarse = (LossAt(epsilon) - LossAt(-epsilon)) / (2 * epsilon);
        var fine = (LossAt(epsilon / 2) - LossAt(-epsilon / 2)) / epsilon;
        original.CopyTo(network.Parameters.Span);
        return (4 * fine - coarse) / 3;
    }

    private static float[] RandomNormal(Random random, int count, double std)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
            values[i] = (float)(std * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        return values;
    }

    private static void Normalize(float[] values)
    {
        var norm = Math.Sqrt(values.Sum(v => (double)v * v));
        for (var i = 0; i < values.Length; i++) values[i] = (float)(values[i] / norm);
    }

    private static double Dot(float[] a, float[] b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++) sum += (double)a[i] * b[i];
        return sum;
    }
}
