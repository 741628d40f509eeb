using DslNet;
using DslNet.Devices;

namespace GpuBench;

/// <summary>
/// Measures the GEMM crossover the planner guesses (GemmPlanner.CrossoverRows, and ConvGemmPlanner's images from it):
/// training (device-resident AdamW) and inference in fp32 with every eligible GEMM fused (tiled kernels; direct
/// convolution kernels for an image model) and with every one through the library GEMM (cuBLAS + epilogue kernel;
/// im2col first for a convolution), per batch size; prints the smallest batch from which the library path wins at that
/// size and every larger one, the value to put in DSLNET_GEMM_CROSSOVER_ROWS (in images for an image model).
/// </summary>
internal static class Crossover
{
    /// <param name="resultPrefix">Prefixes the RESULT lines' names ("crossover-…" for StreamRec, "conv-crossover-…" for
    /// the ResNet), which bench/pytorch/gpu_summary.py reads.</param>
    public static void Run(BenchModel bench, string resultPrefix, Device device, int[] batches, bool quick)
    {
        if (device.IsCpu)
        {
            Console.WriteLine("crossover: needs an ILGPU device");
            return;
        }

        Console.WriteLine();
        Console.WriteLine($"GEMM crossover, {bench.Name} fp32 on the device, samples/s (fused or direct kernels vs library GEMM + epilogue kernels)");
        Console.WriteLine($"{"batch",7}  {"train fused",12}  {"train library",14}  {"predict fused",14}  {"predict library",16}");
        var train = new List<(int Batch, bool LibraryWins)>();
        var predict = new List<(int Batch, bool LibraryWins)>();
        foreach (var batch in batches)
        {
            var trainFused = Workloads.Train(bench, device, batch, resident: true, quick, crossover: DeviceNetwork.NeverRows);
            var trainLibrary = Workloads.Train(bench, device, batch, resident: true, quick, crossover: 0);
            var predictFused = Workloads.Predict(bench, device, batch, quick, crossover: DeviceNetwork.NeverRows);
            var predictLibrary = Workloads.Predict(bench, device, batch, quick, crossover: 0);
            Console.WriteLine($"{batch,7}  {trainFused,12:N0}  {trainLibrary,14:N0}  {predictFused,14:N0}  {predictLibrary,16:N0}");
            Result.Print($"{resultPrefix}-train-fused", "fp32", batch, trainFused);
            Result.Print($"{resultPrefix}-train-library", "fp32", batch, trainLibrary);
            Result.Print($"{resultPrefix}-predict-fused", "fp32", batch, predictFused);
            Result.Print($"{resultPrefix}-predict-library", "fp32", batch, predictLibrary);
            train.Add((batch, trainLibrary > trainFused));
            predict.Add((batch, predictLibrary > predictFused));
        }

        var probe = (IDeviceModel)bench.Create(0, device, Precision.Fp32);
        Console.WriteLine($"library GEMM on this device: {probe.DeviceNetwork!.Gemm.Name}");
        probe.DeviceNetwork.Dispose();
        Report(resultPrefix, "training", train);
        Report(resultPrefix, "inference", predict);
    }

    // The smallest measured batch from which the library path wins at every larger measured batch.
    private static void Report(string resultPrefix, string what, List<(int Batch, bool LibraryWins)> results)
    {
        int? crossover = null;
        for (var i = results.Count - 1; i >= 0 && results[i].LibraryWins; i--) crossover = results[i].Batch;
        Console.WriteLine(crossover is { } rows
            ? $"{resultPrefix} ({what}): library GEMM from a batch of {rows:N0} (DSLNET_GEMM_CROSSOVER_ROWS={rows})"
            : $"{resultPrefix} ({what}): the fused or direct kernels win at the largest measured batch; keep the library path off");
        Console.WriteLine(FormattableString.Invariant($"RESULT dslnet {resultPrefix}-{what} fp32 0 {crossover ?? -1}"));
    }
}
