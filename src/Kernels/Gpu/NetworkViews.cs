using ILGPU;

namespace DslNet.Kernels.Gpu;

/// <summary>
/// The one argument every generated kernel takes: views of a device-resident network's flat buffers (same layouts
/// as the host's) and the step's scalars. One signature for every kernel keeps the generated launch code short.
/// </summary>
public struct NetworkViews
{
    /// <summary>Flat parameters (fp32 master weights), the host's <c>Parameters</c> layout.</summary>
    public ArrayView<float> Parameters;

    /// <summary>Flat gradients, same layout.</summary>
    public ArrayView<float> Gradients;

    /// <summary>BatchNorm running means and variances.</summary>
    public ArrayView<float> Statistics;

    /// <summary>Per-feature scratch: saved inverse std, eval-mode scale and shift.</summary>
    public ArrayView<float> Scratch;

    /// <summary>Activations and gradients: a region starts at (offset per row) × <see cref="Capacity"/>.</summary>
    public ArrayView<float> Workspace;

    public ArrayView<float> Inputs;
    public ArrayView<float> Targets;
    public ArrayView<float> Outputs;

    /// <summary>Reduction results (the loss sum).</summary>
    public ArrayView<double> Sums;

    public int Rows;
    public int Capacity;
    public ulong Seed;
    public long Step;
    public float LossScale;

    /// <summary>The workspace region of a block: <paramref name="width"/> values per row for <see cref="Rows"/> rows.</summary>
    public readonly ArrayView<float> Region(int offsetPerRow, int width) => Workspace.SubView((long)offsetPerRow * Capacity, (long)Rows * width);
}
