using System.Diagnostics;
using System.Globalization;
using DslNet.Kernels.Cpu;
using DslNet.Samples.StreamRec;

namespace DslNet.Benchmarks;

/// <summary>
/// The DslNet half of bench/compare-pytorch.sh's inference columns, measured the way bench/pytorch/streamrec.py
/// measures PyTorch: <c>Predict</c> over the validation CSV in batches of 512 and of 8192, repeated for at least
/// <c>--seconds</c> after a warm-up (rows/s), and the median wall time of <c>Predict</c> on a single row.
/// <code>dotnet run -c Release --project bench/DslNet.Benchmarks -- compare-inference --train FILE --val FILE --threads N</code>
/// The model first takes 20 training steps on the training file, so its running statistics are not the initial
/// ones (the values do not change the cost of a call). Prints one <c>RESULT key=value ...</c> line.
/// </summary>
public static class CompareInference
{
    public const string Command = "compare-inference";

    public static int Run(string[] args)
    {
        string? train = null, validation = null;
        var threads = 1;
        var seconds = 1.0;
        var calls = 3000;
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--train": train = args[i + 1]; break;
                case "--val": validation = args[i + 1]; break;
                case "--threads": threads = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--latency-calls": calls = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        if (train is null || validation is null) throw new ArgumentException("--train and --val are required");
        CpuThreads.Count = threads;
        var trainData = DataSet.LoadCsv(train);
        var validationData = DataSet.LoadCsv(validation);
        var model = new StreamRecMlp(seed: 0);
        var optimizer = new AdamW(model.Parameters, lr: 1e-3, weightDecay: 1e-2);
        var steps = 0;
        foreach (var batch in trainData.Batches(512, shuffle: true, seed: 0, epoch: 0, dropLast: true))
        {
            model.TrainStep(batch.Features, batch.Labels);
            optimizer.Step();
            if (++steps == 20) break;
        }

        var features = validationData.Features.ToArray();
        var outputs = new float[validationData.Rows];
        var infer512 = Throughput(model, features, outputs, 512, seconds);
        var infer8192 = Throughput(model, features, outputs, 8192, seconds);
        var latency = LatencyMicroseconds(model, features, outputs, calls);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT impl=dslnet threads={threads} infer512_samples_per_s={infer512:F0} infer8192_samples_per_s={infer8192:F0} latency1_us={latency:F2}"));
        return 0;
    }

    private static double Throughput(StreamRecMlp model, float[] features, float[] outputs, int batch, double seconds)
    {
        var totalRows = features.Length / StreamRecMlp.InputSize;
        var rows = totalRows >= batch ? totalRows - totalRows % batch : totalRows;
        for (var start = 0; start < Math.Min(rows, 3 * batch); start += batch) Call(start);
        long done = 0;
        var clock = Stopwatch.StartNew();
        do
        {
            for (var start = 0; start < rows; start += batch) Call(start);
            done += rows;
        }
        while (clock.Elapsed.TotalSeconds < seconds);

        return done / clock.Elapsed.TotalSeconds;

        void Call(int start)
        {
            var count = Math.Min(batch, rows - start);
            model.Predict(features.AsSpan(start * StreamRecMlp.InputSize, count * StreamRecMlp.InputSize), outputs.AsSpan(start, count));
        }
    }

    private static double LatencyMicroseconds(StreamRecMlp model, float[] features, float[] outputs, int calls)
    {
        var totalRows = features.Length / StreamRecMlp.InputSize;
        for (var i = 0; i < 200; i++) model.Predict(features.AsSpan(i * StreamRecMlp.InputSize, StreamRecMlp.InputSize), outputs.AsSpan(i, 1));
        var times = new long[calls];
        for (var i = 0; i < calls; i++)
        {
            var row = i % totalRows;
            var t0 = Stopwatch.GetTimestamp();
            model.Predict(features.AsSpan(row * StreamRecMlp.InputSize, StreamRecMlp.InputSize), outputs.AsSpan(row, 1));
            times[i] = Stopwatch.GetTimestamp() - t0;
        }

        Array.Sort(times);
        return times[calls / 2] * 1e6 / Stopwatch.Frequency;
    }
}
