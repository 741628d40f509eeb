using DslNet.Samples.StreamRec;

return StreamRecProgram.Run(args, Console.Out, Console.Error);

namespace DslNet.Samples.StreamRec
{
    /// <summary>The command line: parses, runs, prints, and turns input errors into exit code 2.</summary>
    public static class StreamRecProgram
    {
        public const int Success = 0;
        public const int BadArguments = 2;

        public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
        {
            var command = CommandLine.Parse(args);
            try
            {
                switch (command.Kind)
                {
                    case CommandKind.Help:
                        output.WriteLine(CommandLine.Usage);
                        return Success;
                    case CommandKind.Error:
                        error.WriteLine($"error: {command.Error}");
                        error.WriteLine("Run with --help for the options.");
                        return BadArguments;
                    case CommandKind.Export:
                        var (train, validation) = StreamRecTraining.Export(command.Options, command.ExportDirectory!);
                        output.WriteLine($"wrote {train} ({command.Options.TrainRows} rows) and {validation} ({command.Options.ValidationRows} rows)");
                        return Success;
                    case CommandKind.Compare:
                        output.WriteLine("StreamRec: the baseline recipe against the full recipe (§7.9.3), trained with DslNet");
                        var comparison = RecipeComparison.Compare(command.Options, output);
                        output.WriteLine();
                        output.Write(RecipeComparison.FormatTable(comparison));
                        return Success;
                    case CommandKind.Train when command.Options.Recipe == Recipe.Baseline:
                        output.WriteLine("StreamRec click-prediction MLP, baseline recipe, trained with DslNet");
                        var run = RecipeComparison.RunBaseline(command.Options, output);
                        output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                            $"FINAL val_auc={run.Last.ValidationAuc:F4} samples_per_s={run.Epochs.Sum(e => e.Samples) / run.Epochs.Sum(e => e.TrainingTime.TotalSeconds):F0}"));
                        return Success;
                    default:
                        // The header comes from Run, which knows this process's rank: under mpirun only rank 0 prints it.
                        var result = StreamRecTraining.Run(command.Options, output);
                        foreach (var line in StreamRecTraining.FinalLines(result)) output.WriteLine(line);
                        return Success;
                }
            }
            // InvalidDataException: a checkpoint to resume from that is corrupted or does not fit this run.
            catch (Exception e) when (e is StreamRecInputException or IOException or UnauthorizedAccessException or InvalidDataException)
            {
                error.WriteLine($"error: {e.Message}");
                return BadArguments;
            }
        }
    }
}
