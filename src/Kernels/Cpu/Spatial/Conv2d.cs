using System.Runtime.CompilerServices;

namespace DslNet.Kernels.Cpu.Spatial;

/// <summary>
/// Conv2d on channels-last (NHWC) activations with PyTorch's weight layout [C_out, C_in/groups, kH, kW].
/// groups = 1 runs as im2col chunks into the packed GEMM (pixels × patch · patch × C_out), one chunk per task so the
/// chunk stays in L2 and never exists whole; 1×1 stride-1 convolutions use the input rows themselves; stride-1 3×3
/// convolutions with 16 or more channels run Winograd's F(2×2, 3×3) (see <see cref="WinogradConv2d"/>; training
/// passes unless <see cref="Conv2dGeometry.WinogradTraining"/> is off).
/// groups &gt; 1 (depthwise included) runs as a direct convolution vectorized over channels (see <see cref="GroupedConv2d"/>).
/// </summary>
public static unsafe class Conv2d
{
    // Below this many multiply-adds a fork/join costs more than the second core gains.
    private const long ParallelThreshold = 1L << 18;

    // An im2col chunk of about 256 KB: with the packed weights it stays in L2 between the gather and the GEMM.
    private const int ChunkFloats = 64 * 1024;

    // Pixels whose weight-gradient products a task sums in float before adding them to its thread's double sums.
    private const int WeightGradientTaskRows = 1024;

    // Chunk rows are a multiple of both micro-tiles' row counts (6 on AVX2, 8 on AVX-512): no chunk ends in a partial tile.
    private const int TileRows = 24;

    /// <summary>preActivation = conv(input, weight) + bias (NHWC [N, OH, OW, C_out]); output = activation(preActivation)
    /// when given. Empty bias: none. Empty output: only preActivation is written (a normalization follows).</summary>
    public static void Forward<TAct>(ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        Span<float> preActivation, Span<float> output, in Conv2dGeometry geometry, TAct activation)
        where TAct : struct, IActivation
    {
        var g = geometry;
        Gemm.CheckShape(input.Length, g.InputLength, nameof(input));
        Gemm.CheckShape(weight.Length, g.WeightLength, nameof(weight));
        Gemm.CheckShape(preActivation.Length, g.OutputLength, nameof(preActivation));
        CheckOptional(bias.Length, g.OutChannels, nameof(bias));
        CheckOptional(output.Length, g.OutputLength, nameof(output));
        fixed (float* x = input)
        fixed (float* w = weight)
        fixed (float* b = bias)
        fixed (float* pre = preActivation)
        fixed (float* y = output)
        {
            var epilogue = new ConvEpilogue<TAct>(bias.IsEmpty ? null : b, output.IsEmpty ? null : y, g.OutChannels, 0, activation);
            ForwardCore(x, w, pre, g, epilogue, training: true);
        }
    }

    /// <summary>Inference: output = activation((conv(input, weight) + bias)·scale + shift) per channel, eval-mode BatchNorm2d
    /// folded in (scale/shift from <see cref="BatchNorm.InferenceAffine"/>); empty bias or scale/shift: not applied.</summary>
    public static void ForwardInference<TAct>(ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> output, in Conv2dGeometry geometry, TAct activation)
        where TAct : struct, IActivation
    {
        var g = geometry;
        Gemm.CheckShape(input.Length, g.InputLength, nameof(input));
        Gemm.CheckShape(weight.Length, g.WeightLength, nameof(weight));
        Gemm.CheckShape(output.Length, g.OutputLength, nameof(output));
        CheckOptional(bias.Length, g.OutChannels, nameof(bias));
        if (scale.IsEmpty != shift.IsEmpty)
        {
            throw new ArgumentException("scale and shift must both be given or both be empty.", nameof(shift));
        }

        CheckOptional(scale.Length, g.OutChannels, nameof(scale));
        CheckOptional(shift.Length, g.OutChannels, nameof(shift));
        fixed (float* x = input)
        fixed (float* w = weight)
        fixed (float* b = bias)
        fixed (float* s = scale)
        fixed (float* h = shift)
        fixed (float* y = output)
        {
            var epilogue = new ConvInferenceEpilogue<TAct>(
                new InferenceEpilogue<TAct>(bias.IsEmpty ? null : b, scale.IsEmpty ? null : s, shift.IsEmpty ? null : h, activation));
            ForwardCore(x, w, y, g, epilogue, training: false);
        }
    }

