using DslNet.Devices;

namespace DslNet.Gpu.Tests;

/// <summary>
/// The device kernels index every batch-sized buffer with 32-bit integers, so one device batch holds at most
/// int.MaxValue / (the widest of those buffers per row) rows: a few thousand images for an image model. A training
/// batch above that is refused with the limit in the message; Predict and EvaluateLoss split larger inputs into batches
/// that fit (as the CPU path's inference chunks), and <see cref="DeviceNetwork.MaxBatchRows"/> lowers the limit.
/// </summary>
public sealed class DeviceBatchLimitTests
{
    private const int Rows = 11;

    [Fact]
    public void The_limit_is_the_32_bit_index_over_the_widest_buffer_per_row()
    {
        var shape = new NetworkShape(ParameterCount: 10, StatisticCount: 0, ScratchLength: 0, ActivationsPerRow: 500_000, InputSize: 784,
            OutputSize: 10, TargetsPerRow: 1);
        Assert.Equal(int.MaxValue / 500_000, shape.MaxRows);
        Assert.Equal(int.MaxValue / 900_000, (shape with { GemmColumnsPerRow = 900_000 }).MaxRows);
        Assert.Equal(int.MaxValue / 784, (shape with { ActivationsPerRow = 10 }).MaxRows);
    }

    [Fact]
    public void Predict_and_EvaluateLoss_split_inputs_above_the_limit_into_batches_that_fit()
    {
        var model = new TinyCnn(5, Device.IlgpuCpu);
        try
        {
            var network = ((IDeviceModel)model).DeviceNetwork!;
            var (inputs, targets) = Models.Batch(model, Rows, seed: 3);
            var whole = new float[Rows * TinyCnn.OutputSize];
            model.Predict(inputs, whole);
            var wholeLoss = model.EvaluateLoss(inputs, targets);

            network.MaxBatchRows = 4;
            var split = new float[Rows * TinyCnn.OutputSize];
            model.Predict(inputs, split);
            Assert.Equal(whole, split);
            Assert.Equal(wholeLoss, model.EvaluateLoss(inputs, targets), 1e-6f * Math.Abs(wholeLoss));
        }
        finally
        {
            Models.Dispose(model);
        }
    }

    [Fact]
    public void A_training_batch_above_the_limit_is_refused_with_the_limit()
    {
        var model = new TinyCnn(5, Device.IlgpuCpu);
        try
        {
            var network = ((IDeviceModel)model).DeviceNetwork!;
            Assert.Equal(network.Shape.MaxRows, network.MaxBatchRows);
            Assert.Throws<ArgumentOutOfRangeException>(() => network.MaxBatchRows = network.Shape.MaxRows + 1);
            Assert.Throws<ArgumentOutOfRangeException>(() => network.MaxBatchRows = 0);

            network.MaxBatchRows = 4;
            var (inputs, targets) = Models.Batch(model, 6, seed: 4);
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.TrainStep(inputs, targets));
            Assert.Contains("6 rows", e.Message);
            Assert.Contains("MaxBatchRows", e.Message);
        }
        finally
        {
            Models.Dispose(model);
        }
    }
}
