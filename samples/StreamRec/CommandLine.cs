using System.Globalization;

namespace DslNet.Samples.StreamRec;

/// <summary>What the command line asks for.</summary>
public enum CommandKind
{
    Train,
    Export,
    Compare,
    Help,
    Error,
}

/// <summary>A parsed command line: the options, the export directory, or the error to report.</summary>
public sealed record Command(CommandKind Kind, StreamRecOptions Options, string? ExportDirectory = null, string? Error = null);

/// <summary>Parses the sample's arguments (<c>--name value</c> or <c>--name=value</c>).</summary>
public static class CommandLine
{
    public const string Usage = """
        Usage: dotnet run --project samples/StreamRec -c Release -- [options]

        Trains the StreamRec click-prediction MLP (128 → 256 → 128 → 64 → 1, BatchNorm, ReLU, dropout 0.3) with
        AdamW, a one-cycle schedule and gradient clipping, on generated data or on CSV files.

        Options:
          --epochs N          training epochs (default 5)
          --batch-size N      rows per training step (default 512)
          --seed N            seed of the initialization, dropout masks and shuffling (default 0)
          --threads N         threads for the CPU kernels (default: all logical processors)
          --train FILE        training CSV: a header, 128 feature columns and a 'label' column (needs --val)
          --val FILE          validation CSV, same layout (needs --train)
          --rows N            rows of generated training data (default 200000)
          --val-rows N        rows of generated validation data (default 50000)
          --data-seed N       seed of the generated data set (default 7)
          --export DIR        write the generated data set to DIR/train.csv and DIR/val.csv, then exit
          --recipe NAME       full (default): BatchNorm, dropout, AdamW, one-cycle, clipping;
                              baseline: plain MLP, default init, Adam at a constant rate, no clipping
          --compare           train both recipes on the same data and print the chapter's comparison table
          --device NAME       cpu (default, the generated C# path), cuda[:n], opencl[:n] or best
          --precision NAME    fp32 (default), fp16 or bf16 storage of activations and gradients
          --checkpoint FILE   save model, optimizer, schedule and scaler to FILE after every epoch
          --resume FILE       continue the run saved in FILE (same data and options), bit-identically
          --stop-after-epoch N  stop after epoch N, as if interrupted (needs --checkpoint; resume later)
          --distributed       data-parallel over the ranks of an MPI job (scripts/mpirun.sh -np 2 dotnet …StreamRec.dll --distributed)
          -h, --help          show this help

        Exit codes: 0 done, 2 bad arguments or unusable input files.
        """;

    public static Command Parse(IReadOnlyList<string> args)
    {
        var options = new StreamRecOptions();
        string? export = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help" or "-?") return new Command(CommandKind.Help, options);
            if (!arg.StartsWith("--", StringComparison.Ordinal))
                return Fail($"unexpected argument '{arg}'; options start with '--'.");

            var name = arg;
            string? value = null;
            var equals = arg.IndexOf('=');
            if (equals >= 0)
            {
                name = arg[..equals];
                value = arg[(equals + 1)..];
            }

            if (!IsKnown(name)) return Fail($"unknown option '{name}'.");
            if (!seen.Add(name)) return Fail($"{name} is given twice.");
            if (name == "--compare" || name == "--distributed")
            {
                if (value is not null) return Fail($"{name} takes no value.");
                if (name == "--distributed") options = options with { Distributed = true };
                continue;
            }

            if (value is null)
            {
                if (i + 1 >= args.Count || (args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2))
                    return Fail($"{name} needs a value.");
                value = args[++i];
            }

            string? error = null;
            switch (name)
            {
                case "--epochs": options = options with { Epochs = Positive(name, value, ref error) }; break;
                case "--batch-size": options = options with { BatchSize = Positive(name, value, ref error) }; break;
                case "--seed": options = options with { Seed = Integer(name, value, ref error) }; break;
                case "--threads": options = options with { Threads = Positive(name, value, ref error) }; break;
                case "--rows": options = options with { TrainRows = Positive(name, value, ref error) }; break;
                case "--val-rows": options = options with { ValidationRows = Positive(name, value, ref error) }; break;
                case "--data-seed": options = options with { DataSeed = Integer(name, value, ref error) }; break;
                case "--train": options = options with { TrainPath = Path(name, value, ref error) }; break;
                case "--val": options = options with { ValidationPath = Path(name, value, ref error) }; break;
                case "--export": export = Path(name, value, ref error); break;
                case "--checkpoint": options = options with { CheckpointPath = Path(name, value, ref error) }; break;
                case "--resume": options = options with { ResumePath = Path(name, value, ref error) }; break;
                case "--stop-after-epoch": options = options with { StopAfterEpoch = Positive(name, value, ref error) }; break;
                case "--device":
                    if (value is "cpu" or "best" || System.Text.RegularExpressions.Regex.IsMatch(value, "^(cuda|opencl)(:[0-9]+)?$"))
                        options = options with { Device = value };
                    else error = $"--device expects cpu, cuda[:n], opencl[:n] or best; got '{value}'.";
                    break;
                case "--precision":
                    if (value is "fp32" or "fp16" or "bf16")
                        options = options with { Precision = Enum.Parse<Precision>(value, ignoreCase: true) };
                    else error = $"--precision expects fp32, fp16 or bf16; got '{value}'.";
                    break;
                case "--recipe":
                    if (value == "full") options = options with { Recipe = Recipe.Full };
                    else if (value == "baseline") options = options with { Recipe = Recipe.Baseline };
                    else error = $"--recipe expects 'full' or 'baseline'; got '{value}'.";
                    break;
            }

            if (error is not null) return Fail(error);
        }

