using DslNet.Kernels.Cpu;
using Xunit;

namespace DslNet.Runtime.Tests;

/// <summary>
/// Clipping folded into the optimizer's pass (<see cref="GradClip.NormCoefficient"/> + <see cref="Optimizer.Step(float)"/>)
/// must update exactly as clipping in place and stepping, and the update must not depend on the kernel thread count.
/// </summary>
public sealed class FusedClipStepTests
{
    // Long enough for the optimizer pass to split over threads; odd segment boundaries (weights decayed, the bias not).
    private const int FirstWeights = 30_001, Biases = 7, SecondWeights = 9_999;

    public static TheoryData<string> Optimizers => new() { "AdamW", "Adam", "Sgd" };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Folded_clip_updates_bit_for_bit_like_clipping_in_place(string kind)
    {
        var (inPlace, inPlaceOptimizer) = Create(kind);
        var (folded, foldedOptimizer) = Create(kind);
        var clipped = 0;
        for (var step = 0; step < 6; step++)
        {
            // Alternate large and small gradients so some steps clip and some do not.
            FillGradients(inPlace, seed: step, magnitude: step % 2 == 0 ? 1f : 1e-4f);
            FillGradients(folded, seed: step, magnitude: step % 2 == 0 ? 1f : 1e-4f);

            var norm = GradClip.ByNorm(inPlace.Gradients, maxNorm: 1.0);
            inPlaceOptimizer.Step();
            var (foldedNorm, coefficient) = GradClip.NormCoefficient(folded.Gradients, maxNorm: 1.0);
            foldedOptimizer.Step(coefficient);

            Assert.Equal(norm, foldedNorm);
            if (coefficient < 1f) clipped++;
            Assert.Equal(inPlace.Data, folded.Data);
        }

        Assert.Equal(3, clipped);
    }

    [Fact]
    public void Adam_pass_gives_the_same_parameters_and_moments_on_one_and_two_threads()
    {
        var previous = CpuThreads.Count;
        try
        {
            CpuThreads.Count = 1;
            var (single, singleOptimizer) = Run();
            CpuThreads.Count = 2;
            var (dual, dualOptimizer) = Run();

            Assert.Equal(single.Data, dual.Data);
            Assert.Equal(singleOptimizer.FirstMoment.ToArray(), dualOptimizer.FirstMoment.ToArray());
            Assert.Equal(singleOptimizer.SecondMoment.ToArray(), dualOptimizer.SecondMoment.ToArray());
        }
        finally
        {
            CpuThreads.Count = previous;
        }

        static (ParameterBuffer, AdamW) Run()
        {
            var (parameters, optimizer) = Create("AdamW");
            for (var step = 0; step < 4; step++)
            {
                FillGradients(parameters, seed: step, magnitude: 1f);
                optimizer.Step(0.5f);
            }

            return (parameters, (AdamW)optimizer);
        }
    }

    private static (ParameterBuffer, Optimizer) Create(string kind)
    {
        var parameters = new ParameterBuffer(FirstWeights + Biases + SecondWeights,
        [
            new TensorSlot("w1", ParameterKind.Weight, 0, [FirstWeights]),
            new TensorSlot("b1", ParameterKind.Bias, FirstWeights, [Biases]),
            new TensorSlot("w2", ParameterKind.Weight, FirstWeights + Biases, [SecondWeights]),
        ]);
        var random = new Random(42);
        for (var i = 0; i < parameters.Length; i++) parameters.Data[i] = (float)(random.NextDouble() - 0.5);
        Optimizer optimizer = kind switch
        {
            "AdamW" => new AdamW(parameters, lr: 1e-2, weightDecay: 0.1),
            "Adam" => new Adam(parameters, lr: 1e-2, weightDecay: 0.1),
            _ => new Sgd(parameters, lr: 1e-2, momentum: 0.9, weightDecay: 0.1, nesterov: true),
        };
        return (parameters, optimizer);
    }

    private static void FillGradients(ParameterBuffer parameters, int seed, float magnitude)
    {
        var random = new Random(seed);
        var gradients = parameters.Gradients.Data;
        for (var i = 0; i < gradients.Length; i++) gradients[i] = magnitude * (float)(random.NextDouble() - 0.5);
    }
}
