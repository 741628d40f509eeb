using System.Globalization;
using DslNet.Samples.DeepMlp;
using DslNet.Samples.StreamRec;

return DeepMlpProgram.Run(args, Console.Out, Console.Error);

namespace DslNet.Samples.DeepMlp
{
    /// <summary>
    /// Trains the 32-block residual MLP and the same blocks without skips on the StreamRec data, prints the validation
    /// AUC of both, writes the per-depth gradient-norm plot and ends with
    /// <c>FINAL residual_auc=… plain_auc=… samples_per_s=…</c> (the residual model's training throughput).
    /// Options: --train FILE --val FILE (CSV, as samples/StreamRec; default: the generated data), --epochs N, --threads N,
    /// --out DIR (the PNG's folder, default the current one).
    /// </summary>
    public static class DeepMlpProgram
    {
        public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
        {
            var options = new StreamRecOptions { MeasurePredict = false };
            var directory = ".";
            for (var i = 0; i < args.Count; i++)
            {
                string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                try
                {
                    switch (args[i])
                    {
                        case "--train": options = options with { TrainPath = Next() }; break;
                        case "--val": options = options with { ValidationPath = Next() }; break;
                        case "--epochs": options = options with { Epochs = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                        case "--threads": options = options with { Threads = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                        case "--out": directory = Next(); break;
                        default: throw new ArgumentException($"unknown option {args[i]} (--train, --val, --epochs, --threads, --out)");
                    }
                }
                catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
                {
                    error.WriteLine($"error: {e.Message}");
                    return 2;
                }
            }

            if ((options.TrainPath is null) != (options.ValidationPath is null))
            {
                error.WriteLine("error: give both --train and --val, or neither");
                return 2;
            }

            try
            {
                DeepMlpTraining.UseThreads(options.Threads);
                output.WriteLine($"DeepMlp: {DeepMlpModels.Depth} blocks of Dense(64) + BatchNorm (+ ReLU), {DeepMlpModels.Depth / 2} residual units against no skips");
                var (train, validation, _) = StreamRecTraining.LoadData(options, output);
                var residual = DeepMlpTraining.Train("residual", new ResidualDeepMlp(seed: options.Seed), train, validation, options, output);
                var plain = DeepMlpTraining.Train("plain", new PlainDeepMlp(seed: options.Seed), train, validation, options, output);
                var path = DeepMlpPlot.Save(new[] { residual, plain }, directory);
                output.WriteLine($"gradient norms by depth: {path}");
                foreach (var run in new[] { residual, plain })
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{run.Name,-9} ‖∂L/∂W‖ block 1: {run.GradientNormByDepth[0]:E2}, block {DeepMlpModels.Depth}: {run.GradientNormByDepth[^1]:E2}"));
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"FINAL residual_auc={residual.FinalAuc:F4} plain_auc={plain.FinalAuc:F4} samples_per_s={residual.SamplesPerSecond:F0}"));
                return 0;
            }
            catch (Exception e) when (e is StreamRecInputException or IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"error: {e.Message}");
                return 2;
            }
        }
    }
}
