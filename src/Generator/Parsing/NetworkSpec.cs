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
    /// One layer attribute: its kind and where it was written. A kind with arguments reads them into its own record
    /// derived from this one, declared beside its descriptor in Layers/ (<c>DenseSpec</c> in Dense.cs, <c>Conv2dSpec</c> in
    /// Conv2d.cs, …); a kind without arguments (Relu, Flatten) is this record itself. Records compare by type and value,
    /// so the incremental pipeline caches.
    /// </summary>
    internal record LayerSpec(LayerKind Kind, LocationInfo? Location);

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
