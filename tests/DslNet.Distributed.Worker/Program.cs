using System.Diagnostics;
using System.Globalization;
using DslNet;
using DslNet.Distributed.Worker;
using DslNet.Kernels.Cpu;

// One scenario per run, under mpirun (scripts/mpirun.sh) or alone. Every rank prints its lines; the tests and the
// benchmark read them. See Scenarios for what each checks.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: DslNet.Distributed.Worker <equivalence|checkpoint|kill|throw|streamrec|allreduce|syncbn> [arguments]");
    return 2;
}

var world = DistributedContext.FromEnvironment();
if (Environment.GetEnvironmentVariable("DSLNET_THREADS") is { } threads) CpuThreads.Count = int.Parse(threads, CultureInfo.InvariantCulture);
var code = args[0] switch
{
    "equivalence" => Scenarios.Equivalence(world, int.Parse(args[1]), int.Parse(args[2])),
    "checkpoint" => Scenarios.Checkpoint(world, args[1], args[2]),
    "kill" => Scenarios.Failure(world, kill: true),
    "throw" => Scenarios.Failure(world, kill: false),
    "streamrec" => Scenarios.StreamRec(world, int.Parse(args[1]), int.Parse(args[2]), int.Parse(args[3])),
    "allreduce" => Scenarios.AllReduce(world, int.Parse(args[1]), int.Parse(args[2])),
    "syncbn" => SyncBatchNormScenario.Run(world, int.Parse(args[1]), int.Parse(args[2])),
    _ => Unknown(args[0]),
};
Console.Out.Flush();
world.Dispose();
return code;

static int Unknown(string scenario)
{
    Console.Error.WriteLine($"unknown scenario '{scenario}'");
    return 2;
}

namespace DslNet.Distributed.Worker
{
    internal static class Scenarios
    {
        private const int DataSeed = 3;

        private static void Say(DistributedContext world, string line)
        {
            Console.WriteLine($"[{world.Rank}] {line}");
            Console.Out.Flush();
        }

        private static void SayChecksum(DistributedContext world, INetwork model) =>
            Say(world, $"RANK {world.Rank} params_crc={ModelChecksum.Crc32C(model):x8}");

        /// <summary>
        /// (1) n ranks × batch B against 1 rank × batch nB after 2 epochs of <paramref name="stepsPerEpoch"/> AdamW
        /// steps; (2) the checksums every rank prints; the validation AUC gathered over ranks against the
        /// single-process one; (3) the rows of every rank's batches over two epochs, gathered on rank 0.
        /// </summary>
        public static int Equivalence(DistributedContext world, int batchPerRank, int stepsPerEpoch)
        {
            var rows = stepsPerEpoch * world.Size * batchPerRank;
            var train = WorkerData.Binary(rows, DataSeed);
            var validation = WorkerData.Binary(301, DataSeed + 1);
            // Bytes this thread allocated between the ends of optimizer steps 2 and 8 (inside epoch 1): the step,
            // the gradient allreduce and the combined loss and stop flag must allocate nothing.
            long allocatedAt2 = 0, allocatedSteps2To8 = -1;
            var allocation = new TrainerCallback
            {
                BatchEnd = context =>
                {
                    if (context.OptimizerStep == 2) allocatedAt2 = GC.GetAllocatedBytesForCurrentThread();
                    if (context.OptimizerStep == 8) allocatedSteps2To8 = GC.GetAllocatedBytesForCurrentThread() - allocatedAt2;
                },
            };
            TrainerOptions Options(DistributedContext? distributed) => new()
            {
                Callbacks = distributed is null ? [] : [allocation],
                Epochs = 2,
                BatchSize = world.Size * batchPerRank,
                LearningRate = 1e-2,
                Progress = ProgressMode.Silent,
                Distributed = distributed,
                GradientBucketCapacity = 100,       // several buckets even for this small model
            };

            var model = new PlainNet(seed: 11 + world.Rank);    // different on every rank: the broadcast must fix it
            var trainer = new Trainer(model, Options(world));
            var history = trainer.Fit(train, validation);
            SayChecksum(world, model);
            Say(world, $"ALLOCATED bytes={allocatedSteps2To8}");
            Say(world, $"BUCKETS count={trainer.Synchronizer?.Buckets.Count ?? 0} synced={trainer.Synchronizer?.Steps ?? 0}");

            if (world.IsRoot)
            {
                var reference = new PlainNet(seed: 11);
                var single = new Trainer(reference, Options(null)).Fit(train, validation);
                var maxDiff = 0.0;
                for (var i = 0; i < model.Parameters.Length; i++)
                    maxDiff = Math.Max(maxDiff, Math.Abs(model.Parameters.Data[i] - reference.Parameters.Data[i]));
                Say(world, $"STEPS distributed={history.StepCount} single={single.StepCount}");
                Say(world, $"MAXDIFF {maxDiff:E3}");
                Say(world, $"AUC distributed={history.Epochs[^1].ValidationAuc:R} single={single.Epochs[^1].ValidationAuc:R}");
                Say(world, $"LOSS distributed={history.Epochs[^1].TrainLoss:R} single={single.Epochs[^1].TrainLoss:R}");
            }

            ReportCoverage(world, rows, batchPerRank);
            return 0;
        }

