namespace DslNet.Generator.Tests;

/// <summary>User sources that the generator tests compile: the StreamRec model and one model per layer kind.</summary>
internal static class TestModels
{
    public const string StreamRec = """
        using DslNet;

        namespace StreamRec.Models
        {
            [Network(Inputs = 128, Loss = Loss.BinaryCrossEntropyWithLogits)]
            public sealed partial class StreamRecMlp
            {
                [Dense(256), BatchNorm, Relu, Dropout(0.3)] public partial DenseBlock Hidden1 { get; }
                [Dense(128), BatchNorm, Relu, Dropout(0.3)] public partial DenseBlock Hidden2 { get; }
                [Dense(64),  BatchNorm, Relu, Dropout(0.3)] public partial DenseBlock Hidden3 { get; }
                [Dense(1)]                                  public partial DenseBlock Output  { get; }
            }
        }
        """;

    /// <summary>A model in namespace <c>Models</c>: <paramref name="network"/> arguments, then the block lines.</summary>
    public static string Model(string className, string network, params string[] blocks) => $$"""
        using DslNet;

        namespace Models;

        [Network({{network}})]
        public sealed partial class {{className}}
        {
        {{string.Join("\n", blocks.Select(b => "    " + b))}}
        }
        """;

    /// <summary>Each case exercises one layer kind, loss or initializer (and the global namespace) end to end.</summary>
    public static readonly IReadOnlyDictionary<string, string> LayerKinds = new Dictionary<string, string>
    {
        ["LeakyRelu"] = Model("LeakyReluNet", "Inputs = 8",
            "[Dense(16), LeakyRelu(0.2)] public partial DenseBlock Hidden { get; }",
            "[Dense(1)] public partial DenseBlock Output { get; }"),
        ["GeluExact"] = Model("GeluNet", "Inputs = 8",
            "[Dense(16), Gelu] public partial DenseBlock Hidden { get; }",
            "[Dense(1)] public partial DenseBlock Output { get; }"),
        ["GeluTanh"] = Model("GeluTanhNet", "Inputs = 8",
            "[Dense(16), Gelu(Approximate = true)] public partial DenseBlock Hidden { get; }",
            "[Dense(1)] public partial DenseBlock Output { get; }"),
        ["Tanh"] = Model("TanhNet", "Inputs = 8",
            "[Dense(16), Tanh] public partial DenseBlock Hidden { get; }",
            "[Dense(1)] public partial DenseBlock Output { get; }"),
        ["Sigmoid"] = Model("SigmoidNet", "Inputs = 8",
            "[Dense(16), Sigmoid] public partial DenseBlock Hidden { get; }",
            "[Dense(1)] public partial DenseBlock Output { get; }"),
        ["LayerNorm"] = Model("LayerNormNet", "Inputs = 8",
            "[Dense(16), LayerNorm, Relu] public partial DenseBlock Hidden { get; }",
            "[Dense(1)] public partial DenseBlock Output { get; }"),
        // SyncBatchNorm beside a plain BatchNorm: only the synced block calls the reducing kernels.
        ["SyncBatchNorm"] = Model("SyncBatchNormNet", "Inputs = 8",
            "[Dense(16, Bias = false), BatchNorm(Sync = true), Relu] public partial DenseBlock Hidden1 { get; }",
            "[Dense(16, Bias = false), BatchNorm, Relu] public partial DenseBlock Hidden2 { get; }",
            "[Dense(1)] public partial DenseBlock Output { get; }"),
        ["GroupNorm"] = Model("GroupNormNet", "Inputs = 8",
            "[Dense(16), GroupNorm(4), Gelu] public partial DenseBlock Hidden { get; }",
            "[Dense(1)] public partial DenseBlock Output { get; }"),
        // Dropout without a normalization: its backward is fused into the next block's input-gradient GEMM.
        ["Dropout"] = Model("DropoutNet", "Inputs = 8",
            "[Dense(16), Relu, Dropout(0.25)] public partial DenseBlock Hidden1 { get; }",
            "[Dense(16), Relu, Dropout(0.25)] public partial DenseBlock Hidden2 { get; }",
            "[Dense(1)] public partial DenseBlock Output { get; }"),
        ["NoBias"] = Model("NoBiasNet", "Inputs = 8",
            "[Dense(16, Bias = false), BatchNorm(Momentum = 0.01, Eps = 1e-3), Relu] public partial DenseBlock Hidden { get; }",
            "[Dense(1, Bias = false)] public partial DenseBlock Output { get; }"),
        ["CrossEntropy"] = Model("ClassifierNet", "Inputs = 8, Loss = Loss.CrossEntropy",
            "[Dense(16), Relu] public partial DenseBlock Hidden { get; }",
            "[Dense(3)] public partial DenseBlock Logits { get; }"),
        ["MeanSquaredError"] = Model("RegressionNet", "Inputs = 8, Loss = Loss.MeanSquaredError",
            "[Dense(16), Tanh] public partial DenseBlock Hidden { get; }",
            "[Dense(2), Sigmoid] public partial DenseBlock Output { get; }"),
        // Residual connections: an identity skip around two blocks (Stem's gradient accumulates), a projection, SiLU, and
        // zero-initialized γ in the residual branch.
        ["Residual"] = Model("ResidualNet", "Inputs = 8, ResidualInit = ResidualInit.ZeroLastNorm",
            "[Dense(16), Silu] public partial DenseBlock Stem { get; }",
            "[Dense(16), Relu, Dropout(0.1)] public partial DenseBlock Branch { get; }",
            "[Dense(16, Bias = false), BatchNorm, Add(nameof(Stem))] public partial DenseBlock Unit { get; }",
            "[Dense(4), Tanh, Add(nameof(Unit), Projection = true)] public partial DenseBlock Down { get; }",
            "[Dense(1)] public partial DenseBlock Output { get; }"),
        ["Inits"] = Model("InitNet", "Inputs = 8",
            "[Dense(8, Init = Init.XavierUniform), Tanh] public partial DenseBlock Xu { get; }",
            "[Dense(8, Init = Init.XavierNormal), Sigmoid] public partial DenseBlock Xn { get; }",
            "[Dense(8, Init = Init.HeNormal, Fan = FanMode.Out), Relu] public partial DenseBlock Hn { get; }",
            "[Dense(8, Init = Init.HeUniform), LeakyRelu] public partial DenseBlock Hu { get; }",
            "[Dense(8, Init = Init.Normal, InitStd = 0.02)] public partial DenseBlock N { get; }",
            "[Dense(8, Init = Init.Orthogonal), Relu] public partial DenseBlock O { get; }",
            "[Dense(8, Init = Init.Auto), Relu] public partial DenseBlock A { get; }",
            "[Dense(1, Init = Init.Zeros)] public partial DenseBlock Z { get; }"),
        ["GlobalNamespace"] = """
            using DslNet;

            [Network(Inputs = 4)]
            internal partial class GlobalNet
            {
                [Dense(4), Relu] internal partial DenseBlock Hidden { get; }
                [Dense(1)] internal partial DenseBlock Output { get; }
            }
            """,
    };

    public static IEnumerable<object[]> LayerKindNames => LayerKinds.Keys.Select(k => new object[] { k });
}
