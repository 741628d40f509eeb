using System.Globalization;

namespace DslNet.Distributed.Tests;

/// <summary>Serializes the jobs: each already runs 2–3 ranks on a 2-core machine.</summary>
[CollectionDefinition("mpirun", DisableParallelization = true)]
public sealed class MpirunCollection;

/// <summary>
/// Real <c>mpirun</c> jobs (Open MPI through scripts/mpirun.sh; .ci/run installs openmpi-bin). Every job is bounded by
/// <see cref="MpiJob.DefaultTimeout"/>, so a hang fails a test instead of stalling CI.
/// </summary>
[Collection("mpirun")]
public sealed class MpiTrainingTests
{
    /// <summary>
    /// (1) n ranks × batch 8 give the parameters of 1 rank × batch 8n after 20 AdamW steps (one-cycle, clipping) to
    /// 1e-5; (2) every rank ends with bit-identical parameters although each built its model with another seed;
    /// the validation AUC over all ranks' predictions equals the single-process AUC; (3) the ranks' batches cover
    /// every row exactly once per epoch, in another order each epoch; and a distributed step allocates nothing.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(3)]   // oversubscribed on 2 cores
    public void Ranks_train_like_one_process_with_the_combined_batch(int ranks)
    {
        var job = MpiJob.Run(ranks, "equivalence", "8", "10");
        Assert.True(job.ExitCode == 0, $"exit code {job.ExitCode}:\n{job.Output}");

        var checksums = Enumerable.Range(0, ranks).Select(r => MpiJob.Field(job.Single(r, "RANK"), "params_crc")).ToArray();
        Assert.True(checksums.Distinct().Count() == 1, $"Parameters differ between ranks: {string.Join(", ", checksums)}\n{job.Output}");
        for (var r = 0; r < ranks; r++)
        {
            var buckets = job.Single(r, "BUCKETS");
            Assert.Equal("4", MpiJob.Field(buckets, "count"));      // bucket capacity 100 floats over PlainNet's 289: [17] [128] [16] [128]
            Assert.Equal("20", MpiJob.Field(buckets, "synced"));
            Assert.Equal("0", MpiJob.Field(job.Single(r, "ALLOCATED"), "bytes"));   // six distributed steps allocate nothing
        }

        Assert.Equal("20", MpiJob.Field(job.Single(0, "STEPS"), "distributed"));
        var maxDiff = double.Parse(job.Single(0, "MAXDIFF").Split(' ')[1], CultureInfo.InvariantCulture);
        Assert.True(maxDiff <= 1e-5, $"max |θ_{ranks} ranks − θ_1 rank| = {maxDiff}\n{job.Output}");

        var auc = job.Single(0, "AUC");
        Assert.Equal(double.Parse(MpiJob.Field(auc, "single"), CultureInfo.InvariantCulture),
            double.Parse(MpiJob.Field(auc, "distributed"), CultureInfo.InvariantCulture), 9);

        foreach (var epoch in new[] { "0", "1" })
        {
            var cover = job.From(0, "COVER").Single(l => MpiJob.Field(l, "epoch") == epoch);
            var rows = MpiJob.Field(cover, "rows");
            Assert.Equal(rows, MpiJob.Field(cover, "seen"));
            Assert.Equal(rows, MpiJob.Field(cover, "distinct"));
            Assert.Equal("True", MpiJob.Field(cover, "in_range"));
        }
        Assert.Equal("EPOCHS_DIFFER True", job.Single(0, "EPOCHS_DIFFER"));
    }

