using DslNet;
using DslNet.Devices;

namespace GpuBench;

/// <summary>
/// Measures the GEMM crossover the planner guesses (GemmPlanner.CrossoverRows): StreamRec training (device-resident
/// AdamW) and inference in fp32 with every eligible GEMM fused (tiled) and with every one through the library GEMM
/// (cuBLAS + epilogue kernel), per batch size; prints the smallest batch from which the library path wins at that size
/// and every larger one, the value to put in DSLNET_GEMM_CROSSOVER_ROWS.
/// </summary>
internal static class Crossover
{
    public static void Run(Device device, int[] batches, bool quick)
    {
        if (device.IsCpu)
        {
            Console.WriteLine("crossover: needs an ILGPU device");
            return;
        }

        Console.WriteLine();
        Console.WriteLine("GEMM crossover, StreamRec fp32 on the device, samples/s (fused tiled kernels vs library GEMM + epilogue kernels)");
        Console.WriteLine($"{"batch",7}  {"train fused",12}  {"train library",14}  {"predict fused",14}  {"predict library",16}");
        var train = new List<(int Batch, bool LibraryWins)>();
        var predict = new List<(int Batch, bool LibraryWins)>();
        foreach (var batch in batches)
        {
            var trainFused = Workloads.Train(device, batch, resident: true, quick, crossover: DeviceNetwork.NeverRows);
            var trainLibrary = Workloads.Train(device, batch, resident: true, quick, crossover: 0);
            var predictFused = Workloads.Predict(device, batch, quick, crossover: DeviceNetwork.NeverRows);
            var predictLibrary = Workloads.Predict(device, batch, quick, crossover: 0);
            Console.WriteLine($"{batch,7}  {trainFused,12:N0}  {trainLibrary,14:N0}  {predictFused,14:N0}  {predictLibrary,16:N0}");
            Result.Print("crossover-train-fused", "fp32", batch, trainFused);
            Result.Print("crossover-train-library", "fp32", batch, trainLibrary);
            Result.Print("crossover-predict-fused", "fp32", batch, predictFused);
            Result.Print("crossover-predict-library", "fp32", batch, predictLibrary);
            train.Add((batch, trainLibrary > trainFused));
            predict.Add((batch, predictLibrary > predictFused));
        }

        var probe = new DslNet.Samples.StreamRec.StreamRecMlp(0, device);
        Console.WriteLine($"library GEMM on this device: {probe.DeviceNetwork!.Gemm.Name}");
        probe.DeviceNetwork.Dispose();
        Report("training", train);
        Report("inference", predict);
    }

    // The smallest measured batch from which the library path wins at every larger measured batch.
    private static void Report(string what, List<(int Batch, bool LibraryWins)> results)
    {
        int? crossover = null;
        for (var i = results.Count - 1; i >= 0 && results[i].LibraryWins; i--) crossover = results[i].Batch;
        Console.WriteLine(crossover is { } rows
            ? $"crossover ({what}): library GEMM from {rows:N0} rows (DSLNET_GEMM_CROSSOVER_ROWS={rows})"
            : $"crossover ({what}): the fused kernels win at the largest measured batch; keep the library path off");
        Console.WriteLine(FormattableString.Invariant($"RESULT dslnet crossover-{what} fp32 0 {crossover ?? -1}"));
    }
}
