using System.Diagnostics;
using System.Globalization;
using DslNet.Kernels.Cpu;
using DslNet.Kernels.Cpu.Spatial;
using DslNet.SpatialBench;

// The conv part of the issue's Fashion-MNIST CNN at batch 128, channels-last:
//   [1,28,28] → Conv 3x3 pad 1 (32, no bias) → BN2d+ReLU → MaxPool 2 → Conv 3x3 pad 1 (64, no bias) → BN2d+ReLU → MaxPool 2 → [64,7,7]
// (then Flatten → Dense(128) → Dense(10): about 0.42 M parameters in all, the Dense part is not timed here).
// Times each kernel (median of --reps calls after a warm-up) and the conv forward+backward in GFLOP/s against the
// FMA peak measured in the same run, twice: by wall clock (what a step costs, but on shared cores it swings with the
// other processes) and by the process's CPU time (CPU-seconds the kernels used: steadier under contention; against the
// FMA peak per CPU-second of one core, so at 1 thread it is the share of the core's peak the kernel reaches). Usage: dotnet run -c Release --project bench/SpatialBench -- [--threads 1,2] [--reps 30]
// (--fma-peak N: print only the FMA peak of N threads; --model resnet: the FashionResNet step, see ResNetSteps, with sums per op class)
var threadCounts = new[] { 1, 2 };
int reps = 30;
string model = "cnn";
for (int i = 0; i + 1 < args.Length; i += 2)
{
    if (args[i] == "--threads") threadCounts = args[i + 1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
    else if (args[i] == "--compare-paths")
    {
        CpuThreads.Count = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
        foreach (var (cin, cout, hw) in new[] { (1, 32, 28), (3, 32, 28), (8, 32, 28), (16, 32, 28), (32, 64, 14) })
        {
            PathCompare.Direct(Conv2dGeometry.Square(128, cin, hw, hw, cout, 3, padding: 1), 7);
        }

        return;
    }
    else if (args[i] == "--compare-winograd")
    {
        CpuThreads.Count = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
        // The 3×3 stride-1 shapes of samples/FashionMnist's CNN and ResNet, and a 16-channel layer (the threshold).
        foreach (var (cin, cout, hw) in new[] { (32, 32, 28), (16, 16, 28), (16, 32, 28), (32, 64, 14), (64, 64, 14), (128, 128, 7) })
        {
            PathCompare.Winograd(Conv2dGeometry.Square(128, cin, hw, hw, cout, 3, padding: 1), 7);
        }

        return;
    }
    else if (args[i] == "--model") model = args[i + 1];
    else if (args[i] == "--reps") reps = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    else if (args[i] == "--fma-peak")
    {
        // Only the peak, for scripts that report GFLOP/s against it (bench/compare-pytorch-fashion.sh).
        var peakThreads = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
        var (wall, perCpu) = FmaPeak.Measure(peakThreads);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"FMA_PEAK threads={peakThreads} gflops={wall:F1} per_cpu_second={perCpu:F1}"));
        return;
    }
    else throw new ArgumentException($"unknown option {args[i]}");
}

const int N = 128;
var c1 = Conv2dGeometry.Square(N, 1, 28, 28, 32, 3, padding: 1);
var c2 = Conv2dGeometry.Square(N, 32, 14, 14, 64, 3, padding: 1);
var p1 = Pool2dGeometry.Square(N, 32, 28, 28, 2);
var p2 = Pool2dGeometry.Square(N, 64, 14, 14, 2);
var random = new Random(1);
float[] Rand(long n, float scale = 1f) => Enumerable.Range(0, checked((int)n)).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();
var x = Rand(c1.InputLength);
var w1 = Rand(c1.WeightLength, 0.3f); var z1 = new float[c1.OutputLength];
var w2 = Rand(c2.WeightLength, 0.1f); var z2 = new float[c2.OutputLength];
var g1 = Enumerable.Repeat(1f, 32).ToArray(); var be1 = new float[32]; var rm1 = new float[32]; var rv1 = Enumerable.Repeat(1f, 32).ToArray(); var s1 = new float[32];
var g2 = Enumerable.Repeat(1f, 64).ToArray(); var be2 = new float[64]; var rm2 = new float[64]; var rv2 = Enumerable.Repeat(1f, 64).ToArray(); var s2 = new float[64];
var q1 = new float[p1.OutputLength]; var i1 = new int[p1.OutputLength]; var q2 = new float[p2.OutputLength]; var i2 = new int[p2.OutputLength];
var winners1 = new float[p1.OutputLength]; var winners2 = new float[p2.OutputLength];
var dq2 = Rand(p2.OutputLength); var da2 = new float[c2.OutputLength]; var dq1 = new float[p1.OutputLength]; var da1 = new float[c1.OutputLength];
var dw1 = new float[c1.WeightLength]; var dw2 = new float[c2.WeightLength];
var dg1 = new float[32]; var dbe1 = new float[32]; var dg2 = new float[64]; var dbe2 = new float[64];

