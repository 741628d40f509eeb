using System.Text.Json;
using Xunit.Abstractions;

namespace DslNet.Runtime.Tests;

/// <summary>Each optimizer against torch.optim on the same parameters and gradients (optimizers.json).</summary>
public sealed class OptimizerReferenceTests(ITestOutputHelper output)
{
    // The reference was computed in float64; parameters and state here are fp32, so each value carries fp32
    // rounding (≈ 6e-8 relative per operation). 1e-6 relative holds on these values.
    private const double Relative = 1e-6;

    [Theory]
    [InlineData("sgd")]
    [InlineData("sgd_momentum")]
    [InlineData("sgd_nesterov")]
    [InlineData("adam_l2")]
    [InlineData("adamw")]
    public void Matches_pytorch_after_every_step(string name)
    {
        var reference = Case(name);
        var parameters = Buffers.Parameters(reference.GetProperty("p0").Floats());
        var optimizer = Create(name, parameters, reference.GetProperty("hyper"));
        var grads = reference.GetProperty("grads").EnumerateArray().Select(g => g.Floats()).ToArray();
        var expected = reference.GetProperty("params_after_each_step").EnumerateArray().Select(p => p.Doubles()).ToArray();

        var worst = 0.0;
        for (var step = 0; step < grads.Length; step++)
        {
            grads[step].CopyTo(parameters.Gradients.Data, 0);
            optimizer.Step();
            var actual = parameters.Data.Select(v => (double)v).ToArray();
            worst = Math.Max(worst, Tolerance.MaxRelativeError(expected[step], actual));
            Tolerance.AssertClose(expected[step], actual, Relative, $"{name} step {step + 1}");
        }

        Assert.Equal(grads.Length, optimizer.StepCount);
        output.WriteLine($"{name}: largest relative error {worst:E2}");
    }

    private static Optimizer Create(string name, ParameterBuffer parameters, JsonElement hyper)
    {
        var lr = hyper.GetProperty("lr").GetDouble();
        var weightDecay = hyper.GetProperty("weight_decay").GetDouble();
        return name switch
        {
            "adam_l2" => new Adam(parameters, lr, Beta(hyper, 0), Beta(hyper, 1), hyper.GetProperty("eps").GetDouble(), weightDecay),
            "adamw" => new AdamW(parameters, lr, Beta(hyper, 0), Beta(hyper, 1), hyper.GetProperty("eps").GetDouble(), weightDecay),
            _ => new Sgd(parameters, lr, hyper.GetProperty("momentum").GetDouble(), weightDecay: weightDecay,
                nesterov: hyper.GetProperty("nesterov").GetBoolean()),
        };
    }

    private static double Beta(JsonElement hyper, int index) => hyper.GetProperty("betas")[index].GetDouble();

    private static JsonElement Case(string name) =>
        ReferenceData.Load("optimizers.json").GetProperty("cases").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == name);
}
