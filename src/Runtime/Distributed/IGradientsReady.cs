namespace DslNet;

/// <summary>
/// Told by a network's backward pass as soon as a block's parameter gradients are final, in the plan's backward
/// order (PyTorch DDP's autograd hooks, without the hooks): data parallelism starts their allreduce there, so
/// communication overlaps the rest of the backward pass.
/// </summary>
public interface IGradientsReady
{
    /// <summary>Gradients [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="count"/>) of the flat buffer will not change again this step.</summary>
    void OnGradientsReady(int offset, int count);
}
