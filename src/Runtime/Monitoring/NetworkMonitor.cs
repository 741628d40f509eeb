using System.Numerics;

namespace DslNet;

/// <summary>
/// Per-block activation statistics and per-tensor gradient statistics, gathered by the generated training step
/// every <see cref="Interval"/> steps in the same pass (no hooks), and an anomaly mode that names the first block
/// producing NaN or ∞. Off by default; cheap enough to leave on every 10–100 steps.
/// </summary>
public sealed class NetworkMonitor
{
    private readonly string[] _blocks;
    private readonly Saturation[] _saturation;
    private readonly ParameterBuffer _parameters;
    private readonly ActivationStatistics?[] _activations;
    private readonly GradientStatistics?[] _gradients;
    private readonly int[] _unitZeroCounts;

    public NetworkMonitor(IReadOnlyList<string> blocks, IReadOnlyList<Saturation> saturation, IReadOnlyList<int> widths, ParameterBuffer parameters)
    {
        _blocks = blocks.ToArray();
        _saturation = saturation.ToArray();
        _parameters = parameters;
        _activations = new ActivationStatistics?[_blocks.Length];
        _gradients = new GradientStatistics?[parameters.Views.Count];
        _unitZeroCounts = new int[widths.Count == 0 ? 0 : widths.Max()];
    }

    /// <summary>Gather statistics on every N-th training step; 0 (the default) turns gathering off.</summary>
    public int Interval { get; set; }

    /// <summary>Check every block's output and gradient for NaN/∞ on every step and throw at the first.</summary>
    public bool DetectAnomalies { get; set; }

    /// <summary>The latest statistics per block (null until gathered).</summary>
    public IReadOnlyList<ActivationStatistics?> Activations => _activations;

    /// <summary>The latest statistics per parameter tensor, in <see cref="ParameterBuffer.Views"/> order.</summary>
    public IReadOnlyList<GradientStatistics?> Gradients => _gradients;

    /// <summary>Whether a step gathers statistics; the generated code asks once per step.</summary>
    public bool Gathers(long step) => Interval > 0 && step % Interval == 0;

    /// <summary>Called by the generated forward pass with a block's output [rows, width].</summary>
    public void RecordOutput(int block, long step, ReadOnlySpan<float> output, int width, bool gather)
    {
        if (DetectAnomalies) ThrowIfNotFinite(block, "forward output", output, step);
        if (!gather) return;
        var saturation = _saturation[block];
        double sum = 0, sumSquares = 0;
        long zeros = 0, saturated = 0;
        var unitZeros = _unitZeroCounts.AsSpan(0, width);
        unitZeros.Clear();
        for (var i = 0; i < output.Length; i++)
        {
            var value = output[i];
            sum += value;
            sumSquares += (double)value * value;
            if (value == 0f)
            {
                zeros++;
                unitZeros[i % width]++;
            }
            if (saturation == Saturation.Tanh ? MathF.Abs(value) > 0.99f : saturation == Saturation.Sigmoid && (value < 0.01f || value > 0.99f))
                saturated++;
        }
        var rows = output.Length / width;
        var dead = 0;
        foreach (var count in unitZeros) if (count == rows) dead++;
        var n = (double)output.Length;
        var mean = sum / n;
        _activations[block] = new ActivationStatistics(_blocks[block], step, mean, Math.Sqrt(Math.Max(sumSquares / n - mean * mean, 0)),
            zeros / n, (double)dead / width, saturated / n);
    }

    /// <summary>Called by the generated backward pass with the gradient flowing into a block's output.</summary>
    public void RecordGradient(int block, long step, ReadOnlySpan<float> gradient)
    {
        if (DetectAnomalies) ThrowIfNotFinite(block, "backward gradient", gradient, step);
    }

    /// <summary>Called once the backward pass is done: statistics of every parameter tensor's gradient.</summary>
    public void RecordParameterGradients(long step, bool gather)
    {
        if (DetectAnomalies)
        {
            foreach (var view in _parameters.Gradients.Views)
            {
                var index = IndexOfNonFinite(view.Span);
                if (index >= 0) throw new NumericalAnomalyException(view.Name, "parameter gradient", index, view.Span[index], step);
            }
        }
        if (!gather) return;
        var views = _parameters.Gradients.Views;
        for (var v = 0; v < views.Count; v++)
        {
            var values = views[v].Span;
            double sum = 0, sumSquares = 0, maxAbs = 0;
            long zeros = 0;
            foreach (var g in values)
            {
                sum += g;
                sumSquares += (double)g * g;
                maxAbs = Math.Max(maxAbs, Math.Abs(g));
                if (g == 0f) zeros++;
            }
            var n = (double)values.Length;
            var mean = sum / n;
            _gradients[v] = new GradientStatistics(views[v].Name, step, mean, Math.Sqrt(Math.Max(sumSquares / n - mean * mean, 0)),
                Math.Sqrt(sumSquares), maxAbs, zeros / n);
        }
    }

    private void ThrowIfNotFinite(int block, string pass, ReadOnlySpan<float> values, long step)
    {
        var index = IndexOfNonFinite(values);
        if (index >= 0) throw new NumericalAnomalyException(_blocks[block], pass, index, values[index], step);
    }

    private static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            // x - x is 0 for finite x and NaN for NaN and ±∞: one compare per vector finds both.
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(values.Slice(i));
                if (!Vector.EqualsAll(v - v, Vector<float>.Zero)) break;
            }
        }
        for (; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }
}
