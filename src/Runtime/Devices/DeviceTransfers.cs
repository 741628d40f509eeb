namespace DslNet.Devices;

/// <summary>
/// Counts the copies between host and device that a device network and the tools on it (<see cref="DeviceAdamW"/>,
/// <see cref="DeviceDataSet"/>, <see cref="GradScaler"/>) make: the test hook behind the claim that a device-resident step
/// copies nothing. Every device-to-host copy is also a synchronisation: the host waits for every kernel queued before it.
/// </summary>
public sealed class DeviceTransfers
{
    /// <summary>Copies from host memory into device buffers.</summary>
    public long HostToDevice { get; private set; }

    /// <summary>Copies from device buffers into host memory; each one waits for the device.</summary>
    public long DeviceToHost { get; private set; }

    /// <summary>All copies, both ways.</summary>
    public long Total => HostToDevice + DeviceToHost;

    public void Reset() => (HostToDevice, DeviceToHost) = (0, 0);

    internal void CountHostToDevice() => HostToDevice++;

    internal void CountDeviceToHost() => DeviceToHost++;

    public override string ToString() => $"{HostToDevice} host→device, {DeviceToHost} device→host";
}
