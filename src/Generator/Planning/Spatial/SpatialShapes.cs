using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;

namespace DslNet.Generator.Planning.Spatial
{
    /// <summary>
    /// Output sizes of convolutions and pooling, PyTorch's formula (ceil_mode = False):
    /// <c>out = ⌊(in + 2p − d(k − 1) − 1) / s⌋ + 1</c>, with the diagnostics of a window that does not fit (DSL0031) and of a
    /// stride that leaves the last input rows or columns unread (DSL0035).
    /// </summary>
    internal static class SpatialShapes
    {
        /// <summary>The output [C_out, OH, OW] of a window over <paramref name="input"/>, or null after reporting why not.</summary>
        public static ValueShape? Window(LayerSpec layer, string block, ValueShape input, int outChannels, int kernel, int stride, int padding,
            int dilation, List<DiagnosticInfo> diagnostics)
        {
            var height = Side(layer, block, input.Height, "rows", kernel, stride, padding, dilation, diagnostics);
            if (height == null) return null;
            var width = input.Width == input.Height ? height : Side(layer, block, input.Width, "columns", kernel, stride, padding, dilation, diagnostics);
            if (width == null) return null;
            return new ValueShape(outChannels, height.Value, width.Value);
        }

        private static int? Side(LayerSpec layer, string block, int size, string what, int kernel, int stride, int padding, int dilation,
            List<DiagnosticInfo> diagnostics)
        {
            var extent = dilation * (kernel - 1) + 1;
            var span = size + 2 * padding - extent;
            if (span < 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.KernelLargerThanInput, layer.Location, layer.Kind, block, extent, size + 2 * padding,
                    what, size, padding, FloorDivide(span, stride) + 1));
                return null;
            }

            // Only real input counts as dropped (the last positions may be padding), and a window narrower than its stride
            // skips positions by design (a 1×1 stride-2 shortcut), not by truncation.
            var remainder = span % stride;
            if (remainder > padding && extent >= stride)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.StrideDropsInput, layer.Location, layer.Kind, block, kernel, stride, padding, dilation,
                    remainder - padding, size, what, remainder));
            return span / stride + 1;
        }

        private static int FloorDivide(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);
    }
}
