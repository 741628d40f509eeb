using System.Globalization;

namespace DslNet.Samples.FashionMnist;

/// <summary>A parsed command line: the options, a request for help, or the error to report.</summary>
public sealed record Command(FashionOptions Options, bool Help = false, string? Error = null);

/// <summary>Parses the sample's arguments (<c>--name value</c> or <c>--name=value</c>).</summary>
public static class CommandLine
{
    public const string Usage = """
        Usage: dotnet run --project samples/FashionMnist -c Release -- [options]

        Trains a CNN or a ResNet on Fashion-MNIST (60,000 training and 10,000 test images, 28 × 28, 10 classes) with
        AdamW, a one-cycle schedule and gradient clipping; prints test accuracy per epoch, per class, the confusion
        matrix and the training and inference speed.

        Options:
          --model NAME        cnn (default: 2 conv + BatchNorm + pooling, 0.42 M parameters) or resnet (stem + three stages)
          --epochs N          training epochs (default 10)
          --batch-size N      images per training step (default 128)
          --lr X              peak learning rate of the one-cycle schedule (default 0.003)
          --weight-decay X    AdamW's decoupled weight decay on the weights (default 0.01)
          --augment           random crop (padding 2) and horizontal flip of the training images
          --crop-padding N    padding of the random crop with --augment (default 2; 0 flips only)
          --threads N         threads for the CPU kernels (default: all logical processors)
          --max-rows N        use only the first N training and test images (quick runs)
          --seed N            seed of the initialization, dropout, shuffling and augmentation (default 0)
          --data DIR          folder of the four IDX files (default /usr/share/datasets/fashion-mnist,
                              where Debian's dataset-fashion-mnist installs them)
          --plots DIR         write PNGs to DIR: loss, learning rate, gradient norm, test accuracy per epoch, and a grid
                              of misclassified test images with their true and predicted classes
          --distributed       data-parallel over the ranks of an MPI job (scripts/mpirun.sh -np 2 dotnet …FashionMnist.dll
                              --distributed); --batch-size stays the global batch, split over the ranks
          -h, --help          show this help

        Exit codes: 0 done, 2 bad arguments or missing data.
        """;

    private static readonly HashSet<string> Flags = ["--augment", "--distributed"];

    private static readonly HashSet<string> Valued =
        ["--model", "--epochs", "--batch-size", "--lr", "--weight-decay", "--crop-padding", "--threads", "--max-rows", "--seed", "--data", "--plots"];

    public static Command Parse(IReadOnlyList<string> args)
    {
        var options = new FashionOptions();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help" or "-?") return new Command(options, Help: true);
            if (!arg.StartsWith("--", StringComparison.Ordinal)) return Fail($"unexpected argument '{arg}'; options start with '--'.");

            var equals = arg.IndexOf('=');
            var name = equals >= 0 ? arg[..equals] : arg;
            var value = equals >= 0 ? arg[(equals + 1)..] : null;
            if (!Flags.Contains(name) && !Valued.Contains(name)) return Fail($"unknown option '{name}'.");
            if (!seen.Add(name)) return Fail($"{name} is given twice.");
            if (Flags.Contains(name))
            {
                if (value is not null) return Fail($"{name} takes no value.");
                options = name == "--augment" ? options with { Augment = true } : options with { Distributed = true };
                continue;
            }

            if (value is null)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal)) return Fail($"{name} needs a value.");
                value = args[++i];
            }

            string? error = null;
            options = name switch
            {
                "--model" => value switch
                {
                    "cnn" => options with { Model = FashionModel.Cnn },
                    "resnet" => options with { Model = FashionModel.ResNet },
                    _ => Error(options, $"--model expects cnn or resnet; got '{value}'.", ref error),
                },
                "--epochs" => options with { Epochs = Positive(name, value, ref error) },
                "--batch-size" => options with { BatchSize = Positive(name, value, ref error) },
                "--lr" => options with { MaxLearningRate = PositiveNumber(name, value, ref error) },
                "--weight-decay" => options with { WeightDecay = PositiveNumber(name, value, ref error) },
                "--crop-padding" => options with { CropPadding = NonNegative(name, value, ref error) },
                "--threads" => options with { Threads = Positive(name, value, ref error) },
                "--max-rows" => options with { MaxRows = Positive(name, value, ref error) },
                "--seed" => options with { Seed = Integer(name, value, ref error) },
                "--data" => options with { DataDirectory = value },
                "--plots" => options with { PlotDirectory = value },
                _ => options,
            };
            if (error is not null) return Fail(error);
        }

        if (options.BatchSize < 2) return Fail("--batch-size must be at least 2: BatchNorm needs two images to normalize a batch.");
        return new Command(options);

        Command Fail(string message) => new(options, Error: message);
    }

    private static FashionOptions Error(FashionOptions options, string message, ref string? error)
    {
        error = message;
        return options;
    }

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

    private static int NonNegative(string name, string value, ref string? error)
    {
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var result)) return result;
        error = $"{name} expects an integer of 0 or more; got '{value}'.";
        return 0;
    }

    private static double PositiveNumber(string name, string value, ref string? error)
    {
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var result) && result > 0 && double.IsFinite(result)) return result;
        error = $"{name} expects a positive number; got '{value}'.";
        return 1;
    }
}
