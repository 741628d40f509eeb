using DslNet;
using DslNet.Gpu.Tests;

namespace GpuBench;

// Probe models that split the layer kinds apart, for locating a device/CPU disagreement.
[Network(Inputs = 7, Loss = Loss.CrossEntropy)]
public sealed partial class LayerNormRelu
{
    [Dense(9), LayerNorm, Relu] public partial DenseBlock Hidden { get; }
    [Dense(3)] public partial DenseBlock Output { get; }
}

[Network(Inputs = 7, Loss = Loss.MeanSquaredError)]
public sealed partial class GeluExactMse
{
    [Dense(9), Gelu] public partial DenseBlock Hidden { get; }
    [Dense(3)] public partial DenseBlock Output { get; }
}

[Network(Inputs = 7, Loss = Loss.MeanSquaredError)]
public sealed partial class LayerNormIdentityMse
{
    [Dense(9), LayerNorm] public partial DenseBlock Hidden { get; }
    [Dense(3)] public partial DenseBlock Output { get; }
}

public static class Diagnose
{
    public static void Run(Device device)
    {
        var models = new Dictionary<string, Func<int, Device, INetwork>>(Models.All)
        {
            ["LayerNormRelu"] = (s, d) => new LayerNormRelu(s, d),
            ["GeluExactMse"] = (s, d) => new GeluExactMse(s, d),
            ["LayerNormIdentityMse"] = (s, d) => new LayerNormIdentityMse(s, d),
        };
        foreach (var rows in new[] { 6, 300 })
            foreach (var (name, create) in models)
            {
                var cpu = create(5, Device.Cpu);
                var gpu = create(5, device);
                var (x, t) = Models.Batch(cpu, rows, 1);
                var predictCpu = new float[rows * cpu.OutputSize];
                var predictGpu = new float[rows * cpu.OutputSize];
                cpu.Predict(x, predictCpu);
                gpu.Predict(x, predictGpu);
                var a = cpu.TrainStep(x, t);
                var b = gpu.TrainStep(x, t);
                var line = $"{name,-22} rows {rows,3}: loss {a:R}/{b:R} predict {Worst(predictCpu, predictGpu):E1}";
                foreach (var view in cpu.Gradients.Views)
                    line += $" {view.Name} {Worst(view.Span, gpu.Gradients[view.Name].Span):E1}";
                Console.WriteLine(line);
                Models.Dispose(gpu);
            }
    }

    private static double Worst(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        double max = 1e-12, worst = 0;
        foreach (var e in expected) max = Math.Max(max, Math.Abs(e));
        for (var i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]) / max);
        return worst;
    }
}
