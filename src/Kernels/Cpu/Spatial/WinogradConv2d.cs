using System.Runtime.CompilerServices;
using static DslNet.Kernels.Cpu.Spatial.WinogradTransforms;

namespace DslNet.Kernels.Cpu.Spatial;

/// <summary>
/// Stride-1 3×3 convolutions by Winograd's F(2×2, 3×3) (<see cref="WinogradTransforms"/>): per band of tiles, the input
/// tiles are transformed, each of the sixteen points is one GEMM (tiles × C_in · C_in × C_out, through the packed GEMM
/// with the kernels packed once per call) and the products are transformed back, 2.25× fewer multiply-adds than im2col.
/// The input gradient is the same algorithm on the output gradient with the flipped kernel; the weight gradient sums
/// each point's (A dY Aᵀ)ᵀ·(Bᵀ d B) over the tiles (one GEMM per point) and maps it back with Gᵀ·G.
/// Numerics: the sums are those of a convolution regrouped through the transforms, so the results differ from a
/// direct sum in the last bits (about 1e-6 relative at C_in = 32; the tests hold them to the naive sum and to im2col).
/// </summary>
internal static unsafe class WinogradConv2d
{
    // Output pixels whose weight-gradient products a task sums in float before adding them to its thread's double sums.
    private const int WeightGradientTaskPixels = 1024;

    public static void Forward<TEpilogue>(float* x, float* w, float* pre, in Conv2dGeometry g, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue, IRowOffset<TEpilogue>
    {
        var tiles = WinogradTiles.Forward(g);
        Convolve(x, PackKernels(w, g, flipped: false), pre, tiles, epilogue, g.MultiplyAdds);
    }

    /// <summary>inputGradient = the correlation of the output gradient, padded by 2 − padding, with the flipped kernels
    /// ([C_in, C_out] per tap). Overwrites.</summary>
    public static void BackwardInput(float* dy, float* w, float* dx, in Conv2dGeometry g)
    {
        var tiles = WinogradTiles.InputGradient(g);
        // The input gradient has nothing to apply after the GEMMs.
        var nothing = new ConvEpilogue<Identity>(null, null, g.InChannels, 0, default);
        Convolve(dy, PackKernels(w, g, flipped: true), dx, tiles, nothing, g.MultiplyAdds);
    }

    public static void BackwardWeights(float* dy, float* x, float* dw, float* db, in Conv2dGeometry g)
    {
        var tiles = WinogradTiles.Forward(g);
        int threadCount = Conv2d.Threads(int.MaxValue, g.MultiplyAdds);
        int balanced = (tiles.Bands + threadCount * 4 - 1) / (threadCount * 4);
        int bandTiles = tiles.BandTileRows * tiles.TilesWide;
        int bandFloats = Points * bandTiles * (g.InChannels + g.OutChannels);
        int bandsThatFit = Math.Min(WeightGradientTaskPixels / (4 * bandTiles), WinogradTiles.WorkingSetFloats / bandFloats);
        int bandsPerTask = Math.Max(1, Math.Min(bandsThatFit, balanced));
        int tasks = (tiles.Bands + bandsPerTask - 1) / bandsPerTask;
        int threads = Conv2d.Threads(tasks, g.MultiplyAdds);
        long productLength = (long)Points * g.InChannels * g.OutChannels;
        int stride = checked((int)productLength + (db == null ? 0 : g.OutChannels));
        double* partials = SpatialScratch.Partials((long)threads * stride);
        new Span<double>(partials, threads * stride).Clear();
        var job = new WeightGradientJob
        {
            Dy = dy, X = x, Partials = partials, Stride = stride, Tiles = tiles, BandsPerTask = bandsPerTask, TileCapacity = bandsPerTask * bandTiles,
            Transposed = Conv2d.TransposedWeightGradient(g.InChannels, g.OutChannels), SumsBias = db != null,
        };
        Conv2d.RunOn(&WeightGradientJob.RunTask, Unsafe.AsPointer(ref job), tasks, threads);
        Conv2d.SumThreadPartials(partials, threads, stride);

        // The summed point products as du[ξ][C_out][C_in] (or [C_in][C_out]): back to each 3×3 kernel.
        for (int co = 0; co < g.OutChannels; co++)
        {
            for (int ci = 0; ci < g.InChannels; ci++)
            {
                long offset = job.Transposed ? (long)ci * g.OutChannels + co : (long)co * g.InChannels + ci;
                KernelGradient(partials + offset, (long)g.InChannels * g.OutChannels, dw + ((long)co * g.InChannels + ci) * 9);
            }
        }

        for (int c = 0; db != null && c < g.OutChannels; c++)
        {
            db[c] = (float)partials[productLength + c];
        }
    }

    private static void Convolve<TEpilogue>(float* input, float* packedKernels, float* output, in WinogradTiles tiles, TEpilogue epilogue, long multiplyAdds)
        where TEpilogue : struct, IGemmEpilogue, IRowOffset<TEpilogue>
    {
        var job = new ConvolveJob<TEpilogue>
        {
            Input = input, PackedKernels = packedKernels, Output = output, Tiles = tiles, Epilogue = epilogue,
            PackedPointLength = Gemm.PackedBLength(tiles.OutChannels, tiles.InChannels),
        };
        Conv2d.Run(&ConvolveJob<TEpilogue>.RunTask, Unsafe.AsPointer(ref job), tiles.Bands, multiplyAdds);
    }

    /// <summary>The transformed kernels U[ξ] as GEMM B panels (k = the correlation's input channels, n = its output
    /// channels), point after point; for the input gradient flipped, with C_out as the input and C_in as the output.</summary>
    private static float* PackKernels(float* w, in Conv2dGeometry g, bool flipped)
    {
        int inputs = flipped ? g.OutChannels : g.InChannels, outputs = flipped ? g.InChannels : g.OutChannels;
        long pointLength = (long)inputs * outputs;
        float* transformed = SpatialScratch.Weights(Points * pointLength);
        Span<double> u = stackalloc double[Points];
        for (int co = 0; co < g.OutChannels; co++)
        {
            for (int ci = 0; ci < g.InChannels; ci++)
            {
                Kernel(w + ((long)co * g.InChannels + ci) * 9, flipped, u);
                // Stored as Bᵀ: [output][input] per point.
                long offset = flipped ? (long)ci * inputs + co : (long)co * inputs + ci;
                for (int point = 0; point < Points; point++)
                {
                    transformed[point * pointLength + offset] = (float)u[point];
                }
            }
        }

        long packedPointLength = Gemm.PackedBLength(outputs, inputs);
        float* packed = SpatialScratch.PackedWeights(Points * packedPointLength);
        for (int point = 0; point < Points; point++)
        {
            Gemm.PackB(transformed + point * pointLength, 1, inputs, outputs, inputs, packed + point * packedPointLength);
        }

        return packed;
    }

    /// <summary>The input tiles of a band into v ([ξ][tiles][C_in], points <paramref name="pointStride"/> apart).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformInputs(float* input, in WinogradTiles s, int image, int firstTileRow, int tileCount, float* v, long pointStride,
        float** pixels, float* zeros)
    {
        float* imageInput = input + (long)image * s.Height * s.Width * s.InChannels;
        for (int t = 0; t < tileCount; t++)
        {
            s.InputPixels(imageInput, firstTileRow + t / s.TilesWide, t % s.TilesWide, zeros, pixels);
            Input(pixels, s.InChannels, v + (long)t * s.InChannels, pointStride);
        }
    }

