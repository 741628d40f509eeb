using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace DslNet;

/// <summary>Where a network's generated code runs.</summary>
public enum DeviceKind
{
    /// <summary>The generated C# path (SIMD, multi-threaded): the default.</summary>
    Cpu,

    /// <summary>The generated ILGPU kernels on a CUDA GPU.</summary>
    Cuda,

    /// <summary>The generated ILGPU kernels on an OpenCL 2.0 GPU (needs generic address spaces: PoCL is refused).</summary>
    OpenCL,

    /// <summary>The generated ILGPU kernels on ILGPU's CPU accelerator: an emulator, about a thousand times slower than
    /// <see cref="Cpu"/>, for testing the kernels without a GPU.</summary>
    IlgpuCpu,

    /// <summary>No execution: every kernel is compiled to PTX for the given architecture (CI's check that CUDA builds).</summary>
    PtxCompileOnly,
}

/// <summary>
/// A device to construct a network on: <c>new StreamRecMlp(seed: 42, device: Device.Cuda())</c>. The same model class
/// runs on every device. Device objects are cheap descriptions; the ILGPU accelerator behind one is created on first
/// use and shared by every network on it for the life of the process.
/// </summary>
public sealed class Device : IEquatable<Device>
{
    // ILGPU's CPU accelerator runs one OS thread per emulated thread: 256 per group, the largest group the kernels use.
    private static readonly CPUDevice EmulatedCpu = new(numThreadsPerWarp: 8, numWarpsPerMultiprocessor: 32, numMultiprocessors: 1);

    private static readonly Lazy<Context> SharedContext = new(() =>
        Context.Create(builder => builder.Cuda().OpenCL().CPU(EmulatedCpu).EnableAlgorithms()));

    private static readonly Dictionary<(DeviceKind, int), Accelerator> Accelerators = new();

    private Device(DeviceKind kind, int index)
    {
        Kind = kind;
        Index = index;
    }

    /// <summary>The generated C# path (the default). Fp16/Bf16 round every stored activation to the format (the
    /// numerics of 16-bit storage, without its memory saving).</summary>
    [SupportedPrecisions(Precision.Fp32, Precision.Fp16, Precision.Bf16)]
    public static Device Cpu { get; } = new(DeviceKind.Cpu, 0);

    /// <summary>ILGPU's CPU accelerator: runs the GPU kernels, slowly, on any machine (tests).</summary>
    [SupportedPrecisions(Precision.Fp32, Precision.Fp16, Precision.Bf16)]
    public static Device IlgpuCpu { get; } = new(DeviceKind.IlgpuCpu, 0);

    /// <summary>CUDA device <paramref name="index"/>.</summary>
    [SupportedPrecisions(Precision.Fp32, Precision.Fp16, Precision.Bf16)]
    public static Device Cuda(int index = 0) => new(DeviceKind.Cuda, CheckIndex(index));

    /// <summary>OpenCL device <paramref name="index"/> (ILGPU needs OpenCL 2.0 generic address spaces).</summary>
    [SupportedPrecisions(Precision.Fp32, Precision.Fp16, Precision.Bf16)]
    public static Device OpenCL(int index = 0) => new(DeviceKind.OpenCL, CheckIndex(index));

    /// <summary>Compiles every kernel to PTX for compute capability major.minor and runs nothing.</summary>
    [SupportedPrecisions(Precision.Fp32, Precision.Fp16, Precision.Bf16)]
    public static Device PtxCompileOnly(int major = 9, int minor = 0) => new(DeviceKind.PtxCompileOnly, major * 10 + minor);

    /// <summary>The first CUDA GPU, else the first usable OpenCL GPU, else <see cref="Cpu"/>.</summary>
    [SupportedPrecisions(Precision.Fp32, Precision.Fp16, Precision.Bf16)]
    public static Device Best()
    {
        if (CudaDeviceCount > 0) return Cuda();
        if (OpenCLDeviceCount > 0) return OpenCL();
        return Cpu;
    }

    public DeviceKind Kind { get; }

    /// <summary>The device index within its kind (for <see cref="DeviceKind.PtxCompileOnly"/>, the compute capability × 10).</summary>
    public int Index { get; }

    /// <summary>True for the generated C# path, false for every ILGPU device.</summary>
    public bool IsCpu => Kind == DeviceKind.Cpu;

