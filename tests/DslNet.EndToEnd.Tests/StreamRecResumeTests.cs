using DslNet.Samples.StreamRec;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// The StreamRec sample's checkpoints: a run stopped after an epoch and resumed with <c>--resume</c> ends with the
/// same parameters, bit for bit, as one never stopped; a corrupted or mismatched checkpoint, a label that is not 0
/// or 1, and a checkpoint path in a missing directory exit with code 2 and say where.
/// </summary>
[Collection(StreamRecSampleCollection.Name)]
public sealed class StreamRecResumeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dslnet-streamrec-resume-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly string[] SmallRun = ["--rows", "3000", "--val-rows", "1000", "--epochs", "3", "--batch-size", "256"];

    [Fact]
    public void A_run_stopped_and_resumed_ends_bit_identical_to_one_never_stopped()
    {
        var straight = Path.Combine(_directory, "straight.safetensors");
        var (code, straightOut, error) = Run([.. SmallRun, "--checkpoint", straight]);
        Assert.True(code == 0, error);

        var split = Path.Combine(_directory, "split.safetensors");
        (code, var firstOut, error) = Run([.. SmallRun, "--checkpoint", split, "--stop-after-epoch", "1"]);
        Assert.True(code == 0, error);
        Assert.Equal(1, Checkpoint.ReadInfo(split).Data.Int64("epoch"));
        Assert.Contains("--stop-after-epoch 1", firstOut);
        (code, var resumedOut, error) = Run([.. SmallRun, "--checkpoint", split, "--resume", split]);
        Assert.True(code == 0, error);
        Assert.Contains($"resumed from {split} after epoch 1", resumedOut);

        var (straightTensors, _) = SafeTensorsReader.ReadAll(straight);
        var (resumedTensors, _) = SafeTensorsReader.ReadAll(split);
        Assert.Equal(straightTensors.Keys.Order(), resumedTensors.Keys.Order());
        foreach (var (name, values) in straightTensors)
            Assert.True(values.AsSpan().SequenceEqual(resumedTensors[name]), $"tensor '{name}' differs after resuming");
        Assert.Equal(FinalAuc(straightOut), FinalAuc(resumedOut));
    }

    [Fact]
    public void A_corrupted_or_mismatched_checkpoint_exits_with_code_2()
    {
        var path = Path.Combine(_directory, "run.safetensors");
        Assert.Equal(0, Run(["--rows", "3000", "--val-rows", "1000", "--epochs", "1", "--batch-size", "256", "--checkpoint", path]).ExitCode);

        // Another batch size makes another one-cycle horizon: the schedule refuses the saved state.
        var (code, _, error) = Run(["--rows", "3000", "--val-rows", "1000", "--epochs", "1", "--batch-size", "128", "--resume", path]);
        Assert.Equal(StreamRecProgram.BadArguments, code);
        Assert.Contains("error: ", error);
        Assert.Contains(path, error);

        var bytes = File.ReadAllBytes(path);
        bytes[^5] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        (code, _, error) = Run([.. SmallRun, "--resume", path]);
        Assert.Equal(StreamRecProgram.BadArguments, code);
        Assert.Contains("corrupted", error);
    }

    [Fact]
    public void A_checkpoint_in_a_missing_directory_exits_with_code_2_before_training()
    {
        var path = Path.Combine(_directory, "missing", "run.safetensors");
        var (code, output, error) = Run([.. SmallRun, "--checkpoint", path]);
        Assert.Equal(StreamRecProgram.BadArguments, code);
        Assert.Contains($"'{path}'", error);
        Assert.DoesNotContain("epoch 1/", output);
    }

    [Theory]
    [InlineData("train", "2")]
    [InlineData("val", "2")]
    [InlineData("train", "-1")]
    public void A_label_other_than_0_or_1_exits_with_code_2_naming_file_line_and_column(string file, string label)
    {
        var (train, validation) = (Path.Combine(_directory, "train.csv"), Path.Combine(_directory, "val.csv"));
        Assert.Equal(0, Run(["--export", _directory, "--rows", "40", "--val-rows", "20"]).ExitCode);
        var target = file == "train" ? train : validation;
        var lines = File.ReadAllLines(target);
        lines[3] = lines[3][..lines[3].LastIndexOf(',')] + "," + label;     // label is the last column
        File.WriteAllLines(target, lines);

        var (code, output, error) = Run(["--train", train, "--val", validation, "--epochs", "1"]);
        Assert.Equal(StreamRecProgram.BadArguments, code);
        Assert.Contains($"{target}, line 4, column 129 ('label')", error);
        Assert.Contains($"the label is {label}; binary labels must be 0 or 1", error);
        Assert.DoesNotContain("FINAL", output);
    }

    private static string FinalAuc(string output) =>
        output.Split('\n').Single(l => l.StartsWith("FINAL ", StringComparison.Ordinal)).Split(' ')[1];

    private static (int ExitCode, string Stdout, string Stderr) Run(params string[] args) => StreamRecSampleTests.RunInProcess(args);
}
