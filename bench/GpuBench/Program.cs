using System.Diagnostics;
using System.Reflection;
using DslNet;
using DslNet.Devices;
using DslNet.Gpu.Tests;
using DslNet.Samples.StreamRec;
using GpuBench;

// bench/gpu.sh's runner: (1) every GPU test of DslNet.Gpu.Tests on the real device, (2) StreamRec throughput in fp32
// (CPU path, device host-synchronised, device-resident reading the loss every step, device-resident with no host round
// trip per step: the data set on the device and the loss read every 100 steps), (3) the device in fp32, fp16 and bf16 storage, (4) with
// --crossover, the cuBLAS/fused crossover (StreamRec, then the Fashion-MNIST ResNet's convolutions), (5) with --auc DIR,
// a fixed training run's test AUC per precision.
// Every number is also printed as a "RESULT dslnet …" line, which bench/gpu.sh compares with PyTorch's.
var options = Options.Parse(args);
var device = options.Device;
var quick = options.Quick;
Console.WriteLine($"device: {device} — {device.Name}; CPU threads: {Environment.ProcessorCount}");

if (options.Diagnose)
{
    GpuBench.Diagnose.Run(device);
    return 0;
}

if (options.Crossover)
{
    Crossover.Run(BenchModel.StreamRec, "crossover", device, options.CrossoverBatches, quick);
    Crossover.Run(BenchModel.ResNet, "conv-crossover", device, options.ImageCrossoverBatches, quick);
    return 0;
}

if (options.AucDirectory is { } aucDirectory)
{
    AucCheck.Run(device, aucDirectory, options.AucRows);
    return 0;
}

var failures = options.SkipChecks ? 0 : RunChecks(device);
if (options.ChecksOnly) return failures == 0 ? 0 : 1;
Console.WriteLine();
Console.WriteLine("StreamRec (128→256→128→64→1, BatchNorm/ReLU/Dropout 0.3), fp32, samples/s");
Console.WriteLine($"{"batch",7}  {"train cpu",12}  {"train dev+hostopt",18}  {"train dev per-step",18}  {"train dev-resident",18}  {"predict cpu",12}  {"predict dev",12}");
var fp32Device = new Dictionary<int, (double Train, double Predict)>();
foreach (var batch in options.Batches)
{
    var cpu = options.SkipCpu ? double.NaN : Train(Device.Cpu, batch, resident: false, quick);
    var hosted = device.IsCpu ? double.NaN : Train(device, batch, resident: false, quick);
    var perStep = device.IsCpu ? double.NaN : Workloads.Train(BenchModel.StreamRec, device, batch, resident: true, quick, perStepRead: true);
    var resident = device.IsCpu ? double.NaN : Train(device, batch, resident: true, quick);
    var predictCpu = options.SkipCpu ? double.NaN : Predict(Device.Cpu, batch, quick);
    var predictDevice = device.IsCpu ? double.NaN : Predict(device, batch, quick);
    Console.WriteLine($"{batch,7}  {cpu,12:N0}  {hosted,18:N0}  {perStep,18:N0}  {resident,18:N0}  {predictCpu,12:N0}  {predictDevice,12:N0}");
    fp32Device[batch] = (resident, predictDevice);
    Result.Print("train", "fp32", batch, resident);
    Result.Print("predict", "fp32", batch, predictDevice);
}

if (!device.IsCpu)
{
    // Storage precision on the device: device-resident AdamW (fp16 with a GradScaler, as it would be trained), predict.
    Console.WriteLine();
    Console.WriteLine("StreamRec on the device by storage precision (activations and activation gradients), samples/s");
    Console.WriteLine($"{"batch",7}  {"train fp32",12}  {"train fp16",12}  {"train bf16",12}  {"predict fp32",12}  {"predict fp16",12}  {"predict bf16",12}");
    foreach (var batch in options.Batches)
    {
        // fp32 is the table above's device-resident and device predict columns.
        var (train32, predict32) = fp32Device[batch];
        var train16 = Train(device, batch, resident: true, quick, Precision.Fp16);
        var trainBf16 = Train(device, batch, resident: true, quick, Precision.Bf16);
        var predict16 = Predict(device, batch, quick, Precision.Fp16);
        var predictBf16 = Predict(device, batch, quick, Precision.Bf16);
        Console.WriteLine($"{batch,7}  {train32,12:N0}  {train16,12:N0}  {trainBf16,12:N0}  {predict32,12:N0}  {predict16,12:N0}  {predictBf16,12:N0}");
        Result.Print("train", "fp16", batch, train16);
        Result.Print("train", "bf16", batch, trainBf16);
        Result.Print("predict", "fp16", batch, predict16);
        Result.Print("predict", "bf16", batch, predictBf16);
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
    // The CUDA facts, plus the device-independent ones (dropout masks, conversions) as a sanity check of this build (CI
    // compiles every kernel to PTX already, so PtxCompileTests are left to it and the run stays short).
    // GemmChoiceTests and ConvGemmChoiceTests: only their CUDA facts (cuBLAS against the strided contract, and MLP and
    // convolution steps through cuBLAS against the fused and direct kernels).
    var cudaFactsOnly = new[] { typeof(GemmChoiceTests), typeof(ConvGemmChoiceTests) };
    foreach (var type in new[] { typeof(CudaTests), typeof(DeviceKernelTests), typeof(GemmChoiceTests), typeof(ConvGemmChoiceTests) })
        foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
        {
            if (cudaFactsOnly.Contains(type) && method.GetCustomAttribute<CudaFactAttribute>() is null) continue;
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

static double Train(Device device, int batch, bool resident, bool quick, Precision precision = Precision.Fp32) =>
    Workloads.Train(BenchModel.StreamRec, device, batch, resident, quick, precision);

static double Predict(Device device, int batch, bool quick, Precision precision = Precision.Fp32) =>
    Workloads.Predict(BenchModel.StreamRec, device, batch, quick, precision);
