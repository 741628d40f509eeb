using System.Diagnostics;
using System.Globalization;
using DslNet;
using DslNet.Bench.LrFinderGrid;
using DslNet.Samples.StreamRec;

// Issue 16's benchmark: does the LR finder's suggestion (minimum ÷ 10 of the lag-free curve), used as the one-cycle peak, train as well as the best peak of
// a grid? For each task: one finder sweep on the training set (plot saved), then one training run per peak (the grid
// and every finder candidate), each from the same initial weights, scored on the held-out set.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

var options = Options.Parse(args);
if (options is null)
{
    Console.WriteLine("""
        usage: LrFinderGrid [--out DIR] [--epochs N] [--fashion-rows N] [--streamrec-rows N] [--task fashion|streamrec|both] [--seed N]
          defaults: --out bench/out/lr-finder --epochs 5 --fashion-rows 20000 --streamrec-rows 50000 --task both --seed 1
        """);
    return 2;
}
Directory.CreateDirectory(options.Out);
double[] grid = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1];
var report = new List<string>();

if (options.Task is "fashion" or "both")
{
    const string folder = "/usr/share/datasets/fashion-mnist";
    var train = DataSet.LoadIdx($"{folder}/train-images-idx3-ubyte.gz", $"{folder}/train-labels-idx1-ubyte.gz", options.FashionRows);
    var test = DataSet.LoadIdx($"{folder}/t10k-images-idx3-ubyte.gz", $"{folder}/t10k-labels-idx1-ubyte.gz");
    report.AddRange(RunTask("Fashion-MNIST", "test accuracy", () => new FashionMlp(seed: options.Seed), train, test, batchSize: 128,
        record => record.ValidationAccuracy!.Value, points: 100));
}
if (options.Task is "streamrec" or "both")
{
    var generator = new SyntheticStreamRec();
    var train = generator.GenerateTrain(options.StreamRecRows).Data;
    var validation = generator.GenerateValidation(Math.Max(10_000, options.StreamRecRows / 4)).Data;
    report.AddRange(RunTask("StreamRec", "validation AUC", () => new StreamRecNet(seed: options.Seed), train, validation, batchSize: 512,
        record => record.ValidationAuc!.Value, points: 1));
}

File.WriteAllLines(Path.Combine(options.Out, "report.md"), report);
Console.WriteLine();
foreach (var line in report) Console.WriteLine(line);
return 0;

IEnumerable<string> RunTask(string task, string metric, Func<INetwork> create, DataSet train, DataSet heldOut, int batchSize,
    Func<EpochRecord, double> score, double points)
{
    var slug = task.ToLowerInvariant().Replace("-", "");
    var clock = Stopwatch.StartNew();
    var finder = LrFinder.Run(create(), train, batchSize: batchSize, steps: 150, seed: options.Seed);
    finder.SavePlot(Path.Combine(options.Out, $"{slug}_lr_finder.png"));
    Console.WriteLine($"{task}: {finder} ({clock.Elapsed.TotalSeconds:0.0} s)");

    var peaks = grid.Select(lr => (Label: "grid", Lr: lr))
        .Concat(finder.Candidates.Select(c => (Label: c.Rule, Lr: c.LearningRate)))
        .ToArray();
    var results = new List<(string Label, double Lr, double Score, double TrainLoss)>();
    foreach (var (label, lr) in peaks)
    {
        if (!double.IsFinite(lr)) continue;
        clock.Restart();
        var history = new Trainer(create(), new TrainerOptions
        {
            Epochs = options.Epochs,
            BatchSize = batchSize,
            LearningRate = lr,
            Seed = options.Seed,
            Progress = ProgressMode.Silent,
        }).Fit(train, heldOut);
        var last = history.Epochs[^1];
        var value = double.IsFinite(last.ValidationLoss ?? double.NaN) ? score(last) : double.NaN;
        results.Add((label, lr, value, last.TrainLoss));
        Console.WriteLine($"  {task} {label,-13} peak {lr,9:0.###e+0}: {metric} {value:0.0000}, train loss {last.TrainLoss:0.0000} ({clock.Elapsed.TotalSeconds:0.0} s)");
    }

    var bestGrid = results.Where(r => r.Label == "grid").MaxBy(r => double.IsNaN(r.Score) ? double.NegativeInfinity : r.Score);
    var suggested = results.Single(r => r.Label == LrFinderResult.MinimumRule);
    yield return $"### {task}: {options.Epochs} epochs of one-cycle on {train.Rows:N0} training rows, {metric} on {heldOut.Rows:N0} rows (seed {options.Seed})";
    yield return "";
    yield return $"| peak learning rate | from | {metric} | final training loss |";
    yield return "| ---: | --- | ---: | ---: |";
    foreach (var r in results.OrderBy(r => r.Lr))
        yield return $"| {r.Lr:0.###e+0} | {(r.Label == "grid" ? "grid" : $"finder: {r.Label}")}{(r == bestGrid ? " (best of grid)" : "")} | {r.Score:0.0000} | {r.TrainLoss:0.0000} |";
    yield return "";
    var gap = (bestGrid.Score - suggested.Score) * points;
    yield return $"Suggested ({LrFinderResult.MinimumRule}) {suggested.Lr:0.###e+0}: {suggested.Score:0.0000} against the grid's best {bestGrid.Score:0.0000} at {bestGrid.Lr:0.###e+0}: " +
                 $"{(points == 100 ? $"{gap:0.00} points" : $"{gap:0.0000}")} behind. Finder sweep: {finder}";
    yield return "";
}

internal sealed record Options(string Out, int Epochs, int FashionRows, int StreamRecRows, string Task, int Seed)
{
    public static Options? Parse(string[] args)
    {
        var options = new Options("bench/out/lr-finder", 5, 20_000, 50_000, "both", 1);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--out": options = options with { Out = Next() }; break;
                case "--epochs": options = options with { Epochs = int.Parse(Next()) }; break;
                case "--fashion-rows": options = options with { FashionRows = int.Parse(Next()) }; break;
                case "--streamrec-rows": options = options with { StreamRecRows = int.Parse(Next()) }; break;
                case "--task": options = options with { Task = Next() }; break;
                case "--seed": options = options with { Seed = int.Parse(Next()) }; break;
                default: return null;
            }
        }
        return options;
    }
}
