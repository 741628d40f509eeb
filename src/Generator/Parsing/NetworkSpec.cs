using DslNet.Generator.Common;

namespace DslNet.Generator.Parsing
{
    /// <summary>What the user wrote: a [Network] class and its block properties, with no Roslyn symbols.</summary>
    internal sealed record NetworkSpec(
        string? Namespace,
        string ClassName,
        string Accessibility,
        bool IsSealed,
        bool IsPartial,
        string? UnsupportedShape,
        int Inputs,
        LossKind Loss,
        LocationInfo? Location,
        EquatableArray<BlockSpec> Blocks)
    {
        /// <summary>How residual branches are initialized ([Network(ResidualInit = …)]).</summary>
        public ResidualInitKind ResidualInit { get; init; }

        /// <summary>[Network(LabelSmoothing = ε)]: CrossEntropy's label smoothing (PyTorch's <c>label_smoothing</c>; 0: none).</summary>
        public double LabelSmoothing { get; init; }

        /// <summary>[Network(Channels, Height, Width)]: an image model's input shape (0 where not set).</summary>
        public int Channels { get; init; }
        public int Height { get; init; }
        public int Width { get; init; }

        /// <summary>Any of Channels, Height, Width set: the model takes images and is planned by the spatial planner.</summary>
        public bool IsImageModel => Channels != 0 || Height != 0 || Width != 0;
    }


    /// <summary>One attributed property: its layers in source order.</summary>
    internal sealed record BlockSpec(
        string Name,
        string Accessibility,
        string? FormProblem,
        LocationInfo? Location,
        EquatableArray<LayerSpec> Layers);

    /// <summary>
    /// One layer attribute with its arguments. Only the fields relevant to <see cref="Kind"/> are meaningful; the
    /// rest keep the attribute's defaults so equality stays simple.
    /// </summary>
    internal sealed record LayerSpec(LayerKind Kind, LocationInfo? Location)
    {
        public int Units { get; init; }
        public bool Bias { get; init; } = true;
        public InitKind Init { get; init; } = InitKind.Auto;
        public FanKind Fan { get; init; } = FanKind.In;
        public double InitStd { get; init; } = 0.01;
        public double Slope { get; init; } = 0.01;
        public bool Approximate { get; init; }
        public double Momentum { get; init; } = 0.1;
        public double Eps { get; init; } = 1e-5;
        public int Groups { get; init; }
        public double Rate { get; init; }
        public string Skip { get; init; } = "";
        public bool Projection { get; init; }
        public bool Sync { get; init; }

        // Spatial layers (Conv2d, pooling): square kernels; a pooling Stride of 0 means the kernel size.
        public int KernelSize { get; init; }
        public int Stride { get; init; } = 1;
        public int Padding { get; init; }
        public int Dilation { get; init; } = 1;
        public bool CountIncludePad { get; init; } = true;
        public bool Affine { get; init; }
    }

    internal enum LayerKind
    {
        Dense,
        Relu,
        LeakyRelu,
        Gelu,
        Tanh,
        Sigmoid,
        BatchNorm,
        LayerNorm,
        GroupNorm,
        Dropout,
        Add,
        Silu,
        Conv2d,
        MaxPool2d,
        AvgPool2d,
        GlobalAvgPool2d,
        Flatten,
        BatchNorm2d,
        InstanceNorm2d,
        Dropout2d,
    }

    /// <summary>Mirrors DslNet.ResidualInit by value.</summary>
    internal enum ResidualInitKind
    {
        Default = 0,
        ZeroLastNorm = 1,
        Gpt2Scaled = 2,
    }

    // These mirror the runtime's enums by value; the generator cannot reference the runtime assembly.
    internal enum LossKind
    {
        BinaryCrossEntropyWithLogits = 0,
        CrossEntropy = 1,
        MeanSquaredError = 2,
    }

    internal enum InitKind
    {
        Auto = 0,
        XavierUniform = 1,
        XavierNormal = 2,
        HeNormal = 3,
        HeUniform = 4,
        Normal = 5,
        Zeros = 6,
        Orthogonal = 7,
    }

    internal enum FanKind
    {
        In = 0,
        Out = 1,
    }
}