    private static void ClearTail(float* matrices, long pointStride, long used)
    {
        for (int point = 0; point < Points && used < pointStride; point++)
        {
            new Span<float>(matrices + point * pointStride + used, checked((int)(pointStride - used))).Clear();
        }
    }

    private struct ConvolveJob<TEpilogue>
        where TEpilogue : struct, IGemmEpilogue, IRowOffset<TEpilogue>
    {
        public float* Input, PackedKernels, Output;
        public WinogradTiles Tiles;
        public TEpilogue Epilogue;
        public long PackedPointLength;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void RunTask(void* context, int band, int thread)
        {
            ref var job = ref Unsafe.AsRef<ConvolveJob<TEpilogue>>(context);
            ref readonly var s = ref job.Tiles;
            var (image, firstTileRow, tileRows) = s.Band(band);
            int tileCount = tileRows * s.TilesWide;
            float* v = SpatialScratch.Columns(Points * (s.InputPointStride + s.OutputPointStride));
            float* m = v + Points * s.InputPointStride;
            float** pixels = stackalloc float*[Points];
            TransformInputs(job.Input, s, image, firstTileRow, tileCount, v, s.InputPointStride, pixels, SpatialScratch.Zeros(s.InChannels));
            ClearTail(v, s.InputPointStride, (long)tileCount * s.InChannels);

            var none = default(NoEpilogue);
            for (int point = 0; point < Points; point++)
            {
                Gemm.RunPacked(v + point * s.InputPointStride, s.InChannels, 1, job.PackedKernels + point * job.PackedPointLength,
                    m + point * s.OutputPointStride, s.BandTileCapacity, s.OutChannels, s.InChannels, ref none);
            }

            float* imageOutput = job.Output + (long)image * s.OutHeight * s.OutWidth * s.OutChannels;
            for (int t = 0; t < tileCount; t++)
            {
                s.OutputPixels(imageOutput, firstTileRow + t / s.TilesWide, t % s.TilesWide, null, pixels);
                Output(m + (long)t * s.OutChannels, s.OutputPointStride, s.OutChannels, pixels);
            }

            // The band's output rows are adjacent pixels: the epilogue sees them as one block of rows.
            int firstRow = 2 * firstTileRow, rows = Math.Min(2 * tileRows, s.OutHeight - firstRow);
            int firstPixel = (image * s.OutHeight + firstRow) * s.OutWidth;
            var epilogue = job.Epilogue.At(firstPixel);
            epilogue.Apply(job.Output + (long)firstPixel * s.OutChannels, s.OutChannels, 0, 0, rows * s.OutWidth, s.OutChannels);
        }
    }

