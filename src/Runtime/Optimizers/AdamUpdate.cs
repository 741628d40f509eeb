using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using DslNet.Kernels.Cpu;

namespace DslNet;

/// <summary>
/// The fused Adam / AdamW pass, shared by <see cref="Adam"/> and <see cref="AdamW"/>, with PyTorch's
/// arithmetic (<c>torch.optim._functional.adam</c>, single-tensor path, no amsgrad):
/// <code>
/// p *= 1 − lr·wd_decoupled;  g += wd_l2·p
/// m = β1·m + (1 − β1)·g;     v = β2·v + (1 − β2)·g²
/// p −= lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
/// </code>
/// Segments that are not decayed run the same loop with the decay factor 1 and the L2 term 0 (both exact), so
/// their arithmetic is PyTorch's for a group with <c>weight_decay=0</c>.
/// </summary>
internal static class AdamUpdate
{
    // Below this many parameters the fork/join costs more than the second core saves; tasks are split at multiples
    // of a cache line's worth of floats so two cores never write the same line.
    private const int ParallelThreshold = 1 << 15;
    private const int Granule = 16;
    private const int TasksPerThread = 2;

    /// <summary>One step over every segment, each with or without its decay, every gradient multiplied by
    /// <paramref name="gradientScale"/> as it is read (1: PyTorch's step; otherwise bit for bit the step after
    /// multiplying the gradients in place, without writing them).</summary>
    public static void Step(
        ParameterSegment[] segments, float[] p, float[] g, float[] m, float[] v, long step,
        double lr, double beta1, double beta2, double eps, double l2WeightDecay, double decoupledWeightDecay, float gradientScale)
    {
        if (g.Length < p.Length || m.Length < p.Length || v.Length < p.Length)
            throw new ArgumentException("The gradient and moment buffers must be as long as the parameters.");
        var job = new StepTasks
        {
            Segments = segments, P = p, G = g, M = m, V = v, GradientScale = gradientScale,
            Coefficients = new Coefficients(step, lr, beta1, beta2, eps, l2WeightDecay, decoupledWeightDecay),
            Tasks = p.Length < ParallelThreshold ? 1 : CpuThreads.Count * TasksPerThread,
        };
        CpuParallel.For(job, job.Tasks);
    }

    /// <summary>Task t of <see cref="Tasks"/> updates one contiguous range of the flat buffers, segment by segment.</summary>
    private struct StepTasks : IParallelTasks
    {
        public ParameterSegment[] Segments;
        public float[] P, G, M, V;
        public Coefficients Coefficients;
        public float GradientScale;
        public int Tasks;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(int task)
        {
            var granules = (P.Length + Granule - 1) / Granule;
            var first = (int)Math.Min(P.Length, (long)granules * task / Tasks * Granule);
            var end = (int)Math.Min(P.Length, (long)granules * (task + 1) / Tasks * Granule);
            foreach (var segment in Segments)
            {
                var start = Math.Max(first, segment.Start);
                var stop = Math.Min(end, segment.Start + segment.Length);
                if (start >= stop) continue;
                var range = new Range(start, stop);
                Pass(P.AsSpan(range), G.AsSpan(range), M.AsSpan(range), V.AsSpan(range), Coefficients, segment.Decayed, GradientScale);
            }
        }
    }

