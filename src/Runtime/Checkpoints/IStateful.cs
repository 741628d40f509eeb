namespace DslNet;

/// <summary>
/// A training component whose state a checkpoint saves and restores: optimizers, schedules, the loss scaler,
/// early stopping. Tensors go by name into the checkpoint's safetensors payload, scalars into its JSON metadata.
/// Restoring must make the component continue bit-identically.
/// </summary>
public interface IStateful
{
    void SaveState(StateWriter state);

    void LoadState(StateReader state);
}
