namespace DslNet.Devices;

/// <summary>What a generated network offers device-side tools such as <see cref="DeviceAdamW"/>.</summary>
public interface IDeviceModel
{
    /// <summary>The device path; null when the network runs on the CPU.</summary>
    DeviceNetwork? DeviceNetwork { get; }

    ParameterBuffer Parameters { get; }

    /// <summary>Copies device parameters, gradients and running statistics into the host buffers.</summary>
    void SyncToHost();
}
