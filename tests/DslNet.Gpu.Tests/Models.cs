using DslNet.Devices;

namespace DslNet.Gpu.Tests;

/// <summary>Every test model, constructible on any device by name.</summary>
public static class Models
{
    /// <summary>Each model's constructor with a storage precision (Fp16 and Bf16 on ILGPU devices only).</summary>
    public static readonly IReadOnlyDictionary<string, Func<int, Device, Precision, INetwork>> WithPrecision = new Dictionary<string, Func<int, Device, Precision, INetwork>>
    {
        ["MiniStreamRec"] = (seed, device, precision) => new MiniStreamRec(seed, device, precision),
        ["DenseTanhMse"] = (seed, device, precision) => new DenseTanhMse(seed, device, precision),
        ["LayerNormGelu"] = (seed, device, precision) => new LayerNormGelu(seed, device, precision),
        ["GroupNormLeaky"] = (seed, device, precision) => new GroupNormLeaky(seed, device, precision),
        ["DropoutChain"] = (seed, device, precision) => new DropoutChain(seed, device, precision),
        ["ResidualSilu"] = (seed, device, precision) => new ResidualSilu(seed, device, precision),
        ["PreActivation"] = (seed, device, precision) => new PreActivation(seed, device, precision),
        ["StreamRec sample"] = (seed, device, precision) => new DslNet.Samples.StreamRec.StreamRecMlp(seed, device, precision),
    };

    public static readonly IReadOnlyDictionary<string, Func<int, Device, INetwork>> All =
        WithPrecision.ToDictionary(p => p.Key, p => (Func<int, Device, INetwork>)((seed, device) => p.Value(seed, device, Precision.Fp32)));

    public static IEnumerable<object[]> Names => All.Keys.Where(k => k != "StreamRec sample").Select(k => new object[] { k });

    public static IEnumerable<object[]> NamesWithSample => All.Keys.Select(k => new object[] { k });

    /// <summary>A reproducible batch: standard-normal-ish features and valid targets for the model's loss.</summary>
    public static (float[] Inputs, float[] Targets) Batch(INetwork model, int rows, int seed)
    {
        var random = new Random(seed);
        var inputs = new float[rows * model.InputSize];
        for (var i = 0; i < inputs.Length; i++) inputs[i] = (float)(random.NextDouble() * 4 - 2);
        var targets = model.Loss switch
        {
            Loss.CrossEntropy => Enumerable.Range(0, rows).Select(_ => (float)random.Next(model.OutputSize)).ToArray(),
            Loss.BinaryCrossEntropyWithLogits => Enumerable.Range(0, rows * model.OutputSize).Select(_ => (float)random.Next(2)).ToArray(),
            _ => Enumerable.Range(0, rows * model.OutputSize).Select(_ => (float)random.NextDouble()).ToArray(),
        };
        return (inputs, targets);
    }

    public static void Dispose(INetwork model) => (model as IDeviceModel)?.DeviceNetwork?.Dispose();
}