        /// <summary>Gathers the row indices of every rank's batches for epochs 0 and 1 and checks them on rank 0.</summary>
        private static void ReportCoverage(DistributedContext world, int rows, int batchPerRank)
        {
            var indices = WorkerData.RowIndices(rows);
            var shard = DataShard.Of(world);
            var epochs = new List<float[]>();
            for (var epoch = 0; epoch < 2; epoch++)
            {
                var mine = new List<float>();
                foreach (var batch in indices.Batches(batchPerRank, shuffle: true, seed: 5, epoch: epoch, dropLast: false, shard))
                    mine.AddRange(batch.Features.ToArray());
                var counts = Enumerable.Repeat(mine.Count, world.Size).ToArray();
                var all = new float[counts.Sum()];
                world.AllGather(mine.ToArray(), all, counts);
                epochs.Add(all);
                if (world.IsRoot)
                {
                    var distinct = all.Distinct().Count();
                    var inRange = all.All(r => r >= 0 && r < rows && r == MathF.Floor(r));
                    Say(world, $"COVER epoch={epoch} rows={rows} seen={all.Length} distinct={distinct} in_range={inRange}");
                }
            }
            if (world.IsRoot)
                Say(world, $"EPOCHS_DIFFER {!epochs[0].SequenceEqual(epochs[1])}");
        }

        /// <summary>
        /// (6) <paramref name="phase"/> straight: 4 epochs; first: 2 epochs of the same 4-epoch run, checkpointing
        /// (rank 0 writes); resume: fresh objects with another seed resume from the checkpoint for epochs 3 and 4.
        /// </summary>
        public static int Checkpoint(DistributedContext world, string phase, string path)
        {
            var train = WorkerData.Binary(240, DataSeed);
            var validation = WorkerData.Binary(64, DataSeed + 1);
            var model = new NormNet(seed: phase == "resume" ? 999 + world.Rank : 21);
            var options = new TrainerOptions
            {
                Epochs = 4,
                BatchSize = 32,
                LearningRate = 2e-2,
                Progress = ProgressMode.Silent,
                Distributed = world,
                CheckpointPath = phase == "straight" ? null : path,
                ResumeFrom = phase == "resume" ? path : null,
                Callbacks = phase == "first" ? [new TrainerCallback { EpochEnd = (context, e) => { if (e.Epoch == 2) context.RequestStop("split for the resume test"); } }] : [],
            };
            var history = new Trainer(model, options).Fit(train, validation);
            SayChecksum(world, model);
            if (world.IsRoot)
                Say(world, $"EPOCHS {string.Join(",", history.Epochs.Select(e => e.Epoch))} STEPCOUNT {model.StepCount}");
            return 0;
        }

