using System.Diagnostics;
using DslNet.Samples.StreamRec;
using Xunit.Abstractions;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// The StreamRec sample (samples/StreamRec): five epochs of the textbook recipe on its generated data reach a
/// validation AUC of at least 0.83; its data can be exported and read back; bad command lines exit with code 2.
/// </summary>
/// <remarks>
/// The tests run alone (<see cref="StreamRecSampleCollection"/>): the training test uses every core and generates
/// 250,000 rows on the thread pool, which would disturb both its own throughput and the allocation tests that
/// count bytes allocated across all threads.
/// </remarks>
[Collection(StreamRecSampleCollection.Name)]
public sealed class StreamRecSampleTests(ITestOutputHelper output)
{
    [Fact]
    public void Five_epochs_on_the_generated_data_reach_a_validation_auc_of_0_83()
    {
        var log = new StringWriter();
        var clock = Stopwatch.StartNew();
        var result = StreamRecTraining.Run(new StreamRecOptions { MeasurePredict = false }, log);
        clock.Stop();
        output.WriteLine(log.ToString());
        output.WriteLine($"wall time {clock.Elapsed.TotalSeconds:F1} s");

        Assert.Equal(5, result.Epochs.Count);
        Assert.Equal(SyntheticStreamRec.DefaultTrainRows, result.TrainRows);
        Assert.Equal(SyntheticStreamRec.DefaultValidationRows, result.ValidationRows);
        Assert.True(result.FinalValidationAuc >= 0.83, $"validation AUC {result.FinalValidationAuc:F4} < 0.83");
        // The noise-free teacher bounds what any model can reach; the data set is tuned to about 0.87.
        Assert.InRange(result.TeacherAuc!.Value, 0.85, 0.89);
        Assert.True(result.FinalValidationAuc < result.TeacherAuc.Value);
        Assert.True(result.Last.TrainLoss < result.Epochs[0].TrainLoss);

        // After the first epoch (workspace growth, the data set's batch buffers), a whole epoch of batches
        // allocates nothing but its enumerator.
        foreach (var epoch in result.Epochs.Skip(1))
            Assert.True(epoch.AllocatedBytes < 1024, $"epoch {epoch.Epoch} allocated {epoch.AllocatedBytes} bytes");
    }

    [Fact]
    public void Generated_data_is_deterministic_and_a_smaller_set_is_a_prefix_of_a_larger_one()
    {
        var small = new SyntheticStreamRec(seed: 11).GenerateTrain(3000);
        var large = new SyntheticStreamRec(seed: 11).GenerateTrain(5000);
        var other = new SyntheticStreamRec(seed: 12).GenerateTrain(3000);

        Assert.True(small.Data.Features.SequenceEqual(large.Data.Features[..small.Data.Features.Length]));
        Assert.True(small.Data.Labels.SequenceEqual(large.Data.Labels[..3000]));
        Assert.True(small.TeacherLogits.AsSpan().SequenceEqual(large.TeacherLogits.AsSpan(0, 3000)));
        Assert.False(small.Data.Features.SequenceEqual(other.Data.Features));

        // Standard normal features; about a third of the rows are clicks.
        var features = large.Data.Features;
        double sum = 0, squares = 0;
        foreach (var x in features)
        {
            sum += x;
            squares += x * x;
        }

        Assert.InRange(sum / features.Length, -0.01, 0.01);
        Assert.InRange(squares / features.Length, 0.98, 1.02);
        Assert.InRange(large.PositiveRate, 0.3, 0.45);
    }

