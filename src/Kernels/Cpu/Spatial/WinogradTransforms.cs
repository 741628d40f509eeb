using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DslNet.Kernels.Cpu.Spatial;

/// <summary>
/// The transforms of Winograd's F(2×2, 3×3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks",
/// 2015): a 2×2 output tile of a 3×3 correlation is Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A for the 4×4 input tile d, with
/// <code>
/// Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]   Aᵀ = [1 1 1 0; 0 1 −1 −1]
/// </code>
/// The sixteen products of a tile are the sixteen "points" ξ = 4i + j; summed over channels, each point is one GEMM.
/// The activation transforms work on 8 channels at a time (NHWC: a pixel's channels are adjacent), reading each of a
/// tile's pixels through a pointer that is the zero row where the pixel lies outside the image, so border tiles take
/// the same path as interior ones. The weight transforms run once per call, in double.
/// </summary>
internal static unsafe class WinogradTransforms
{
    /// <summary>Points of a transformed tile (4 × 4).</summary>
    public const int Points = 16;

    /// <summary>Channels per step of the activation transforms: the channel counts are multiples of it.</summary>
    public const int Lanes = 8;

    /// <summary>v[ξ·pointStride + c] = (Bᵀ d B)[ξ] for the 4×4 input tile whose pixel (i, j) starts at pixels[4i + j].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Input(float** pixels, int channels, float* v, long pointStride)
    {
        for (int c = 0; c < channels; c += Lanes)
        {
            // Bᵀd row by row (d0 − d2, d1 + d2, d2 − d1, d1 − d3), each row then times B; rows 1 and 2 of d serve all four.
            var d10 = Vector256.Load(pixels[4] + c);
            var d11 = Vector256.Load(pixels[5] + c);
            var d12 = Vector256.Load(pixels[6] + c);
            var d13 = Vector256.Load(pixels[7] + c);
            var d20 = Vector256.Load(pixels[8] + c);
            var d21 = Vector256.Load(pixels[9] + c);
            var d22 = Vector256.Load(pixels[10] + c);
            var d23 = Vector256.Load(pixels[11] + c);
            InputRow(d10 + d20, d11 + d21, d12 + d22, d13 + d23, v + 4 * pointStride + c, pointStride);
            InputRow(d20 - d10, d21 - d11, d22 - d12, d23 - d13, v + 8 * pointStride + c, pointStride);
            InputRow(Vector256.Load(pixels[0] + c) - d20, Vector256.Load(pixels[1] + c) - d21, Vector256.Load(pixels[2] + c) - d22,
                Vector256.Load(pixels[3] + c) - d23, v + c, pointStride);
            InputRow(d10 - Vector256.Load(pixels[12] + c), d11 - Vector256.Load(pixels[13] + c), d12 - Vector256.Load(pixels[14] + c),
                d13 - Vector256.Load(pixels[15] + c), v + 12 * pointStride + c, pointStride);
        }
    }

    /// <summary>The 2×2 output tile Aᵀ m A from m[ξ·pointStride + c]: output pixel (i, j) is written at outputs[2i + j],
    /// unless that pointer is null (the tile hangs over the image's last row or column).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Output(float* m, long pointStride, int channels, float** outputs)
    {
        for (int c = 0; c < channels; c += Lanes)
        {
            // s = Aᵀm (2×4), then s·A.
            float* p = m + c;
            var s00 = Vector256.Load(p) + Vector256.Load(p + 4 * pointStride) + Vector256.Load(p + 8 * pointStride);
            var s01 = Vector256.Load(p + pointStride) + Vector256.Load(p + 5 * pointStride) + Vector256.Load(p + 9 * pointStride);
            var s02 = Vector256.Load(p + 2 * pointStride) + Vector256.Load(p + 6 * pointStride) + Vector256.Load(p + 10 * pointStride);
            var s03 = Vector256.Load(p + 3 * pointStride) + Vector256.Load(p + 7 * pointStride) + Vector256.Load(p + 11 * pointStride);
            var s10 = Vector256.Load(p + 4 * pointStride) - Vector256.Load(p + 8 * pointStride) - Vector256.Load(p + 12 * pointStride);
            var s11 = Vector256.Load(p + 5 * pointStride) - Vector256.Load(p + 9 * pointStride) - Vector256.Load(p + 13 * pointStride);
            var s12 = Vector256.Load(p + 6 * pointStride) - Vector256.Load(p + 10 * pointStride) - Vector256.Load(p + 14 * pointStride);
            var s13 = Vector256.Load(p + 7 * pointStride) - Vector256.Load(p + 11 * pointStride) - Vector256.Load(p + 15 * pointStride);
            Store(s00 + s01 + s02, outputs[0], c);
            Store(s01 - s02 - s03, outputs[1], c);
            Store(s10 + s11 + s12, outputs[2], c);
            Store(s11 - s12 - s13, outputs[3], c);
        }
    }