    private readonly struct Coefficients
    {
        public readonly float StepSize, Decay, L2, B1, OneMinusB1, B2, OneMinusB2, Correction2Sqrt, Epsilon;

        public Coefficients(long step, double lr, double beta1, double beta2, double eps, double l2WeightDecay, double decoupledWeightDecay)
        {
            // Scalars in double, as PyTorch computes them in Python floats, then rounded once. The element-wise
            // operations keep PyTorch's order (sqrt(v) / √bc2 + ε, then p − step_size·(m / denom)) so fp32
            // rounding matches it as closely as fp32 allows.
            var biasCorrection1 = 1.0 - Math.Pow(beta1, step);
            var biasCorrection2Sqrt = Math.Sqrt(1.0 - Math.Pow(beta2, step));
            StepSize = (float)(lr / biasCorrection1);
            Decay = (float)(1.0 - lr * decoupledWeightDecay);
            L2 = (float)l2WeightDecay;
            B1 = (float)beta1;
            OneMinusB1 = (float)(1.0 - beta1);
            B2 = (float)beta2;
            OneMinusB2 = (float)(1.0 - beta2);
            Correction2Sqrt = (float)biasCorrection2Sqrt;
            Epsilon = (float)eps;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pass(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, in Coefficients c, bool decayed, float gradientScale)
    {
        var decay = decayed ? c.Decay : 1.0f;
        var l2 = decayed ? c.L2 : 0.0f;
        var b1 = c.B1;
        var oneMinusB1 = c.OneMinusB1;
        var b2 = c.B2;
        var oneMinusB2 = c.OneMinusB2;
        var correction2Sqrt = c.Correction2Sqrt;
        var epsilon = c.Epsilon;
        var stepSize = c.StepSize;

        var i = 0;
        var n = p.Length;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<float>.Count)
        {
            // The same operations per element as the scalar loop below (no fused multiply-adds), 16 at a time,
            // through refs rather than span slices (no bounds checks or slice setup in the loop).
            ref var rp = ref MemoryMarshal.GetReference(p);
            ref var rg = ref MemoryMarshal.GetReference(g);
            ref var rm = ref MemoryMarshal.GetReference(m);
            ref var rv = ref MemoryMarshal.GetReference(v);
            var vDecay = Vector512.Create(decay);
            var vL2 = Vector512.Create(l2);
            var vB1 = Vector512.Create(b1);
            var vOneMinusB1 = Vector512.Create(oneMinusB1);
            var vB2 = Vector512.Create(b2);
            var vOneMinusB2 = Vector512.Create(oneMinusB2);
            var vCorrection2Sqrt = Vector512.Create(correction2Sqrt);
            var vEps = Vector512.Create(epsilon);
            var vStepSize = Vector512.Create(stepSize);
            var vGradientScale = Vector512.Create(gradientScale);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var at = (nuint)i;
                var vp = Vector512.LoadUnsafe(ref rp, at) * vDecay;
                var vg = Vector512.LoadUnsafe(ref rg, at) * vGradientScale + vL2 * vp;
                var vm = vB1 * Vector512.LoadUnsafe(ref rm, at) + vOneMinusB1 * vg;
                var vv = vB2 * Vector512.LoadUnsafe(ref rv, at) + vOneMinusB2 * (vg * vg);
                vm.StoreUnsafe(ref rm, at);
                vv.StoreUnsafe(ref rv, at);
                var denominator = Vector512.Sqrt(vv) / vCorrection2Sqrt + vEps;
                (vp - vStepSize * (vm / denominator)).StoreUnsafe(ref rp, at);
            }
        }
        else if (Vector.IsHardwareAccelerated)
        {
            var vDecay = new Vector<float>(decay);
            var vL2 = new Vector<float>(l2);
            var vB1 = new Vector<float>(b1);
            var vOneMinusB1 = new Vector<float>(oneMinusB1);
            var vB2 = new Vector<float>(b2);
            var vOneMinusB2 = new Vector<float>(oneMinusB2);
            var vCorrection2Sqrt = new Vector<float>(correction2Sqrt);
            var vEps = new Vector<float>(epsilon);
            var vStepSize = new Vector<float>(stepSize);
            var vGradientScale = new Vector<float>(gradientScale);
            for (; i <= p.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var vp = new Vector<float>(p[i..]) * vDecay;
                var vg = new Vector<float>(g[i..]) * vGradientScale + vL2 * vp;
                var vm = vB1 * new Vector<float>(m[i..]) + vOneMinusB1 * vg;
                var vv = vB2 * new Vector<float>(v[i..]) + vOneMinusB2 * (vg * vg);
                vm.CopyTo(m[i..]);
                vv.CopyTo(v[i..]);
                var denominator = Vector.SquareRoot(vv) / vCorrection2Sqrt + vEps;
                (vp - vStepSize * (vm / denominator)).CopyTo(p[i..]);
            }
        }

        for (; i < p.Length; i++)
        {
            var parameter = p[i] * decay;
            var grad = g[i] * gradientScale + l2 * parameter;
            var mi = b1 * m[i] + oneMinusB1 * grad;
            var vi = b2 * v[i] + oneMinusB2 * (grad * grad);
            m[i] = mi;
            v[i] = vi;
            var denominator = MathF.Sqrt(vi) / correction2Sqrt + epsilon;
            p[i] = parameter - stepSize * (mi / denominator);
        }
    }
}
