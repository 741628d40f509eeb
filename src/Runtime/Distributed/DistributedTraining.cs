namespace DslNet;

/// <summary>
/// What <see cref="Trainer"/> does differently on more than one rank, in one place: state broadcast from rank 0,
/// this rank's shard of every batch, averaged gradients, and losses, stop requests and validation outputs combined
/// so that every rank sees the same numbers and takes the same decisions.
/// </summary>
internal sealed class DistributedTraining
{
    private readonly DistributedContext _world;
    private readonly INetwork _model;
    private readonly TrainerOptions _options;
    private readonly double[] _scalars = new double[2];

    public DistributedTraining(DistributedContext world, INetwork model, TrainerOptions options, int bucketCapacity)
    {
        _world = world;
        _model = model;
        _options = options;
        if (options.BatchSize % world.Size != 0)
            throw new ArgumentException(
                $"The batch size {options.BatchSize} is the global batch: it must split evenly over the {world.Size} ranks (each trains on BatchSize / ranks rows per step).",
                nameof(options));
        LocalBatchSize = options.BatchSize / world.Size;
        Shard = DataShard.Of(world);
        Synchronizer = new GradientSynchronizer(world, model.Gradients, bucketCapacity);
    }

    public DistributedContext World => _world;

    /// <summary>Rows per step on this rank: the global batch divided by the rank count.</summary>
    public int LocalBatchSize { get; }

    public DataShard Shard { get; }

    public GradientSynchronizer Synchronizer { get; }

    public int BatchesPerEpoch(DataSet train) => train.BatchesPerEpoch(LocalBatchSize, _options.DropLast, Shard);

    public IEnumerable<Batch> Batches(DataSet train, int epoch) =>
        train.Batches(LocalBatchSize, _options.Shuffle, _options.Seed, epoch, _options.DropLast, Shard);

    /// <summary>
    /// Rank 0's parameters, running statistics, step count and dropout seed on every rank (DDP's broadcast at
    /// construction): the ranks start from one model whatever each built or loaded.
    /// </summary>
    public void BroadcastState()
    {
        _world.Broadcast(_model.Parameters.Span);
        BroadcastRunningStatistics();
        Span<double> counters = [_model.StepCount, _model.Seed >> 32, _model.Seed & 0xFFFF_FFFF];
        _world.Broadcast(counters);
        _model.StepCount = (long)counters[0];
        _model.Seed = ((ulong)counters[1] << 32) | (ulong)counters[2];
    }

    /// <summary>
    /// Gives the model this job's hooks: the synchronizer as its per-block gradients-final hook when
    /// <paramref name="overlapBackward"/> (each bucket's allreduce starts during backward), and the world as
    /// SyncBatchNorm's collective. Without overlap (gradient accumulation, whose micro-batch gradients are not the
    /// ones to average) the step's end hands everything over.
    /// </summary>
    public void AttachHooks(bool overlapBackward)
    {
        if (_model is not IDataParallelModel model) return;
        model.GradientsReady = overlapBackward ? Synchronizer : null;
        model.StatisticsReducer = _world;
    }

    /// <summary>Leaves the model as it was before <see cref="AttachHooks"/>: a later single-process use is not synchronized.</summary>
    public void DetachHooks()
    {
        if (_model is not IDataParallelModel model) return;
        model.GradientsReady = null;
        model.StatisticsReducer = null;
    }

    /// <summary>
    /// Rank 0's running statistics on every rank. DDP broadcasts these buffers before every forward pass; they are
    /// read only in inference mode, so broadcasting before each validation and at the end gives the same models.
    /// </summary>
    public void BroadcastRunningStatistics()
    {
        if (_model.RunningStatistics.Length > 0) _world.Broadcast(_model.RunningStatistics.Span);
    }

    /// <summary>The mean of the ranks' step losses: the loss of the combined batch, the same on every rank.</summary>
    public double MeanLoss(double loss)
    {
        _scalars[0] = loss;
        _world.AllReduceSum(_scalars.AsSpan(0, 1));
        return _scalars[0] / _world.Size;
    }

    /// <summary>Whether any rank asked to stop: every rank then stops at the same step.</summary>
    public bool AnyStop(bool stop)
    {
        _scalars[0] = stop ? 1 : 0;
        _world.AllReduceMax(_scalars.AsSpan(0, 1));
        return _scalars[0] > 0;
    }

    /// <summary>The epoch's loss sum and row count over all ranks.</summary>
    public (double LossSum, long Rows) CombineEpoch(double lossSum, long rows)
    {
        _scalars[0] = lossSum;
        _scalars[1] = rows;
        _world.AllReduceSum(_scalars);
        return (_scalars[0], (long)_scalars[1]);
    }

    /// <summary>
    /// Inference outputs for every row of <paramref name="data"/> on every rank: each rank predicts its contiguous
    /// part and the parts are gathered, so metrics (AUC included) are computed over all predictions at once, never
    /// averaged over ranks.
    /// </summary>
    public void Predict(DataSet data, float[] outputs, float[] local, int[] counts)
    {
        BroadcastRunningStatistics();
        var (offset, rows) = _world.Shard(data.Rows);
        var width = _model.OutputSize;
        var mine = local.AsSpan(0, rows * width);
        _model.Predict(data.Features.Slice(offset * data.Columns, rows * data.Columns), mine);
        _world.AllGather(mine, outputs, counts);
    }

    /// <summary>This rank's output buffer and every rank's output count for <see cref="Predict"/>.</summary>
    public (float[] Local, int[] Counts) PredictionBuffers(DataSet data)
    {
        var counts = new int[_world.Size];
        for (var r = 0; r < counts.Length; r++) counts[r] = DistributedContext.Shard(data.Rows, r, _world.Size).Count * _model.OutputSize;
        return (new float[counts[_world.Rank]], counts);
    }
}
