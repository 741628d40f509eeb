using BenchmarkDotNet.Attributes;
using DslNet.Kernels.Cpu;
using DslNet.Samples.StreamRec;

namespace DslNet.Benchmarks;

/// <summary>
/// One training step of the StreamRec recipe at batch 512, as the sample runs it: <c>TrainStep</c> (forward, BCE loss,
/// backward), clipping by global norm 1.0, AdamW and a one-cycle step. The throughput column divides the batch
/// size by the mean time of a step.
/// </summary>
public class StreamRecTrainBenchmarks
{
    private const int Batches = 8;

    private StreamRecMlp _model = null!;
    private AdamW _optimizer = null!;
    private OneCycleLR _scheduler = null!;
    private float[] _features = null!;
    private float[] _labels = null!;
    private int _next;

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    [Params(512)]
    public int Rows { get; set; }

    public static IEnumerable<int> ThreadCounts() => BenchmarkThreads.Counts();

    [GlobalSetup]
    public void Setup()
    {
        CpuThreads.Count = Threads;
        // A few distinct batches of the sample's own data, cycled, so one batch does not sit in the cache.
        var data = new SyntheticStreamRec().GenerateTrain(Rows * Batches).Data;
        _features = data.Features.ToArray();
        _labels = data.Labels.ToArray();
        _model = new StreamRecMlp(seed: 1);
        _optimizer = new AdamW(_model.Parameters, lr: 1e-3, weightDecay: 1e-2);
        // Long enough that the benchmark never runs off its end.
        _scheduler = new OneCycleLR(_optimizer, maxLr: 1e-3, totalSteps: 1_000_000_000);
    }

    [Benchmark(Description = "TrainStep+clip+AdamW+OneCycle")]
    public float TrainStep()
    {
        var batch = _next;
        _next = (_next + 1) % Batches;
        var loss = _model.TrainStep(
            _features.AsSpan(batch * Rows * StreamRecMlp.InputSize, Rows * StreamRecMlp.InputSize),
            _labels.AsSpan(batch * Rows, Rows));
        _optimizer.Step(GradClip.NormCoefficient(_model.Gradients, 1.0).Coefficient);
        _scheduler.Step();
        return loss;
    }
}

/// <summary><c>Predict</c> (inference mode: folded BatchNorm, no dropout) at batch 1, 512 and 8192.</summary>
public class StreamRecPredictBenchmarks
{
    private StreamRecMlp _model = null!;
    private float[] _features = null!;
    private float[] _outputs = null!;

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    [Params(1, 512, 8192)]
    public int Rows { get; set; }

    public static IEnumerable<int> ThreadCounts() => BenchmarkThreads.Counts();

    [GlobalSetup]
    public void Setup()
    {
        CpuThreads.Count = Threads;
        var data = new SyntheticStreamRec().GenerateValidation(Rows).Data;
        _features = data.Features.ToArray();
        _outputs = new float[Rows];
        _model = new StreamRecMlp(seed: 1);
        // A few training steps so the running statistics are not the initial ones (it does not change the cost).
        var train = new SyntheticStreamRec().GenerateTrain(512).Data;
        for (var i = 0; i < 3; i++) _model.TrainStep(train.Features, train.Labels);
    }

    [Benchmark]
    public void Predict() => _model.Predict(_features, _outputs);
}
