using DslNet.Samples.Schedules;
using Xunit.Abstractions;

namespace DslNet.EndToEnd.Tests.Samples;

/// <summary>samples/Schedules: every schedule over the same steps, drawn into one PNG.</summary>
public sealed class SchedulesSampleTests(ITestOutputHelper output)
{
    private static readonly string[] Names =
    [
        "StepLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "OneCycleLR (cos)", "OneCycleLR (linear)",
        "OneCycleLR (three-phase)", "LinearWarmup + cosine", "SequentialLR",
    ];

    [Fact]
    public void Every_schedule_is_traced_over_the_same_steps_within_its_range()
    {
        var curves = ScheduleGallery.Build(1000);
        Assert.Equal(Names, curves.Select(c => c.Name));
        foreach (var curve in curves)
        {
            Assert.Equal(1000, curve.Rates.Length);
            Assert.All(curve.Rates, r => Assert.InRange(r, 0.0, 0.1 + 1e-12));
            Assert.Equal(0.1, curve.Max, 1e-9);
        }

        var restarts = curves.Single(c => c.Name == "CosineAnnealingWarmRestarts").Rates;
        foreach (var t in new[] { 0, 100, 300, 700 }) Assert.Equal(0.1, restarts[t], 1e-12);
        var oneCycle = curves.Single(c => c.Name == "OneCycleLR (cos)");
        Assert.Equal(0.1 / 25, oneCycle.Rates[0], 1e-12);
        Assert.Equal(0.1 / 25 / 1e4, oneCycle.Rates[^1], 1e-12);
        Assert.Equal(0.85, oneCycle.Momenta![299], 1e-9);   // momentum at its lowest where the rate peaks
        Assert.Equal(0.0, curves.Single(c => c.Name == "LinearWarmup + cosine").Rates[0]);
        Assert.Equal(0.1, curves.Single(c => c.Name == "SequentialLR").Rates[599], 1e-12);
    }

    [Fact]
    public void The_command_line_writes_one_png_with_all_schedules()
    {
        var directory = PngFile.TempDirectory("schedules");
        try
        {
            var stdout = new StringWriter();
            var code = SchedulesProgram.Run(["--out", directory], stdout, TextWriter.Null);
            output.WriteLine(stdout.ToString());

            Assert.Equal(0, code);
            foreach (var name in Names) Assert.Contains(name, stdout.ToString());
            Assert.Single(Directory.GetFiles(directory));
            var (width, height, bytes) = PngFile.Read(Path.Combine(directory, SchedulePlot.FileName));
            Assert.Equal((SchedulePlot.DefaultWidth, SchedulePlot.DefaultHeight), (width, height));
            Assert.True(bytes > 50_000, $"the PNG has only {bytes} bytes");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Too_few_steps_exit_with_code_2()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, SchedulesProgram.Run(["--steps", "5"], TextWriter.Null, stderr));
        Assert.Contains("--steps expects an integer of at least 20", stderr.ToString());
    }
}