    /// <summary>CUDA GPUs visible to ILGPU (0 without a driver).</summary>
    public static int CudaDeviceCount => Count(() => SharedContext.Value.GetCudaDevices().Count);

    /// <summary>OpenCL GPUs ILGPU can use.</summary>
    public static int OpenCLDeviceCount => Count(() => SharedContext.Value.GetCLDevices().Count);

    /// <summary>Whether this device exists here.</summary>
    public bool IsAvailable => Kind switch
    {
        DeviceKind.Cuda => Index < CudaDeviceCount,
        DeviceKind.OpenCL => Index < OpenCLDeviceCount,
        _ => true,
    };

    /// <summary>The device's name, e.g. "NVIDIA H100 80GB HBM3", or why it is absent.</summary>
    public string Name => Kind switch
    {
        DeviceKind.Cpu => "CPU (generated C#)",
        DeviceKind.PtxCompileOnly => $"PTX compiler (sm_{Index})",
        _ => IsAvailable ? Acquire().Name : $"{Kind} {Index} (absent)",
    };

    public override string ToString() => Kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.IlgpuCpu => "ilgpu-cpu",
        DeviceKind.PtxCompileOnly => $"ptx-sm_{Index}",
        _ => $"{Kind.ToString().ToLowerInvariant()}:{Index}",
    };

    /// <summary>Parses "cpu", "cuda", "cuda:1", "opencl", "best", "ilgpu-cpu".</summary>
    public static Device Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().ToLowerInvariant().Split(':');
        var index = parts.Length > 1 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : 0;
        return parts[0] switch
        {
            "cpu" => Cpu,
            "cuda" => Cuda(index),
            "opencl" => OpenCL(index),
            "best" => Best(),
            "ilgpu-cpu" => IlgpuCpu,
            _ => throw new FormatException($"Unknown device '{text}': use cpu, cuda[:n], opencl[:n], best or ilgpu-cpu."),
        };
    }

    public bool Equals(Device? other) => other is not null && other.Kind == Kind && other.Index == Index;

    public override bool Equals(object? obj) => Equals(obj as Device);

    public override int GetHashCode() => HashCode.Combine(Kind, Index);

    /// <summary>The shared ILGPU context (algorithms enabled), for kernels and backends outside a network.</summary>
    public static Context Context => SharedContext.Value;

    /// <summary>The accelerator behind this device, created once per process; throws <see cref="DeviceUnavailableException"/>
    /// when the device is absent.</summary>
    public Accelerator Acquire()
    {
        if (Kind is DeviceKind.Cpu or DeviceKind.PtxCompileOnly)
            throw new InvalidOperationException($"{this} has no ILGPU accelerator.");
        lock (Accelerators)
        {
            if (Accelerators.TryGetValue((Kind, Index), out var existing)) return existing;
            var accelerator = Create();
            Accelerators.Add((Kind, Index), accelerator);
            return accelerator;
        }
    }

    private Accelerator Create()
    {
        var context = SharedContext.Value;
        try
        {
            switch (Kind)
            {
                case DeviceKind.IlgpuCpu:
                    return context.CreateCPUAccelerator(0);
                case DeviceKind.Cuda:
                    var cuda = context.GetCudaDevices();
                    if (Index >= cuda.Count)
                        throw new DeviceUnavailableException(cuda.Count == 0
                            ? "No CUDA device: ILGPU found no CUDA driver or GPU on this machine. Use Device.Cpu, or Device.Best() to fall back."
                            : $"CUDA device {Index} does not exist: this machine has {cuda.Count}.");
                    return cuda[Index].CreateAccelerator(context);
                default:
                    var cl = context.GetCLDevices();
                    if (Index >= cl.Count)
                        throw new DeviceUnavailableException(cl.Count == 0
                            ? "No usable OpenCL device: ILGPU needs OpenCL 2.0 with generic address spaces (PoCL is refused). Use Device.Cpu or Device.Cuda()."
                            : $"OpenCL device {Index} does not exist: this machine has {cl.Count} usable.");
                    return cl[Index].CreateAccelerator(context);
            }
        }
        catch (Exception e) when (e is not DeviceUnavailableException)
        {
            throw new DeviceUnavailableException($"{this} could not be started: {e.Message}", e);
        }
    }

    private static int CheckIndex(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return index;
    }

    private static int Count(Func<int> count)
    {
        try
        {
            return count();
        }
        catch (Exception)
        {
            return 0;
        }
    }
}