    [Fact]
    public void Export_writes_csv_files_that_train_and_val_read_back_to_the_same_rows()
    {
        var directory = Directory.CreateTempSubdirectory("streamrec-export-");
        try
        {
            var (exitCode, stdout, stderr) = RunInProcess("--export", directory.FullName, "--rows", "600", "--val-rows", "300", "--data-seed", "5");
            Assert.True(exitCode == 0, stderr);
            Assert.Contains("train.csv", stdout);

            var trainPath = Path.Combine(directory.FullName, "train.csv");
            var validationPath = Path.Combine(directory.FullName, "val.csv");
            var header = File.ReadLines(trainPath).First().Split(',');
            Assert.Equal(129, header.Length);
            Assert.Equal("label", header[^1]);

            var options = new StreamRecOptions { TrainPath = trainPath, ValidationPath = validationPath };
            var (train, validation, teacherAuc) = StreamRecTraining.LoadData(options);
            Assert.Null(teacherAuc);
            var generator = new SyntheticStreamRec(seed: 5);
            var expectedTrain = generator.GenerateTrain(600).Data;
            var expectedValidation = generator.GenerateValidation(300).Data;
            Assert.Equal(600, train.Rows);
            Assert.Equal(300, validation.Rows);
            for (var row = 0; row < 5; row++)
            {
                Assert.True(expectedTrain.Row(row).SequenceEqual(train.Row(row)), $"training row {row} differs");
                Assert.True(expectedValidation.Row(row).SequenceEqual(validation.Row(row)), $"validation row {row} differs");
            }

            Assert.True(expectedTrain.Labels.SequenceEqual(train.Labels));
            Assert.True(expectedValidation.Labels.SequenceEqual(validation.Labels));

            // And the sample trains on them.
            (exitCode, stdout, stderr) = RunInProcess("--train", trainPath, "--val", validationPath, "--epochs", "1", "--batch-size", "128");
            Assert.True(exitCode == 0, stderr);
            Assert.Matches(@"FINAL val_auc=0\.\d{4} samples_per_s=\d+", stdout);
            Assert.Contains("predict: ", stdout);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("--epochs 0", "--epochs expects a positive integer; got '0'")]
    [InlineData("--epochs five", "--epochs expects a positive integer; got 'five'")]
    [InlineData("--batch-size -3", "--batch-size expects a positive integer; got '-3'")]
    [InlineData("--threads", "--threads needs a value")]
    [InlineData("--learning-rate 1", "unknown option '--learning-rate'")]
    [InlineData("epochs", "unexpected argument 'epochs'")]
    [InlineData("--seed 1 --seed 2", "--seed is given twice")]
    [InlineData("--train a.csv", "--train needs --val as well")]
    [InlineData("--val b.csv", "--val needs --train as well")]
    [InlineData("--train a.csv --val b.csv --rows 10", "--rows applies to the generated data set")]
    [InlineData("--train no-such-file.csv --val no-such-file.csv", "--train: there is no file 'no-such-file.csv'")]
    [InlineData("--device tpu", "--device expects cpu, cuda[:n], opencl[:n] or best; got 'tpu'")]
    [InlineData("--precision fp8", "--precision expects fp32, fp16 or bf16; got 'fp8'")]
    public void Bad_arguments_exit_with_code_2_and_say_why(string commandLine, string message)
    {
        var (exitCode, stdout, stderr) = RunInProcess(commandLine.Split(' '));
        Assert.Equal(StreamRecProgram.BadArguments, exitCode);
        Assert.Contains("error: " + message, stderr);
        Assert.Contains("--help", stderr);
        Assert.Empty(stdout);
    }

    [Fact]
    public void A_csv_with_the_wrong_number_of_columns_is_refused_with_code_2()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "a,b,label\n1,2,0\n3,4,1\n");
            var (exitCode, _, stderr) = RunInProcess("--train", path, "--val", path);
            Assert.Equal(StreamRecProgram.BadArguments, exitCode);
            Assert.Contains("has 2 feature columns besides 'label'; StreamRecMlp takes 128", stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("fp16", "precision: fp16, dynamic loss scaling")]
    [InlineData("bf16", "precision: bf16")]
    public void The_cpu_trains_in_reduced_precision_and_the_log_says_so(string precision, string reported)
    {
        var (exitCode, stdout, stderr) = RunInProcess("--device", "cpu", "--precision", precision, "--rows", "600", "--val-rows", "300", "--epochs", "1");
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("device: cpu (CPU (generated C#)), " + reported + Environment.NewLine, stdout);
        Assert.Matches(@"FINAL val_auc=0\.\d{4} samples_per_s=\d+", stdout);
    }

    [Fact]
    public void The_log_says_which_device_and_precision_ran()
    {
        var (exitCode, stdout, stderr) = RunInProcess("--device", "cpu", "--rows", "600", "--val-rows", "300", "--epochs", "1");
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("device: cpu (CPU (generated C#)), precision: fp32" + Environment.NewLine, stdout);
    }

    [Fact]
    public void Help_prints_the_options_and_exits_with_code_0()
    {
        var (exitCode, stdout, _) = RunInProcess("--help");
        Assert.Equal(0, exitCode);
        foreach (var option in new[] { "--epochs", "--batch-size", "--seed", "--threads", "--train", "--val", "--export", "--rows", "--device", "--precision" })
            Assert.Contains(option, stdout);
    }

    [Fact]
    public async Task The_executable_exits_with_code_2_on_a_bad_argument()
    {
        // The real process, so the exit code is the one a shell sees.
        var assembly = typeof(StreamRecProgram).Assembly.Location;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(assembly);
        start.ArgumentList.Add("--epochs");
        start.ArgumentList.Add("-1");
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("error: --epochs expects a positive integer; got '-1'", await stderr);
        Assert.Equal("", await stdout);
    }

    internal static (int ExitCode, string Stdout, string Stderr) RunInProcess(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exitCode = StreamRecProgram.Run(args, stdout, stderr);
        return (exitCode, stdout.ToString(), stderr.ToString());
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StreamRecSampleCollection
{
    public const string Name = "StreamRec sample";
}