    private static void ForwardCore<TEpilogue>(float* x, float* w, float* pre, in Conv2dGeometry g, TEpilogue epilogue, bool training)
        where TEpilogue : struct, IGemmEpilogue, IRowOffset<TEpilogue>
    {
        if (g.RunsDirect)
        {
            GroupedConv2d.Forward(x, w, pre, g, epilogue);
            return;
        }

        if (g.RunsWinogradFor(training))
        {
            WinogradConv2d.Forward(x, w, pre, g, epilogue);
            return;
        }

        if (g.IsPointwise)
        {
            // The input rows are the im2col matrix and the weight [C_out, C_in] is already Bᵀ: one whole GEMM.
            Gemm.Run(x, g.InChannels, 1, w, 1, g.InChannels, pre, g.OutputPixels, g.OutChannels, g.InChannels, ref epilogue);
            return;
        }

        // Bᵀ = the weights as [C_out, patch]: packed into GEMM panels once, not once per chunk.
        float* packed = SpatialScratch.PackedWeights(Gemm.PackedBLength(g.OutChannels, g.PatchLength));
        Gemm.PackB(ReorderForGemm(w, g), 1, g.PatchLength, g.OutChannels, g.PatchLength, packed);
        var job = new ForwardJob<TEpilogue> { X = x, PackedWeights = packed, Pre = pre, Geometry = g, Epilogue = epilogue, Chunk = ChunkRows(g.PatchLength) };
        int tasks = (g.OutputPixels + job.Chunk - 1) / job.Chunk;
        Run(&ForwardJob<TEpilogue>.RunTask, Unsafe.AsPointer(ref job), tasks, g.MultiplyAdds);
    }

    /// <summary>inputGradient (NHWC [N, H, W, C_in]) = the input gradient of the convolution for gradPre
    /// (NHWC [N, OH, OW, C_out], the gradient of the pre-activation). Overwrites.</summary>
    public static void BackwardInput(ReadOnlySpan<float> gradPre, ReadOnlySpan<float> weight, Span<float> inputGradient, in Conv2dGeometry geometry)
    {
        var g = geometry;
        Gemm.CheckShape(gradPre.Length, g.OutputLength, nameof(gradPre));
        Gemm.CheckShape(weight.Length, g.WeightLength, nameof(weight));
        Gemm.CheckShape(inputGradient.Length, g.InputLength, nameof(inputGradient));
        fixed (float* dy = gradPre)
        fixed (float* w = weight)
        fixed (float* dx = inputGradient)
        {
            if (g.RunsDirect)
            {
                GroupedConv2d.BackwardInput(dy, w, dx, g);
                return;
            }

            if (g.RunsWinogradFor(training: true))
            {
                WinogradConv2d.BackwardInput(dy, w, dx, g);
                return;
            }

            if (g.IsPointwise)
            {
                var none = default(NoEpilogue);
                Gemm.Run(dy, g.OutChannels, 1, w, g.InChannels, 1, dx, g.OutputPixels, g.InChannels, g.OutChannels, ref none);
                return;
            }

            // One task per image: the col2im scatter of an image's chunks then never races with another task.
            float* packed = SpatialScratch.PackedWeights(Gemm.PackedBLength(g.PatchLength, g.OutChannels));
            Gemm.PackB(ReorderForGemm(w, g), g.PatchLength, 1, g.PatchLength, g.OutChannels, packed);
            var job = new BackwardInputJob { Dy = dy, PackedWeights = packed, Dx = dx, Geometry = g, Chunk = ChunkRows(g.PatchLength) };
            Run(&BackwardInputJob.RunTask, Unsafe.AsPointer(ref job), g.Batch, g.MultiplyAdds);
        }
    }

