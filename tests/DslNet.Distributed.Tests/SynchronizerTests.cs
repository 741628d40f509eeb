namespace DslNet.Distributed.Tests;

/// <summary>Bucket planning and the synchronizer's protocol, in a world of one (the collectives are the identity).</summary>
public sealed class SynchronizerTests
{
    // Layout in forward order: a backward pass finishes them last to first.
    private static TensorBuffer Buffer() => new(46,
    [
        new TensorSlot("Hidden.Weight", ParameterKind.Weight, 0, [4, 8]),
        new TensorSlot("Hidden.Bias", ParameterKind.Bias, 32, [4]),
        new TensorSlot("Output.Weight", ParameterKind.Weight, 36, [1, 4]),
        new TensorSlot("Output.Bias", ParameterKind.Bias, 40, [6]),
    ]);

    [Fact]
    public void Buckets_follow_backward_order_and_never_split_a_tensor()
    {
        var buckets = GradientBucket.Plan(Buffer(), capacity: 12);

        Assert.Equal(3, buckets.Count);
        Assert.Equal(["Output.Bias", "Output.Weight"], buckets[0].Tensors);
        Assert.Equal((36, 10), (buckets[0].Offset, buckets[0].Length));
        Assert.Equal(["Hidden.Bias"], buckets[1].Tensors);
        Assert.Equal(["Hidden.Weight"], buckets[2].Tensors);   // 32 floats: larger than the capacity, alone
        Assert.Single(GradientBucket.Plan(Buffer(), capacity: 1000));
    }

    [Fact]
    public void A_backward_order_that_skips_a_tensor_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => GradientBucket.Plan(Buffer(), 12, ["Output.Bias", "Output.Weight", "Hidden.Weight"]));
        Assert.Contains("element 32", error.Message);
    }

    [Fact]
    public void A_non_contiguous_backward_order_starts_a_new_bucket()
    {
        var buckets = GradientBucket.Plan(Buffer(), 1000, ["Output.Bias", "Hidden.Bias", "Output.Weight", "Hidden.Weight"]);
        Assert.Equal([40, 32, 36, 0], buckets.Select(b => b.Offset));
    }

    [Fact]
    public void Finish_names_the_first_bucket_whose_gradients_were_never_marked_final()
    {
        var synchronizer = new GradientSynchronizer(DistributedContext.Single, Buffer(), bucketCapacity: 12);
        synchronizer.MarkFinal(36, 10);    // the output block

        var error = Assert.Throws<InvalidOperationException>(synchronizer.Finish);
        Assert.Contains("Hidden.Bias", error.Message);
    }

    [Fact]
    public void Marking_a_range_final_twice_in_one_step_is_an_error()
    {
        var synchronizer = new GradientSynchronizer(DistributedContext.Single, Buffer(), bucketCapacity: 12);
        synchronizer.MarkFinal(36, 10);
        Assert.Throws<InvalidOperationException>(() => synchronizer.MarkFinal(40, 6));
    }

    [Fact]
    public void Per_block_marks_in_any_split_complete_a_step_and_the_next_step_starts_afresh()
    {
        var buffer = Buffer();
        buffer.Span.Fill(3f);
        var synchronizer = new GradientSynchronizer(DistributedContext.Single, buffer, bucketCapacity: 12);
        for (var step = 0; step < 2; step++)
        {
            synchronizer.MarkFinal(40, 6);
            synchronizer.MarkFinal(32, 8);      // spans two buckets
            synchronizer.MarkFinal(0, 32);
            synchronizer.Finish();
        }

        Assert.Equal(2, synchronizer.Steps);
        Assert.All(buffer.Data, v => Assert.Equal(3f, v));   // the mean over one rank is the value itself
    }

    [Fact]
    public void No_sync_leaves_the_protocol_untouched()
    {
        var synchronizer = new GradientSynchronizer(DistributedContext.Single, Buffer(), bucketCapacity: 12) { NoSync = true };
        synchronizer.MarkFinal(36, 10);
        synchronizer.Finish();
        synchronizer.NoSync = false;
        synchronizer.Synchronize();
        Assert.Equal(1, synchronizer.Steps);
    }

    [Fact]
    public void Without_mpirun_the_world_is_one_process_and_needs_no_MPI_library()
    {
        // The test host is never started by mpirun (OMPI_COMM_WORLD_SIZE, PMI_SIZE and PMIX_RANK are unset).
        var world = DistributedContext.FromEnvironment();
        Assert.Same(DistributedContext.Single, world);
        Assert.Equal((0, 1, true, false), (world.Rank, world.Size, world.IsRoot, world.IsDistributed));
    }
}