    /// <summary>
    /// (4) SyncBatchNorm over n ranks × batch 12 equals BatchNorm over the combined batch to 1e-5: the kernels element by
    /// element (forward output and x̂, running statistics, input, γ and β gradients), then five AdamW steps of a model
    /// with two synced blocks (loss, averaged gradients, parameters, running statistics).
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(3)]   // oversubscribed on 2 cores
    public void SyncBatchNorm_over_ranks_equals_BatchNorm_over_the_combined_batch(int ranks)
    {
        var job = MpiJob.Run(ranks, "syncbn", "12", "5");
        Assert.True(job.ExitCode == 0, $"exit code {job.ExitCode}:\n{job.Output}");
        for (var r = 0; r < ranks; r++)
        {
            foreach (var (tag, fields) in new[] { ("SYNCBN_KERNEL", new[] { "forward", "running", "backward" }), ("SYNCBN_MODEL", new[] { "loss", "gradients", "parameters", "running" }) })
            {
                var line = job.Single(r, tag);
                foreach (var field in fields)
                {
                    var difference = double.Parse(MpiJob.Field(line, field), CultureInfo.InvariantCulture);
                    Assert.True(difference <= 1e-5, $"rank {r} {tag} {field}: max |synced − combined| = {difference}\n{job.Output}");
                }
            }
        }
    }

    [Fact]
    public void The_StreamRec_sample_trains_on_two_ranks_with_identical_parameters_on_each()
    {
        var job = MpiJob.RunProgram(2, MpiJob.DefaultTimeout, MpiJob.StreamRecPath,
            "--distributed", "--rows", "4000", "--val-rows", "1000", "--epochs", "2", "--threads", "1");
        Assert.True(job.ExitCode == 0, job.Output);
        var checksums = job.Lines.Select(l => l.Line).Where(l => l.Contains("RANK ", StringComparison.Ordinal))
            .Select(l => MpiJob.Field(l[l.IndexOf("RANK ", StringComparison.Ordinal)..], "params_crc")).ToList();
        Assert.Equal(2, checksums.Count);
        Assert.Equal(checksums[0], checksums[1]);
        // Rank 0 reports, the header included; the others print only their checksum line.
        Assert.Single(job.Lines, l => l.Line.Contains("StreamRec click-prediction MLP", StringComparison.Ordinal));
        var final = Assert.Single(job.Lines.Select(l => l.Line), l => l.Contains("FINAL val_auc=", StringComparison.Ordinal));
        Assert.EndsWith("ranks=2", final.TrimEnd());
        Assert.InRange(double.Parse(MpiJob.Field(final[final.IndexOf("FINAL", StringComparison.Ordinal)..], "val_auc"),
            System.Globalization.CultureInfo.InvariantCulture), 0.55, 1.0);
    }

    /// <summary>(5) A rank killed by SIGKILL while the other waits in an allreduce: mpirun ends the job, non-zero, saying which rank died, within 30 s.</summary>
    [Fact]
    public void A_killed_rank_ends_the_whole_job_promptly()
    {
        var job = MpiJob.Run(2, "kill");
        var killedAt = job.Lines.First(l => l.Line.Contains("KILLING", StringComparison.Ordinal)).At;

        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains("rank 1", job.Output);
        Assert.Contains("signal 9", job.Output);
        Assert.DoesNotContain("UNREACHABLE", job.Output);
        Assert.True(job.Elapsed - killedAt < TimeSpan.FromSeconds(30), $"The job ended {(job.Elapsed - killedAt).TotalSeconds:F1} s after the kill.\n{job.Output}");
    }

    /// <summary>(5) An exception on one rank aborts the job through MPI_Abort with the exception's message, instead of a hang.</summary>
    [Fact]
    public void An_exception_on_one_rank_aborts_the_job_with_its_message()
    {
        var job = MpiJob.Run(2, "throw");
        var thrownAt = job.Lines.First(l => l.Line.Contains("THROWING", StringComparison.Ordinal)).At;

        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains("rank 1/2 aborts the job: training failed: InvalidOperationException: rank 1 failed on purpose at step 5", job.Output);
        Assert.DoesNotContain("UNREACHABLE", job.Output);
        Assert.True(job.Elapsed - thrownAt < TimeSpan.FromSeconds(30), $"The job ended {(job.Elapsed - thrownAt).TotalSeconds:F1} s after the exception.\n{job.Output}");
    }

    /// <summary>
    /// (6) A 2-rank run split by a checkpoint (rank 0 writes it after epoch 2; a new job of fresh models with other
    /// seeds resumes from it) ends bit-identical to the run straight through: BatchNorm, dropout, AdamW, one-cycle.
    /// </summary>
    [Fact]
    public void A_checkpoint_written_by_rank_0_resumes_on_two_ranks_bit_identically()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dslnet-mpi-resume-{Guid.NewGuid():N}.safetensors");
        try
        {
            var straight = MpiJob.Run(2, "checkpoint", "straight", path);
            var first = MpiJob.Run(2, "checkpoint", "first", path);
            var resumed = MpiJob.Run(2, "checkpoint", "resume", path);
            foreach (var job in new[] { straight, first, resumed })
                Assert.True(job.ExitCode == 0, $"exit code {job.ExitCode}:\n{job.Output}");

            Assert.Equal("EPOCHS 1,2 STEPCOUNT 16", first.Single(0, "EPOCHS"));
            Assert.Equal("EPOCHS 3,4 STEPCOUNT 32", resumed.Single(0, "EPOCHS"));
            var expected = MpiJob.Field(straight.Single(0, "RANK"), "params_crc");
            Assert.NotEqual(expected, MpiJob.Field(first.Single(0, "RANK"), "params_crc"));
            for (var r = 0; r < 2; r++)
            {
                Assert.Equal(expected, MpiJob.Field(straight.Single(r, "RANK"), "params_crc"));
                Assert.Equal(expected, MpiJob.Field(resumed.Single(r, "RANK"), "params_crc"));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