    /// <summary>weightGradient ([C_out, C_in/groups, kH, kW]) and biasGradient ([C_out], may be empty) from gradPre and the
    /// forward input. Overwrites. Each task sums up to <see cref="WeightGradientTaskRows"/> pixels in float; the tasks' sums
    /// are added in double.</summary>
    public static void BackwardWeights(ReadOnlySpan<float> gradPre, ReadOnlySpan<float> input, Span<float> weightGradient,
        Span<float> biasGradient, in Conv2dGeometry geometry)
    {
        var g = geometry;
        Gemm.CheckShape(gradPre.Length, g.OutputLength, nameof(gradPre));
        Gemm.CheckShape(input.Length, g.InputLength, nameof(input));
        Gemm.CheckShape(weightGradient.Length, g.WeightLength, nameof(weightGradient));
        CheckOptional(biasGradient.Length, g.OutChannels, nameof(biasGradient));
        fixed (float* dy = gradPre)
        fixed (float* x = input)
        fixed (float* dw = weightGradient)
        fixed (float* db = biasGradient)
        {
            if (g.RunsWinogradFor(training: true))
            {
                WinogradConv2d.BackwardWeights(dy, x, dw, biasGradient.IsEmpty ? null : db, g);
                return;
            }

            // A task sums several im2col chunks in float (the GEMM adds each chunk's product to the last), then adds
            // that to its thread's double sums once: about WeightGradientTaskRows pixels per addition, as a GEMM's own
            // k-block, instead of one pass over the whole weight gradient per chunk.
            int chunk = ChunkRows(Math.Max(g.PatchLength, g.OutChannels));
            int threadCount = Threads(int.MaxValue, g.MultiplyAdds);
            int balanced = (g.OutputPixels + threadCount * 4 - 1) / (threadCount * 4);
            int chunksPerTask = Math.Max(1, Math.Min(WeightGradientTaskRows, balanced) / chunk);
            int tasks = (g.OutputPixels + chunk * chunksPerTask - 1) / (chunk * chunksPerTask);
            int threads = Threads(tasks, g.MultiplyAdds);
            // The bias sums are a pass over dy of their own: only when a bias gradient is asked for.
            int stride = g.WeightLength + (biasGradient.IsEmpty ? 0 : g.OutChannels);
            double* partials = SpatialScratch.Partials((long)threads * stride);
            new Span<double>(partials, threads * stride).Clear();
            var job = new BackwardWeightsJob
            {
                Dy = dy, X = x, Partials = partials, Stride = stride, Geometry = g, Chunk = chunk, ChunksPerTask = chunksPerTask,
                Transposed = g.GathersTransposed || TransposedWeightGradient(g.PatchLength, g.OutChannels), SumsBias = !biasGradient.IsEmpty,
            };
            RunOn(&BackwardWeightsJob.RunTask, Unsafe.AsPointer(ref job), tasks, threads);
            SumThreadPartials(partials, threads, stride);

            if (g.RunsDirect)
            {
                GroupedConv2d.StoreWeightGradient(partials, dw, g);
            }
            else
            {
                StoreGemmWeightGradient(partials, dw, g, job.Transposed);
            }

            if (!biasGradient.IsEmpty)
            {
                for (int c = 0; c < g.OutChannels; c++)
                {
                    db[c] = (float)partials[g.WeightLength + c];
                }
            }
        }
    }