    private struct WeightGradientJob
    {
        public float* Dy, X;
        public double* Partials;
        public int Stride, BandsPerTask, TileCapacity;
        public bool Transposed, SumsBias;
        public WinogradTiles Tiles;

        // The task's bands' tiles one after another ([ξ][tiles][C] for x and dy), then one GEMM per point over all of them.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void RunTask(void* context, int task, int thread)
        {
            ref var job = ref Unsafe.AsRef<WeightGradientJob>(context);
            ref readonly var s = ref job.Tiles;
            int cin = s.InChannels, cout = s.OutChannels;
            long productLength = (long)Points * cin * cout, inputStride = (long)job.TileCapacity * cin, gradientStride = (long)job.TileCapacity * cout;
            float* product = SpatialScratch.Columns(productLength + 16 + Points * (inputStride + gradientStride));
            float* v = product + ((productLength + 15) & ~15L);
            float* w = v + Points * inputStride;
            float** pixels = stackalloc float*[Points];
            float* zeros = SpatialScratch.Zeros(Math.Max(cin, cout));
            double* partial = job.Partials + (long)thread * job.Stride;
            int firstBand = task * job.BandsPerTask, endBand = Math.Min(firstBand + job.BandsPerTask, s.Bands), tileCount = 0;
            for (int band = firstBand; band < endBand; band++)
            {
                var (image, firstTileRow, tileRows) = s.Band(band);
                int bandTiles = tileRows * s.TilesWide;
                TransformInputs(job.X, s, image, firstTileRow, bandTiles, v + (long)tileCount * cin, inputStride, pixels, zeros);
                float* imageDy = job.Dy + (long)image * s.OutHeight * s.OutWidth * cout;
                for (int t = 0; t < bandTiles; t++)
                {
                    s.OutputPixels(imageDy, firstTileRow + t / s.TilesWide, t % s.TilesWide, zeros, pixels);
                    OutputGradient(pixels, cout, w + (long)(tileCount + t) * cout, gradientStride);
                }

                tileCount += bandTiles;
                if (job.SumsBias)
                {
                    int firstRow = 2 * firstTileRow, rows = Math.Min(2 * tileRows, s.OutHeight - firstRow);
                    Reductions.AccumulateRows(partial + productLength, imageDy + (long)firstRow * s.OutWidth * cout, rows * s.OutWidth, cout);
                }
            }

            var none = default(NoEpilogue);
            for (int point = 0; point < Points; point++)
            {
                float* pv = v + point * inputStride, pw = w + point * gradientStride, pointProduct = product + point * (long)cin * cout;
                if (job.Transposed)
                {
                    // du[ξ]ᵀ [C_in, C_out] = vᵀ·w: C_in as the GEMM's rows.
                    Gemm.Run(pv, 1, cin, pw, cout, 1, pointProduct, cin, cout, tileCount, ref none);
                }
                else
                {
                    // du[ξ] [C_out, C_in] = wᵀ·v.
                    Gemm.Run(pw, 1, cout, pv, cin, 1, pointProduct, cout, cin, tileCount, ref none);
                }
            }

            Reductions.AccumulateRow(partial, product, checked((int)productLength));
        }
    }
}
