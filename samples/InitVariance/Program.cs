using System.Diagnostics;
using System.Globalization;
using DslNet.Samples.InitVariance;

return InitVarianceProgram.Run(args, Console.Out, Console.Error);

namespace DslNet.Samples.InitVariance
{
    /// <summary>The command line: runs the experiment, prints the table, writes the PNG.</summary>
    public static class InitVarianceProgram
    {
        public const string Usage = """
            Usage: dotnet run --project samples/InitVariance -c Release -- [options]

            Pushes 1000 N(0,1) inputs through 20 Linear(512,512) + ReLU layers (no bias) initialized too small
            (N(0, 0.01²)), too large (N(0, 1)), Xavier normal and He normal, and reports the activation variance
            after every layer: a table (scientific notation) and a PNG with a log-scale y axis.

            Options:
              --out DIR     folder for init_variance.png (default ./out)
              --seed N      seed of the inputs and weights (default 42)
              -h, --help    show this help
            """;

        public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
        {
            var directory = "out";
            var options = new InitVarianceOptions();
            for (var i = 0; i < args.Count; i++)
            {
                var (name, value) = Split(args[i]);
                switch (name)
                {
                    case "-h" or "--help":
                        output.WriteLine(Usage);
                        return 0;
                    case "--out" or "--seed":
                        value ??= i + 1 < args.Count ? args[++i] : null;
                        if (string.IsNullOrWhiteSpace(value)) return Fail($"{name} needs a value.");
                        if (name == "--out") directory = value;
                        else if (int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seed)) options = options with { Seed = seed };
                        else return Fail($"--seed expects an integer; got '{value}'.");
                        break;
                    default:
                        return Fail($"unknown argument '{args[i]}'.");
                }
            }

            var clock = Stopwatch.StartNew();
            var result = InitVarianceExperiment.Run(options);
            clock.Stop();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Activation variance after each of {options.Layers} Linear({options.Width}, {options.Width}) + ReLU layers, {options.Samples} N(0,1) inputs, seed {options.Seed} ({clock.Elapsed.TotalSeconds:F2} s)"));
            output.WriteLine();
            output.Write(InitVarianceExperiment.FormatTable(result));
            output.WriteLine();
            foreach (var line in InitVarianceExperiment.SummaryLines(result)) output.WriteLine(line);
            output.WriteLine();
            output.WriteLine("Per layer the variance changes by n_in·Var(w)/2 (§7.2.2; ReLU halves E[x²]): 0.0256 too_small, 256 too_large,");
            output.WriteLine("1/2 xavier, 1 he. Variances are computed in double: too_large's ~1e48 exceeds fp32's 3.4e38, which is why");
            output.WriteLine("the chapter's PyTorch run (x.var() in float32) prints inf for it.");

            try
            {
                var path = InitVariancePlot.Save(result, directory);
                output.WriteLine($"wrote {path}");
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

        private static (string Name, string? Value) Split(string arg)
        {
            var equals = arg.IndexOf('=');
            return arg.StartsWith("--", StringComparison.Ordinal) && equals > 0 ? (arg[..equals], arg[(equals + 1)..]) : (arg, null);
        }
    }
}