    /// <summary>Rows per im2col chunk: about <see cref="ChunkFloats"/> floats, a multiple of <see cref="TileRows"/>.</summary>
    private static int ChunkRows(int rowLength) => Math.Clamp(ChunkFloats / rowLength / TileRows * TileRows, 2 * TileRows, 2040);

    internal static int Threads(int tasks, long multiplyAdds) =>
        multiplyAdds < ParallelThreshold ? 1 : Math.Min(CpuThreads.Count, tasks);

    internal static void Run(delegate*<void*, int, int, void> body, void* job, int tasks, long multiplyAdds) =>
        RunOn(body, job, tasks, Threads(tasks, multiplyAdds));

    internal static void RunOn(delegate*<void*, int, int, void> body, void* job, int tasks, int threads)
    {
        if (threads <= 1)
        {
            for (int task = 0; task < tasks; task++)
            {
                body(job, task, 0);
            }

            return;
        }

        WorkerPool.Run(body, job, tasks, threads);
    }

    /// <summary>partials[0, i] += partials[t, i] for every thread t after the first (rows of <paramref name="stride"/> doubles).</summary>
    internal static void SumThreadPartials(double* partials, int threads, int stride)
    {
        for (int t = 1; t < threads; t++)
        {
            double* other = partials + (long)t * stride;
            for (int i = 0; i < stride; i++)
            {
                partials[i] += other[i];
            }
        }
    }

    /// <summary>[C_out, C_in, kH, kW] → [C_out, kH, kW, C_in], the im2col column order, in the caller's scratch.</summary>
    private static float* ReorderForGemm(float* w, in Conv2dGeometry g)
    {
        int cin = g.InChannels, taps = g.Taps, k = g.PatchLength;
        float* packed = SpatialScratch.Weights(g.WeightLength);
        for (int co = 0; co < g.OutChannels; co++)
        {
            for (int c = 0; c < cin; c++)
            {
                for (int tap = 0; tap < taps; tap++)
                {
                    packed[(long)co * k + tap * cin + c] = w[((long)co * cin + c) * taps + tap];
                }
            }
        }

        return packed;
    }

    // The sums are dW as [C_out, patch] (patch = (kh, kw, c_in)), or its transpose [patch, C_out].
    private static void StoreGemmWeightGradient(double* sums, float* dw, in Conv2dGeometry g, bool transposed)
    {
        int cin = g.InChannels, taps = g.Taps, k = g.PatchLength, cout = g.OutChannels;
        for (int co = 0; co < cout; co++)
        {
            for (int c = 0; c < cin; c++)
            {
                for (int tap = 0; tap < taps; tap++)
                {
                    int p = tap * cin + c;
                    dw[((long)co * cin + c) * taps + tap] = (float)sums[transposed ? (long)p * cout + co : (long)co * k + p];
                }
            }
        }
    }

