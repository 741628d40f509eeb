namespace DslNet.Devices;

/// <summary>
/// An optimizer whose gradients live on a device (<see cref="DeviceAdamW"/>). <see cref="GradScaler"/> hands it the
/// unscale instead of rewriting the host gradients, which are stale while the network is device-resident.
/// </summary>
public interface IUnscalesOnDevice
{
    /// <summary>False on a CPU network: <see cref="GradScaler"/> then unscales the host gradients as usual.</summary>
    bool GradientsOnDevice { get; }

    /// <summary>
    /// Multiplies the gradients by <paramref name="inverseScale"/> inside the next update (fused into it: no extra pass)
    /// and returns whether they are all finite. The answer is the overflow flag the backward kernels raised, read back
    /// with the step's loss, so it costs no synchronisation.
    /// </summary>
    bool UnscaleOnDevice(float inverseScale);
}
