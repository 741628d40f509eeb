using System.Diagnostics;
using System.Reflection;
using DslNet;
using DslNet.Devices;
using DslNet.Gpu.Tests;
using DslNet.Samples.StreamRec;

// bench/gpu.sh's runner: (1) every GPU test of DslNet.Gpu.Tests on the real device, (2) StreamRec throughput in fp32
// (CPU path, device host-synchronised, device-resident), (3) the device in fp32, fp16 and bf16 storage.
var device = args.Length > 0 ? Device.Parse(args[0]) : Device.Best();
var quick = args.Contains("--quick");
Console.WriteLine($"device: {device} — {device.Name}; CPU threads: {Environment.ProcessorCount}");

if (args.Contains("--diagnose"))
{
    GpuBench.Diagnose.Run(device);
    return 0;
}

var failures = RunChecks(device);
Console.WriteLine();
Console.WriteLine("StreamRec (128→256→128→64→1, BatchNorm/ReLU/Dropout 0.3), fp32, samples/s");
Console.WriteLine($"{"batch",7}  {"train cpu",12}  {"train dev+hostopt",18}  {"train dev-resident",18}  {"predict cpu",12}  {"predict dev",12}");
var fp32Device = new Dictionary<int, (double Train, double Predict)>();
foreach (var batch in new[] { 512, 4096, 65536 })
{
    var cpu = Train(Device.Cpu, batch, resident: false, quick);
    var hosted = device.IsCpu ? double.NaN : Train(device, batch, resident: false, quick);
    var resident = device.IsCpu ? double.NaN : Train(device, batch, resident: true, quick);
    var predictCpu = Predict(Device.Cpu, batch, quick);
    var predictDevice = device.IsCpu ? double.NaN : Predict(device, batch, quick);
    Console.WriteLine($"{batch,7}  {cpu,12:N0}  {hosted,18:N0}  {resident,18:N0}  {predictCpu,12:N0}  {predictDevice,12:N0}");
    fp32Device[batch] = (resident, predictDevice);
}

if (!device.IsCpu)
{
    // Storage precision on the device: device-resident AdamW (fp16 with a GradScaler, as it would be trained), predict.
    Console.WriteLine();
    Console.WriteLine("StreamRec on the device by storage precision (activations and activation gradients), samples/s");
    Console.WriteLine($"{"batch",7}  {"train fp32",12}  {"train fp16",12}  {"train bf16",12}  {"predict fp32",12}  {"predict fp16",12}  {"predict bf16",12}");
    foreach (var batch in new[] { 512, 4096, 65536 })
    {
        // fp32 is the table above's device-resident and device predict columns.
        var (train32, predict32) = fp32Device[batch];
        var train16 = Train(device, batch, resident: true, quick, Precision.Fp16);
        var trainBf16 = Train(device, batch, resident: true, quick, Precision.Bf16);
        var predict16 = Predict(device, batch, quick, Precision.Fp16);
        var predictBf16 = Predict(device, batch, quick, Precision.Bf16);
        Console.WriteLine($"{batch,7}  {train32,12:N0}  {train16,12:N0}  {trainBf16,12:N0}  {predict32,12:N0}  {predict16,12:N0}  {predictBf16,12:N0}");
    }
}

return failures == 0 ? 0 : 1;

static int RunChecks(Device device)
{
    if (device.Kind != DeviceKind.Cuda)
    {
        Console.WriteLine("checks: skipped (no CUDA device)");
        return 0;
    }

    var failures = 0;
    var passed = 0;
    // The CUDA facts, plus the device-independent ones (PTX, dropout masks, conversions) as a sanity check of this build.
    foreach (var type in new[] { typeof(CudaTests), typeof(DeviceKernelTests), typeof(PtxCompileTests) })
        foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
        {
            var theory = method.GetCustomAttributes<Xunit.InlineDataAttribute>().Select(a => a.GetData(method).First()).ToList();
            var member = method.GetCustomAttribute<Xunit.MemberDataAttribute>();
            if (member is not null) theory.AddRange((IEnumerable<object[]>)(member.MemberType ?? type).GetProperty(member.MemberName)!.GetValue(null)!);
            var cases = theory.Count > 0 ? theory : new List<object[]> { Array.Empty<object>() };
            foreach (var arguments in cases)
            {
                var name = $"{type.Name}.{method.Name}({string.Join(", ", arguments)})";
                var watch = Stopwatch.StartNew();
                try
                {
                    method.Invoke(Activator.CreateInstance(type), arguments);
                    passed++;
                    Console.WriteLine($"  PASS {name} ({watch.Elapsed.TotalSeconds:F1} s)");
                }
                catch (TargetInvocationException e)
                {
                    failures++;
                    Console.WriteLine($"  FAIL {name}: {e.InnerException?.Message}");
                }
            }
        }

    Console.WriteLine($"checks: {passed} passed, {failures} failed");
    return failures;
}

static (float[] X, float[] Y) Data(int rows, int seed)
{
    var random = new Random(seed);
    var x = new float[rows * StreamRecMlp.InputSize];
    var y = new float[rows];
    for (var i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
    for (var i = 0; i < rows; i++) y[i] = x[i * StreamRecMlp.InputSize] + x[i * StreamRecMlp.InputSize + 1] > 0 ? 1 : 0;
    return (x, y);
}

static double Train(Device device, int batch, bool resident, bool quick, Precision precision = Precision.Fp32)
{
    var model = new StreamRecMlp(42, device, precision);
    var (x, y) = Data(batch, 1);
    Optimizer optimizer = resident ? new DeviceAdamW(model, lr: 1e-3, weightDecay: 1e-2, clipNorm: 1.0) : new AdamW(model.Parameters, lr: 1e-3, weightDecay: 1e-2);
    // fp16 trains with dynamic loss scaling (on the device optimizer: the unscale and the overflow check cost no extra pass).
    var scaler = new GradScaler(enabled: precision == Precision.Fp16);
    void Step()
    {
        model.TrainStep(x, y, scaler.Scale);
        if (!resident) GradClip.ByNorm(model.Gradients, 1.0);
        scaler.Step(optimizer);
        scaler.Update();
    }

    var rate = Measure(Step, batch, quick);
    model.DeviceNetwork?.Dispose();
    (optimizer as IDisposable)?.Dispose();
    return rate;
}

static double Predict(Device device, int batch, bool quick, Precision precision = Precision.Fp32)
{
    var model = new StreamRecMlp(42, device, precision);
    var (x, _) = Data(batch, 2);
    var outputs = new float[batch];
    var rate = Measure(() => model.Predict(x, outputs), batch, quick);
    model.DeviceNetwork?.Dispose();
    return rate;
}

// Warm up (kernel compilation, allocation), then as many calls as fit in the time budget; samples per second.
static double Measure(Action step, int batch, bool quick)
{
    for (var i = 0; i < 3; i++) step();
    var budget = TimeSpan.FromSeconds(quick ? 0.3 : 2.0);
    var watch = Stopwatch.StartNew();
    var calls = 0;
    while (watch.Elapsed < budget || calls < 3)
    {
        step();
        calls++;
    }

    return (double)calls * batch / watch.Elapsed.TotalSeconds;
}
