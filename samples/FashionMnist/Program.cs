using DslNet.Samples.FashionMnist;

return FashionProgram.Run(args, Console.Out, Console.Error);

namespace DslNet.Samples.FashionMnist
{
    /// <summary>The command line: parses, trains, prints, and turns input errors into exit code 2.</summary>
    public static class FashionProgram
    {
        public const int Success = 0;
        public const int BadArguments = 2;

        public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
        {
            var command = CommandLine.Parse(args);
            if (command.Help)
            {
                output.WriteLine(CommandLine.Usage);
                return Success;
            }

            if (command.Error is { } message)
            {
                error.WriteLine($"error: {message}");
                error.WriteLine("Run with --help for the options.");
                return BadArguments;
            }

            var options = command.Options;
            try
            {
                var result = FashionTraining.Run(options, output);
                foreach (var line in FashionTraining.Report(result, options.Augment)) output.WriteLine(line);
                return Success;
            }
            catch (Exception e) when (e is FashionInputException or IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"error: {e.Message}");
                return BadArguments;
            }
        }
    }
}
