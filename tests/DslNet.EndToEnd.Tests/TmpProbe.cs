using Xunit.Abstractions;
using DslNet.EndToEnd.Tests.Models;
namespace DslNet.EndToEnd.Tests;
public sealed class TmpProbe(ITestOutputHelper output)
{
    [Fact]
    public void Probe()
    {
        foreach (var make in new Func<INetwork>[] { () => new ProbeV1(1), () => new ProbeV2(2), () => new ProbeV2b(2), () => new ProbeV3(3), () => new ProbeV4(4), () => new ProbeV5(5), () => new ProbeV6(6) })
        {
            var network = make();
            var random = new Random(7);
            const int rows = 6;
            var inputs = Enumerable.Range(0, rows * network.InputSize).Select(_ => (float)(random.NextDouble() * 2 - 1) * 1.7f).ToArray();
            var targets = network.Loss == Loss.CrossEntropy ? Enumerable.Range(0, rows).Select(_ => (float)random.Next(network.OutputSize)).ToArray()
                : Enumerable.Range(0, rows * network.OutputSize).Select(_ => (float)random.NextDouble()).ToArray();
            network.StepCount = 0; network.TrainStep(inputs, targets);
            var grad = network.Gradients.Span.ToArray();
            var original = network.Parameters.Span.ToArray();
            for (var dir = 0; dir < 4; dir++)
            {
                var d = Enumerable.Range(0, original.Length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
                var n = Math.Sqrt(d.Sum(x => (double)x * x)); for (var i = 0; i < d.Length; i++) d[i] = (float)(d[i] / n);
                var analytic = 0.0; for (var i = 0; i < d.Length; i++) analytic += (double)grad[i] * d[i];
                var line = $"{network.GetType().Name} dir {dir}: analytic {analytic:E4}";
                foreach (var eps in new[] { 1e-3, 3e-3 })
                {
                    double L(double t) { var p = network.Parameters.Span; for (var i = 0; i < p.Length; i++) p[i] = (float)(original[i] + t * d[i]); network.StepCount = 0; return network.TrainStep(inputs, targets); }
                    var num = (L(eps) - L(-eps)) / (2 * eps);
                    line += $" | eps {eps:E0}: {num:E4}";
                }
                original.CopyTo(network.Parameters.Span);
                output.WriteLine(line);
            }
        }
    }
}
