using System.Globalization;
using DslNet.Samples.Schedules;

return SchedulesProgram.Run(args, Console.Out, Console.Error);

namespace DslNet.Samples.Schedules
{
    /// <summary>The command line: traces every schedule, prints a table, writes schedules.png.</summary>
    public static class SchedulesProgram
    {
        public const string Usage = """
            Usage: dotnet run --project samples/Schedules -c Release -- [options]

            Steps every learning-rate schedule of DslNet (StepLR, CosineAnnealingLR, CosineAnnealingWarmRestarts,
            OneCycleLR cos / linear / three-phase, LinearWarmup + cosine, SequentialLR) the same number of times on
            an SGD optimizer (lr 0.1, momentum 0.9), prints the rates at a few steps and draws them all into one PNG.

            Options:
              --out DIR     folder for schedules.png (default ./out)
              --steps N     steps per schedule (default 1000, at least 20)
              -h, --help    show this help
            """;

        public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
        {
            var directory = "out";
            var steps = ScheduleGallery.DefaultSteps;
            for (var i = 0; i < args.Count; i++)
            {
                var arg = args[i];
                var equals = arg.IndexOf('=');
                var (name, value) = arg.StartsWith("--", StringComparison.Ordinal) && equals > 0 ? (arg[..equals], arg[(equals + 1)..]) : (arg, null);
                switch (name)
                {
                    case "-h" or "--help":
                        output.WriteLine(Usage);
                        return 0;
                    case "--out" or "--steps":
                        value ??= i + 1 < args.Count ? args[++i] : null;
                        if (string.IsNullOrWhiteSpace(value)) return Fail($"{name} needs a value.");
                        if (name == "--out") directory = value;
                        else if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out steps) || steps < 20)
                            return Fail($"--steps expects an integer of at least 20; got '{value}'.");
                        break;
                    default:
                        return Fail($"unknown argument '{arg}'.");
                }
            }

            var curves = ScheduleGallery.Build(steps);
            output.WriteLine($"Learning rate of every schedule over {steps} steps (SGD, lr {ScheduleGallery.BaseLearningRate}, momentum 0.9):");
            output.WriteLine();
            output.Write(ScheduleGallery.FormatTable(curves));
            output.WriteLine();
            foreach (var curve in curves) output.WriteLine($"  {curve.Name}: {curve.Settings}");
            output.WriteLine();
            try
            {
                output.WriteLine($"wrote {SchedulePlot.Save(curves, directory)}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"error: cannot write the plot into '{directory}': {e.Message}");
                return 2;
            }

            return 0;

            int Fail(string message)
            {
                error.WriteLine($"error: {message}");
                error.WriteLine("Run with --help for the options.");
                return 2;
            }
        }
    }
}
