namespace DslNet.Devices;

/// <summary>
/// An optimizer whose gradients live on a device (<see cref="DeviceAdamW"/>). <see cref="GradScaler"/> hands it the
/// unscale instead of rewriting the host gradients, which are stale while the network is device-resident, and keeps its
/// scale in the network's device cells (<see cref="DeviceNetwork.ReadbackInterval"/>), so that no step needs a host read.
/// </summary>
public interface IUnscalesOnDevice
{
    /// <summary>False on a CPU network: <see cref="GradScaler"/> then unscales the host gradients as usual.</summary>
    bool GradientsOnDevice { get; }

    /// <summary>The network whose device cells hold the loss scale and whose backward kernels raise the overflow flag.</summary>
    DeviceNetwork Network { get; }

    /// <summary>
    /// Divides the gradients by the network's device loss scale inside the next update (fused into it: no extra pass).
    /// Returns whether they are all finite where the host knows it (the flag came back with the step's loss); while the
    /// loss is read lazily the answer is on the device only, the update kernel skips an overflowed step by itself, and
    /// this returns true.
    /// </summary>
    bool UnscaleOnDevice();
}
