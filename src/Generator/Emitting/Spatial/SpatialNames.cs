using DslNet.Generator.Planning;
using DslNet.Generator.Planning.Spatial;

namespace DslNet.Generator.Emitting.Spatial
{
    /// <summary>How an image model's plan is spelled: layout constant names, workspace spans, kernel geometries.</summary>
    internal static class SpatialNames
    {
        public const string K = Names.Kernels;
        public const string S = Names.Kernels + ".Spatial";
        public const string EmptySpan = "global::System.Span<float>.Empty";
        public const string EmptyReadOnly = "global::System.ReadOnlySpan<float>.Empty";

        /// <summary>A tensor's layout constant, e.g. <c>Layout.Conv1WeightOffset</c> for "Conv1.Weight".</summary>
        public static string TensorOffset(string tensorName) => $"Layout.{TensorId(tensorName)}Offset";

        public static string TensorId(string tensorName) => tensorName.Replace(".", "");

        public static string Parameter(string block, string prefix, string what, int length) =>
            $"Parameter({TensorOffset(block + "." + prefix + what)}, {length})";

        public static string Gradient(string block, string prefix, string what, int length) =>
            $"Gradient({TensorOffset(block + "." + prefix + what)}, {length})";

        public static string Running(string block, string prefix, string what, int length) =>
            $"Running({TensorOffset(block + "." + prefix + what)}, {length})";

        /// <summary>A value's floats per row, by its layout constant (the model's <c>InputSize</c> for the network input).</summary>
        public static string Size(ValuePlan value) => value.Id == ValuePlan.NetworkInput ? "InputSize" : $"Layout.{value.Name}Size";

        /// <summary>A value's rows (the caller's <c>inputs</c> for the network input).</summary>
        public static string Value(ValuePlan value) =>
            value.Id == ValuePlan.NetworkInput ? "inputs" : $"Workspace(Layout.{value.Name}Offset, {Size(value)}, rows)";

        public static string ValueGradient(ValuePlan value) => $"Workspace(Layout.{value.Name}GradientOffset, {Size(value)}, rows)";

        public static string Activation(ActivationOp op) => Layers.LayerRegistry.Activation(op.Kind).Functor(op);

        public static string Pixels(ValueShape shape) => (shape.Height * shape.Width).ToString(System.Globalization.CultureInfo.InvariantCulture);

        public static string Bool(bool value) => value ? "true" : "false";
    }
}