        /// <summary>(5) Rank 1 dies (SIGKILL) or throws after a few steps while rank 0 waits in an allreduce.</summary>
        public static int Failure(DistributedContext world, bool kill)
        {
            var train = WorkerData.Binary(4096, DataSeed);
            var model = new PlainNet(seed: 5);
            var options = new TrainerOptions
            {
                Epochs = 1000,
                BatchSize = 64,
                Progress = ProgressMode.Silent,
                Distributed = world,
                Callbacks =
                [
                    new TrainerCallback
                    {
                        BatchEnd = context =>
                        {
                            if (world.Rank != 1 || context.OptimizerStep != 5) return;
                            Say(world, kill ? "KILLING myself" : "THROWING");
                            if (kill) Process.GetCurrentProcess().Kill();
                            throw new InvalidOperationException("rank 1 failed on purpose at step 5");
                        },
                    },
                ],
            };
            new Trainer(model, options).Fit(train);
            Say(world, "UNREACHABLE training finished");
            return 0;
        }

        /// <summary>
        /// The StreamRec model and recipe (AdamW 1e-3, one-cycle, clip 1.0, global batch 512) through the Trainer on the
        /// synthetic data set, as the sample would with --distributed; prints the sample's FINAL line plus ranks.
        /// </summary>
        public static int StreamRec(DistributedContext world, int trainRows, int validationRows, int epochs)
        {
            var synthetic = new DslNet.Samples.StreamRec.SyntheticStreamRec();
            var train = synthetic.GenerateTrain(trainRows).Data;
            var validation = synthetic.GenerateValidation(validationRows).Data;
            var model = new DslNet.Samples.StreamRec.StreamRecMlp(seed: 0);
            // The benchmark's knobs: DSLNET_OVERLAP=0 hands gradients over after backward; DSLNET_BUCKET floats per bucket.
            var trainer = new Trainer(model, new TrainerOptions
            {
                Epochs = epochs,
                BatchSize = 512,
                Progress = ProgressMode.Silent,
                Distributed = world,
                OverlapCommunication = Environment.GetEnvironmentVariable("DSLNET_OVERLAP") != "0",
                GradientBucketCapacity = Environment.GetEnvironmentVariable("DSLNET_BUCKET") is { } bucket
                    ? int.Parse(bucket, CultureInfo.InvariantCulture)
                    : GradientSynchronizer.DefaultBucketCapacity,
            });
            var history = trainer.Fit(train, validation);
            SayChecksum(world, model);
            var trainSeconds = history.Epochs.Sum(e => e.TrainSeconds);
            var samples = (double)history.Epochs.Sum(e => (long)Math.Round(e.SamplesPerSecond * e.TrainSeconds));
            var waitShare = trainer.Synchronizer is { } sync ? sync.WaitTime.TotalSeconds / trainSeconds : 0;
            if (world.IsRoot)
                Say(world, $"FINAL val_auc={history.Epochs[^1].ValidationAuc:F4} samples_per_s={samples / trainSeconds:F0} ranks={world.Size} threads={CpuThreads.Count} wait_share={waitShare:F3} buckets={trainer.Synchronizer?.Buckets.Count ?? 0} overlap={trainer.Options.OverlapCommunication}");
            return 0;
        }

        /// <summary>The allreduce of a buffer of <paramref name="floats"/> alone: median time over <paramref name="iterations"/> calls.</summary>
        public static int AllReduce(DistributedContext world, int floats, int iterations)
        {
            var gradients = new TensorBuffer(floats, [new TensorSlot("all", ParameterKind.Weight, 0, [floats])]);
            var synchronizer = new GradientSynchronizer(world, gradients);
            var times = new double[iterations];
            for (var warm = 0; warm < 20; warm++) synchronizer.Synchronize();
            for (var i = 0; i < iterations; i++)
            {
                world.Barrier();
                var clock = Stopwatch.StartNew();
                synchronizer.Synchronize();
                times[i] = clock.Elapsed.TotalMicroseconds;
            }
            Array.Sort(times);
            var median = times[iterations / 2];
            if (world.IsRoot)
                Say(world, $"ALLREDUCE floats={floats} ranks={world.Size} median_us={median:F1} p10_us={times[iterations / 10]:F1} p90_us={times[iterations * 9 / 10]:F1} algbw_GBps={floats * 4.0 / median / 1e3:F3} backend={world.Backend}");
            return 0;
        }
    }
}
