using DslNet.Generator.Common;
using DslNet.Generator.Layers;
using DslNet.Generator.Parsing;

namespace DslNet.Generator.Tests;

/// <summary>Layer and block specs built by hand for the planner tests, each kind's record with its attribute's defaults.</summary>
internal static class Specs
{
    public static DenseSpec Dense(int units, bool bias = true, InitKind init = InitKind.Auto) =>
        new(null) { Units = units, Bias = bias, Init = InitSpec.Auto with { Kind = init } };

    public static Conv2dSpec Conv(int outChannels, int kernel, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true) =>
        new(null) { Units = outChannels, KernelSize = kernel, Stride = stride, Padding = padding, Dilation = dilation, Groups = groups, Bias = bias };

    public static PoolSpec Pool(LayerKind kind, int kernel, int stride = 0, int padding = 0)
    {
        var pool = kind == LayerKind.AvgPool2d ? new AvgPoolSpec(null) : new PoolSpec(kind, null);
        return pool with { KernelSize = kernel, Stride = stride, Padding = padding };
    }

    public static DropoutSpec Dropout(double rate) => new(LayerKind.Dropout, null, rate);

    public static AddSpec Add(string from, bool projection = false) => new(null, from, projection);

    /// <summary>A layer written without arguments (<c>[Relu]</c>, <c>[BatchNorm]</c>, …): its kind's spec with the defaults.</summary>
    public static LayerSpec Layer(LayerKind kind) => kind switch
    {
        LayerKind.BatchNorm or LayerKind.BatchNorm2d => new BatchNormSpec(kind, null),
        LayerKind.LayerNorm => new NormSpec(kind, null),
        LayerKind.InstanceNorm2d => new InstanceNormSpec(null),
        LayerKind.Gelu => new GeluSpec(null, Approximate: false),
        LayerKind.LeakyRelu => new LeakyReluSpec(null, Slope: 0.01),
        _ => new LayerSpec(kind, null),
    };

    public static BlockSpec Block(string name, params LayerSpec[] layers) =>
        new(name, "public", FormProblem: null, Location: null, layers.ToEquatableArray());
}