        if ((options.TrainPath is null) != (options.ValidationPath is null))
            return Fail(options.TrainPath is null ? "--val needs --train as well." : "--train needs --val as well.");
        if (options.UsesCsv)
        {
            foreach (var generatedOnly in new[] { "--rows", "--val-rows", "--data-seed", "--export" })
                if (seen.Contains(generatedOnly))
                    return Fail($"{generatedOnly} applies to the generated data set, not to --train/--val files.");
            foreach (var (name, path) in new[] { ("--train", options.TrainPath!), ("--val", options.ValidationPath!) })
                if (!File.Exists(path))
                    return Fail($"{name}: there is no file '{path}'.");
        }

        if (options.ResumePath is not null && !File.Exists(options.ResumePath))
            return Fail($"--resume: there is no file '{options.ResumePath}'.");
        if (options.StopAfterEpoch is not null && options.CheckpointPath is null)
            return Fail("--stop-after-epoch needs --checkpoint, or the run is lost.");
        if (options.Distributed && (seen.Contains("--compare") || options.Recipe == Recipe.Baseline || export is not null))
            return Fail("--distributed goes with the full recipe's training run.");
        if ((options.CheckpointPath ?? options.ResumePath) is not null && (seen.Contains("--compare") || options.Recipe == Recipe.Baseline))
            return Fail("--checkpoint and --resume go with the full recipe's training run.");

        if (seen.Contains("--compare"))
        {
            if (seen.Contains("--recipe")) return Fail("--compare trains both recipes; leave out --recipe.");
            if (export is not null) return Fail("--compare and --export cannot be combined.");
            return new Command(CommandKind.Compare, options);
        }

        return export is null
            ? new Command(CommandKind.Train, options)
            : new Command(CommandKind.Export, options, ExportDirectory: export);

        Command Fail(string message) => new(CommandKind.Error, options, Error: message);
    }

    private static bool IsKnown(string name) => name is "--epochs" or "--batch-size" or "--seed" or "--threads" or "--rows"
        or "--val-rows" or "--data-seed" or "--train" or "--val" or "--export" or "--recipe" or "--compare" or "--device" or "--precision"
        or "--checkpoint" or "--resume" or "--stop-after-epoch" or "--distributed";

    private static int Integer(string name, string value, ref string? error)
    {
        if (int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var result)) return result;
        error = $"{name} expects an integer; got '{value}'.";
        return 0;
    }

    private static int Positive(string name, string value, ref string? error)
    {
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var result) && result > 0) return result;
        error = $"{name} expects a positive integer; got '{value}'.";
        return 1;
    }

    private static string? Path(string name, string value, ref string? error)
    {
        if (!string.IsNullOrWhiteSpace(value)) return value;
        error = $"{name} expects a path; got an empty value.";
        return null;
    }
}