    /// <summary>Whether dWᵀ = im2colᵀ·dy (patch as the GEMM's rows) wastes less of the register tiles than dW = dyᵀ·im2col
    /// (C_out as the rows): a first layer's patch of 9, or C_out = 32 on the 6-row AVX2 tile, are not whole tiles.</summary>
    internal static bool TransposedWeightGradient(int patch, int outChannels)
    {
        static long Padded(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
        var (mr, nr) = Gemm.Tile;
        return Padded(patch, mr) * Padded(outChannels, nr) < Padded(outChannels, mr) * Padded(patch, nr);
    }

    private static void CheckOptional(int length, long required, string name)
    {
        if (length != 0)
        {
            Gemm.CheckShape(length, required, name);
        }
    }

    private struct ForwardJob<TEpilogue>
        where TEpilogue : struct, IGemmEpilogue, IRowOffset<TEpilogue>
    {
        public float* X, PackedWeights, Pre;
        public Conv2dGeometry Geometry;
        public TEpilogue Epilogue;
        public int Chunk;

        public static void RunTask(void* context, int task, int thread)
        {
            ref var job = ref Unsafe.AsRef<ForwardJob<TEpilogue>>(context);
            ref readonly var g = ref job.Geometry;
            int first = task * job.Chunk, rows = Math.Min(job.Chunk, g.OutputPixels - first), k = g.PatchLength;
            float* columns = SpatialScratch.Columns((long)rows * k + Im2Col.GatherSlack);
            var epilogue = job.Epilogue.At(first);
            float* pre = job.Pre + (long)first * g.OutChannels;
            if (g.GathersTransposed)
            {
                // columnsᵀ [patch, rows]: the GEMM reads its A transposed in place.
                Im2Col.GatherTransposed(job.X, g, first, rows, columns, rowStride: rows);
                Gemm.RunPacked(columns, 1, rows, job.PackedWeights, pre, rows, g.OutChannels, k, ref epilogue);
                return;
            }

            Im2Col.Gather(job.X, g, first, rows, columns);
            Gemm.RunPacked(columns, k, 1, job.PackedWeights, pre, rows, g.OutChannels, k, ref epilogue);
        }
    }

    private struct BackwardInputJob
    {
        public float* Dy, PackedWeights, Dx;
        public Conv2dGeometry Geometry;
        public int Chunk;

        public static void RunTask(void* context, int image, int thread)
        {
            ref var job = ref Unsafe.AsRef<BackwardInputJob>(context);
            ref readonly var g = ref job.Geometry;
            int k = g.PatchLength, pixels = g.OutHeight * g.OutWidth;
            long imageLength = (long)g.Height * g.Width * g.InChannels;
            new Span<float>(job.Dx + image * imageLength, checked((int)imageLength)).Clear();
            float* columns = SpatialScratch.Columns((long)Math.Min(job.Chunk, pixels) * k);
            var none = default(NoEpilogue);
            for (int start = 0; start < pixels; start += job.Chunk)
            {
                int first = image * pixels + start, rows = Math.Min(job.Chunk, pixels - start);
                Gemm.RunPacked(job.Dy + (long)first * g.OutChannels, g.OutChannels, 1, job.PackedWeights, columns, rows, k, g.OutChannels, ref none);
                Im2Col.ScatterAdd(columns, g, first, rows, job.Dx);
            }
        }
    }

    private struct BackwardWeightsJob
    {
        public float* Dy, X;
        public double* Partials;
        public int Stride, Chunk, ChunksPerTask;
        public bool Transposed, SumsBias;
        public Conv2dGeometry Geometry;

        public static void RunTask(void* context, int task, int thread)
        {
            ref var job = ref Unsafe.AsRef<BackwardWeightsJob>(context);
            ref readonly var g = ref job.Geometry;
            int first = task * job.Chunk * job.ChunksPerTask;
            int rows = Math.Min(job.Chunk * job.ChunksPerTask, g.OutputPixels - first);
            double* partial = job.Partials + (long)thread * job.Stride;
            float* dy = job.Dy + (long)first * g.OutChannels;
            if (g.RunsDirect)
            {
                for (int start = 0; start < rows; start += job.Chunk)
                {
                    int count = Math.Min(job.Chunk, rows - start);
                    GroupedConv2d.AccumulateWeightGradient(dy + (long)start * g.OutChannels, job.X, partial, g, first + start, count);
                }
            }
            else
            {
                job.AccumulateGemmWeightGradient(dy, partial, first, rows);
            }

            if (job.SumsBias)
            {
                Reductions.AccumulateRows(partial + g.WeightLength, dy, rows, g.OutChannels);
            }
        }

        // This task's pixels chunk by chunk: im2col, then the chunk's product added to the task's float sums by the GEMM.
        private readonly void AccumulateGemmWeightGradient(float* dy, double* partial, int first, int rows)
        {
            ref readonly var g = ref Geometry;
            int k = g.PatchLength, cout = g.OutChannels, mr = Gemm.Tile.Mr;

            // A transposed gather is [patch, pixels], padded with zero rows to whole micro-rows so the GEMM reads it in
            // place as its A and packs none of it (a 3×3 patch: 9 of 12 rows); the padding's products are not summed.
            int patchRows = g.GathersTransposed ? (k + mr - 1) / mr * mr : k;
            long productLength = (long)cout * patchRows;
            float* product = SpatialScratch.Columns(productLength + 16 + (long)Math.Min(Chunk, rows) * patchRows + Im2Col.GatherSlack);
            float* columns = product + ((productLength + 15) & ~15L);
            var none = default(NoEpilogue);
            for (int start = 0; start < rows; start += Chunk)
            {
                int count = Math.Min(Chunk, rows - start);
                float* chunkDy = dy + (long)start * cout;
                float* chunkColumns = columns;
                if (g.GathersTransposed)
                {
                    Im2Col.GatherTransposed(X, g, first + start, count, columns, rowStride: count);
                    new Span<float>(columns + (long)k * count, (patchRows - k) * count).Clear();
                    Gemm.Run(columns, count, 1, chunkDy, cout, 1, product, patchRows, cout, count, ref none, accumulate: start > 0);
                    continue;
                }

                if (g.IsPointwise)
                {
                    chunkColumns = X + (long)(first + start) * g.InChannels;
                }
                else
                {
                    Im2Col.Gather(X, g, first + start, count, columns);
                }

                if (Transposed)
                {
                    // dWᵀ[patch, C_out] = columnsᵀ·dy: the patch as the GEMM's rows, C_out as its panels.
                    Gemm.Run(chunkColumns, 1, k, chunkDy, cout, 1, product, k, cout, count, ref none, accumulate: start > 0);
                }
                else
                {
                    // dW[C_out, patch] = dyᵀ·columns.
                    Gemm.Run(chunkDy, 1, cout, chunkColumns, k, 1, product, cout, k, count, ref none, accumulate: start > 0);
                }
            }

            Reductions.AccumulateRow(partial, product, k * cout);
        }
    }
}

/// <summary>An epilogue that a chunk's GEMM can be handed with its rows shifted to the chunk's place in the whole output.</summary>
internal interface IRowOffset<TSelf>
{
    TSelf At(int firstRow);
}

/// <summary>Adds the bias to a finished tile of the pre-activation and writes activation(pre) to the output; rows are
/// offset by <c>rowOffset</c> so a chunk's GEMM addresses the whole output.</summary>
internal readonly unsafe struct ConvEpilogue<TAct>(float* bias, float* output, int channels, int rowOffset, TAct activation)
    : IGemmEpilogue, IRowOffset<ConvEpilogue<TAct>>
    where TAct : struct, IActivation
{
    public ConvEpilogue<TAct> At(int firstRow) => new(bias, output, channels, firstRow, activation);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Apply(float* tile, int ldc, int row, int column, int rows, int columns)
    {
        if (bias == null && output == null)
        {
            // A normalization follows: the pre-activation is all this convolution writes.
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            float* pre = tile + (long)r * ldc;
            if (bias != null)
            {
                Elementwise.Add(pre, bias + column, columns);
            }

            if (output != null)
            {
                Elementwise.Activate(pre, output + (long)(rowOffset + row + r) * channels + column, columns, activation);
            }
        }
    }
}

/// <summary>Dense's inference epilogue (bias, folded BatchNorm, activation, in place per row): a chunk needs no offset.</summary>
internal readonly unsafe struct ConvInferenceEpilogue<TAct>(InferenceEpilogue<TAct> inner) : IGemmEpilogue, IRowOffset<ConvInferenceEpilogue<TAct>>
    where TAct : struct, IActivation
{
    public ConvInferenceEpilogue<TAct> At(int firstRow) => this;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Apply(float* tile, int ldc, int row, int column, int rows, int columns) => inner.Apply(tile, ldc, row, column, rows, columns);
}