    /// <summary>The gradient of a tile's products, A dY Aᵀ, into w[ξ·pointStride + c] from the 2×2 output gradient whose
    /// pixel (i, j) starts at gradients[2i + j] (the zero row outside the output): the transpose of <see cref="Output"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OutputGradient(float** gradients, int channels, float* w, long pointStride)
    {
        for (int c = 0; c < channels; c += Lanes)
        {
            var y00 = Vector256.Load(gradients[0] + c);
            var y01 = Vector256.Load(gradients[1] + c);
            var y10 = Vector256.Load(gradients[2] + c);
            var y11 = Vector256.Load(gradients[3] + c);

            // Row i of A·dY is (u_i0, u_i1); times Aᵀ it is (u_i0, u_i0 + u_i1, u_i0 − u_i1, −u_i1).
            OutputGradientRow(y00, y01, w + c, pointStride);
            OutputGradientRow(y00 + y10, y01 + y11, w + 4 * pointStride + c, pointStride);
            OutputGradientRow(y00 - y10, y01 - y11, w + 8 * pointStride + c, pointStride);
            OutputGradientRow(-y10, -y11, w + 12 * pointStride + c, pointStride);
        }
    }

    /// <summary>u[ξ] = (G g Gᵀ)[ξ] for one 3×3 kernel g (g[3·kh + kw], in double), flipped both ways when asked (the
    /// input gradient is the correlation of the output gradient with the flipped kernel).</summary>
    public static void Kernel(float* g, bool flipped, Span<double> u)
    {
        Span<double> t = stackalloc double[12];
        for (int j = 0; j < 3; j++)
        {
            // Column j of G·g.
            double g0 = Tap(g, 0, j, flipped), g1 = Tap(g, 1, j, flipped), g2 = Tap(g, 2, j, flipped);
            t[j] = g0;
            t[3 + j] = 0.5 * (g0 + g1 + g2);
            t[6 + j] = 0.5 * (g0 - g1 + g2);
            t[9 + j] = g2;
        }

        for (int i = 0; i < 4; i++)
        {
            double r0 = t[3 * i], r1 = t[3 * i + 1], r2 = t[3 * i + 2];
            u[4 * i] = r0;
            u[4 * i + 1] = 0.5 * (r0 + r1 + r2);
            u[4 * i + 2] = 0.5 * (r0 - r1 + r2);
            u[4 * i + 3] = r2;
        }
    }

    /// <summary>The kernel gradient Gᵀ du G (3×3, dg[3·kh + kw]) from the gradient of the transformed kernel du[ξ·stride].</summary>
    public static void KernelGradient(double* du, long stride, float* dg)
    {
        Span<double> t = stackalloc double[12];
        for (int j = 0; j < 4; j++)
        {
            // Column j of Gᵀ·du.
            double d0 = du[j * stride], d1 = du[(4 + j) * stride], d2 = du[(8 + j) * stride], d3 = du[(12 + j) * stride];
            t[j] = d0 + 0.5 * (d1 + d2);
            t[4 + j] = 0.5 * (d1 - d2);
            t[8 + j] = d3 + 0.5 * (d1 + d2);
        }

        for (int i = 0; i < 3; i++)
        {
            double r0 = t[4 * i], r1 = t[4 * i + 1], r2 = t[4 * i + 2], r3 = t[4 * i + 3];
            dg[3 * i] = (float)(r0 + 0.5 * (r1 + r2));
            dg[3 * i + 1] = (float)(0.5 * (r1 - r2));
            dg[3 * i + 2] = (float)(r3 + 0.5 * (r1 + r2));
        }
    }

    private static double Tap(float* g, int row, int column, bool flipped) => flipped ? g[3 * (2 - row) + 2 - column] : g[3 * row + column];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> value, float* pixel, int c)
    {
        if (pixel != null)
        {
            value.Store(pixel + c);
        }
    }

    // One row t of Bᵀd times B: (t0 − t2, t1 + t2, t2 − t1, t1 − t3), at four consecutive points.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputRow(Vector256<float> t0, Vector256<float> t1, Vector256<float> t2, Vector256<float> t3, float* row, long pointStride)
    {
        (t0 - t2).Store(row);
        (t1 + t2).Store(row + pointStride);
        (t2 - t1).Store(row + 2 * pointStride);
        (t1 - t3).Store(row + 3 * pointStride);
    }

    // One row u of A·dY times Aᵀ: (u0, u0 + u1, u0 − u1, −u1), at four consecutive points.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputGradientRow(Vector256<float> u0, Vector256<float> u1, float* row, long pointStride)
    {
        u0.Store(row);
        (u0 + u1).Store(row + pointStride);
        (u0 - u1).Store(row + 2 * pointStride);
        (-u1).Store(row + 3 * pointStride);
    }
}
