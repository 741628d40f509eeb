using System.Runtime.InteropServices;
using DslNet;
using DslNet.Devices;
using DslNet.Samples.StreamRec;

namespace GpuBench;

/// <summary>
/// The accuracy half of bench/gpu.sh: one fixed training run of StreamRec per storage precision on a noisy synthetic
/// task, scored by test ROC AUC. The data set is written to <c>DIR</c> as raw little-endian fp32 so that PyTorch trains
/// on the very same rows (bench/gpu.sh compares the two AUCs, which must agree within 0.003).
/// </summary>
internal static class AucCheck
{
    /// <summary>Test rows (fewer when the training set is smaller, as in the CPU-accelerator dry run).</summary>
    public const int TestRows = 65_536;
    /// <summary>Training batch (a quarter of the training rows when they are fewer, as in the dry run).</summary>
    public const int Batch = 4096;
    public const int Epochs = 3;

    public static void Run(Device device, string directory, int trainRows)
    {
        if (device.IsCpu)
        {
            Console.WriteLine("AUC check: needs an ILGPU device");
            return;
        }

        Directory.CreateDirectory(directory);
        var testRows = Math.Min(TestRows, trainRows);
        var (xTrain, yTrain) = NoisyData(trainRows, seed: 11);
        var (xTest, yTest) = NoisyData(testRows, seed: 12);
        Write(Path.Combine(directory, "x_train.f32"), xTrain);
        Write(Path.Combine(directory, "y_train.f32"), yTrain);
        Write(Path.Combine(directory, "x_test.f32"), xTest);
        Write(Path.Combine(directory, "y_test.f32"), yTest);
        var batch = Math.Min(Batch, trainRows / 4);
        File.WriteAllText(Path.Combine(directory, "meta.txt"), FormattableString.Invariant($"{trainRows} {testRows} {batch} {Epochs}\n"));
        Console.WriteLine($"\nAUC check: {trainRows:N0} training rows, {testRows:N0} test rows, batch {batch}, {Epochs} epochs, AdamW 1e-3, clip 1.0");
        foreach (var precision in new[] { Precision.Fp32, Precision.Fp16, Precision.Bf16 })
        {
            var auc = TrainAndScore(device, precision, batch, xTrain, yTrain, xTest, yTest);
            Console.WriteLine($"  DslNet {precision}: test AUC {auc:F4}");
            Console.WriteLine(FormattableString.Invariant($"RESULT dslnet auc {precision.ToString().ToLowerInvariant()} {batch} {auc:F5}"));
        }
    }

    /// <summary>128 uniform features; the label is drawn from a logistic model with interactions, so the best AUC is
    /// well below 1 and a training difference shows.</summary>
    public static (float[] X, float[] Y) NoisyData(int rows, int seed)
    {
        const int width = StreamRecMlp.InputSize;
        var random = new Random(seed);
        var x = new float[rows * width];
        var y = new float[rows];
        for (var i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
        for (var i = 0; i < rows; i++)
        {
            var r = i * width;
            var logit = 2.0 * (x[r] + x[r + 1]) + 3.0 * x[r + 2] * x[r + 3] - 1.5 * Math.Abs(x[r + 4]) + Math.Sin(3.0 * x[r + 5]) + 0.5;
            y[i] = random.NextDouble() < 1 / (1 + Math.Exp(-logit)) ? 1 : 0;
        }

        return (x, y);
    }

    private static double TrainAndScore(Device device, Precision precision, int batch, float[] xTrain, float[] yTrain, float[] xTest, float[] yTest)
    {
        const int width = StreamRecMlp.InputSize;
        var model = new StreamRecMlp(42, device, precision);
        var rows = yTrain.Length;
        using var optimizer = new DeviceAdamW(model, lr: 1e-3, weightDecay: 1e-2, clipNorm: 1.0);
        var scaler = new GradScaler(enabled: precision == Precision.Fp16);
        var order = Enumerable.Range(0, rows).ToArray();
        var x = new float[batch * width];
        var y = new float[batch];
        for (var epoch = 0; epoch < Epochs; epoch++)
        {
            new Random(100 + epoch).Shuffle(order);
            for (var start = 0; start + batch <= rows; start += batch)
            {
                for (var i = 0; i < batch; i++)
                {
                    var row = order[start + i];
                    Array.Copy(xTrain, row * width, x, i * width, width);
                    y[i] = yTrain[row];
                }

                model.TrainStep(x, y, scaler.Scale);
                scaler.Step(optimizer);
                scaler.Update();
            }
        }

        var scores = new float[yTest.Length];
        model.Predict(xTest, scores);
        model.DeviceNetwork?.Dispose();
        return Metrics.RocAuc(scores, yTest);
    }

    private static void Write(string path, float[] values) => File.WriteAllBytes(path, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
}