var cnnSteps = new BenchStep[]
{
    new("conv1 forward", OpClass.ConvForward, 2 * c1.MultiplyAdds, () => Conv2d.Forward(x, w1, Span<float>.Empty, z1, Span<float>.Empty, c1, default(Identity))),
    // The generated CNN runs each BatchNorm2d, ReLU and max pooling as one fused kernel (the plan's PoolFusion).
    new("bn1+relu+maxpool1 forward", OpClass.BatchNormForward, 0,
        () => BatchNormMaxPool2d.ForwardTraining(z1, g1, be1, rm1, rv1, s1, q1, i1, winners1, p1, 0.1f, 1e-5f, default(Relu))),
    new("conv2 forward", OpClass.ConvForward, 2 * c2.MultiplyAdds, () => Conv2d.Forward(q1, w2, Span<float>.Empty, z2, Span<float>.Empty, c2, default(Identity))),
    new("bn2+relu+maxpool2 forward", OpClass.BatchNormForward, 0,
        () => BatchNormMaxPool2d.ForwardTraining(z2, g2, be2, rm2, rv2, s2, q2, i2, winners2, p2, 0.1f, 1e-5f, default(Relu))),
    new("maxpool2+relu+bn2 backward", OpClass.BatchNormBackward, 0,
        () => BatchNormMaxPool2d.Backward(dq2, i2, winners2, z2, g2, be2, s2, dg2, dbe2, da2, p2, default(Relu))),
    new("conv2 weight grad", OpClass.ConvWeightGradient, 2 * c2.MultiplyAdds, () => Conv2d.BackwardWeights(da2, q1, dw2, Span<float>.Empty, c2)),
    new("conv2 input grad", OpClass.ConvInputGradient, 2 * c2.MultiplyAdds, () => Conv2d.BackwardInput(da2, w2, dq1, c2)),
    new("maxpool1+relu+bn1 backward", OpClass.BatchNormBackward, 0,
        () => BatchNormMaxPool2d.Backward(dq1, i1, winners1, z1, g1, be1, s1, dg1, dbe1, da1, p1, default(Relu))),
    new("conv1 weight grad", OpClass.ConvWeightGradient, 2 * c1.MultiplyAdds, () => Conv2d.BackwardWeights(da1, x, dw1, Span<float>.Empty, c1)),
};
var steps = model == "resnet" ? ResNetSteps.Build(N) : cnnSteps;

foreach (int threads in threadCounts)
{
    CpuThreads.Count = threads;
    var (peak, peakPerCpu) = FmaPeak.Measure(threads);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"threads={threads}  measured FMA peak {peak:F0} GFLOP/s wall ({peakPerCpu:F0} per CPU-second of one core)  load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
    foreach (var step in steps) for (int w = 0; w < 5; w++) step.Run();
    var wall = steps.Select(_ => new List<double>()).ToArray();
    var cpu = steps.Select(_ => new List<double>()).ToArray();
    var totals = new List<double>();
    var process = Process.GetCurrentProcess();
    for (int r = 0; r < reps; r++)
    {
        double total = 0;
        for (int s = 0; s < steps.Length; s++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            steps[s].Run();
            double ms = sw.Elapsed.TotalMilliseconds;
            process.Refresh();
            cpu[s].Add((process.TotalProcessorTime - cpu0).TotalMilliseconds);
            wall[s].Add(ms);
            total += ms;
        }

        totals.Add(total);
    }

    double convFlops = 0, convMs = 0, convCpuMs = 0;
    for (int s = 0; s < steps.Length; s++)
    {
        var sorted = wall[s].Order().ToArray();
        double median = sorted[sorted.Length / 2], cpuMedian = Median(cpu[s]);
        string rate = steps[s].Flops > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{steps[s].Flops / median / 1e6,6:F1} GFLOP/s wall ({steps[s].Flops / median / 1e6 / peak,4:P0}), {steps[s].Flops / cpuMedian / 1e6,6:F1} per CPU-s ({steps[s].Flops / cpuMedian / 1e6 / peakPerCpu,4:P0})")
            : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {steps[s].Name,-34} wall median {median,7:F3} ms (min {sorted[0],7:F3}, max {sorted[^1],7:F3})  CPU {cpuMedian,7:F2} ms  {rate}"));
        if (steps[s].Flops > 0)
        {
            convFlops += steps[s].Flops;
            convMs += median;
            convCpuMs += cpuMedian;
        }
    }

    // Per op class: the medians of its steps summed (a class's share of the step's CPU time).
    double allCpu = steps.Select((_, s) => Median(cpu[s])).Sum();
    foreach (var group in steps.Select((step, s) => (step, s)).GroupBy(p => p.step.Class))
    {
        double classWall = group.Sum(p => Median(wall[p.s])), classCpu = group.Sum(p => Median(cpu[p.s]));
        long classFlops = group.Sum(p => p.step.Flops);
        string rate = classFlops > 0
            ? string.Create(CultureInfo.InvariantCulture, $"  {classFlops / classCpu / 1e6,6:F1} GFLOP per CPU-s ({classFlops / classCpu / 1e6 / peakPerCpu,4:P0})")
            : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  class {group.Key,-20} wall {classWall,8:F2} ms  CPU {classCpu,8:F2} ms ({classCpu / allCpu,4:P0}){rate}"));
    }

    var totalSorted = totals.Order().ToArray();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  convolutions fwd+bwd ({convFlops / 1e9:F2} GFLOP): wall {convMs:F2} ms = {convFlops / convMs / 1e6:F1} GFLOP/s = {convFlops / convMs / 1e6 / peak:P0} of the wall peak; CPU {convCpuMs:F2} ms = {convFlops / convCpuMs / 1e6:F1} GFLOP per CPU-s = {convFlops / convCpuMs / 1e6 / peakPerCpu:P0} of one core's peak"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  whole conv part of a step (wall median): {totalSorted[totalSorted.Length / 2]:F2} ms → {N / totalSorted[totalSorted.Length / 2] * 1000:F0} samples/s for this part"));
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted[sorted.Length / 2];
}
