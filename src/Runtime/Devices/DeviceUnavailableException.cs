namespace DslNet;

/// <summary>The requested device does not exist on this machine (no CUDA driver, no such index, OpenCL refused).</summary>
public sealed class DeviceUnavailableException : InvalidOperationException
{
    public DeviceUnavailableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
