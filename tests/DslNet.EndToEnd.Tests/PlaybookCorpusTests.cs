using System.Diagnostics;
using Xunit.Abstractions;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// <see cref="TrainingHistory.Diagnose"/> on real training runs (<see cref="PlaybookCorpus"/>): every broken recipe gets
/// one of the findings expected for it, and no healthy run gets any finding at all. With the environment variable
/// <c>DSLNET_PLAYBOOK_OUT</c> set to a folder, each run's curves (PNG) and diagnosis are written there.
/// </summary>
public sealed class PlaybookCorpusTests(ITestOutputHelper output)
{
    public static TheoryData<string> RunNames => new(PlaybookCorpus.Runs.Select(r => r.Name));

    [Theory]
    [MemberData(nameof(RunNames))]
    public void Diagnosis_of_a_real_run(string name)
    {
        var run = PlaybookCorpus.Runs.Single(r => r.Name == name);
        run.Data();   // load outside the timing
        var clock = Stopwatch.StartNew();

        var history = PlaybookCorpus.Train(run);
        var diagnosis = history.Diagnose();

        output.WriteLine($"{run.Name} ({run.Task}: {run.Recipe}), {clock.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine(history.ToString());
        output.WriteLine(diagnosis.ToString());
        Save(run, history, diagnosis);
        if (run.Healthy)
            Assert.True(diagnosis.IsHealthy, $"A healthy run got findings:\n{diagnosis}");
        else
            Assert.True(run.Expected.Any(diagnosis.Has),
                $"Expected one of {string.Join(", ", run.Expected)}; got:\n{diagnosis}");
    }

    [Fact]
    public void The_corpus_covers_the_issue()
    {
        var broken = PlaybookCorpus.Runs.Where(r => !r.Healthy).ToArray();
        Assert.True(broken.Length >= 12, $"{broken.Length} broken runs");
        Assert.True(PlaybookCorpus.Runs.Count(r => r.Healthy) >= 6);
        Assert.Contains(PlaybookCorpus.Runs, r => r.Healthy && r.Task == "StreamRec");
        Assert.Contains(broken, r => r.Task == "StreamRec");
        Assert.Equal(PlaybookCorpus.Runs.Count, PlaybookCorpus.Runs.Select(r => r.Name).Distinct().Count());
    }

    private static void Save(PlaybookRun run, TrainingHistory history, Diagnosis diagnosis)
    {
        var folder = Environment.GetEnvironmentVariable("DSLNET_PLAYBOOK_OUT");
        if (string.IsNullOrWhiteSpace(folder)) return;
        var directory = Path.Combine(folder, run.Name);
        history.SavePlots(directory);
        var steps = new System.Text.StringBuilder("step,loss,learning_rate,gradient_norm\n");
        for (var i = 0; i < history.StepCount; i++)
            steps.Append(FormattableString.Invariant($"{i},{history.StepLosses[i]},{history.LearningRates[i]},{history.GradientNorms[i]}\n"));
        File.WriteAllText(Path.Combine(directory, "steps.csv"), steps.ToString());
        File.WriteAllText(Path.Combine(directory, "diagnosis.txt"),
            $"{run.Name} ({run.Task}): {run.Recipe}\n\n{history}\n\n{diagnosis}\n");
    }
}
