using DslNet.Kernels.Cpu;
using Xunit;

namespace DslNet.Kernels.Tests;

/// <summary>
/// An image model's Add step with the activation after it: act(input + skip) in one pass, and its backward writing
/// gradient·act' to both operands in each operand's mode (overwrite or add), on one and on two threads.
/// </summary>
public class ResidualActivationTests
{
    // Below one chunk (vector loops and a scalar tail) and over several chunks of the two-thread split.
    public static TheoryData<int, int> LengthsAndThreads() => new() { { 37, 1 }, { 37, 2 }, { 3 * 16 * 1024 + 5, 1 }, { 3 * 16 * 1024 + 5, 2 } };

    [Theory]
    [MemberData(nameof(LengthsAndThreads))]
    public void ReluForwardAndBackwardFromItsOutput(int length, int threads)
    {
        var input = TestUtil.Random(length, 1);
        var skip = TestUtil.Random(length, 2);
        var gradient = TestUtil.Random(length, 3);
        var output = new float[length];
        var inputGradient = TestUtil.Random(length, 4);
        var skipGradient = TestUtil.Random(length, 5);
        var skipBefore = (float[])skipGradient.Clone();
        TestUtil.With(threads, Gemm.Isa, () =>
        {
            Residual.Forward(input, skip, Span<float>.Empty, output, default(Relu));
            // ReLU's derivative read off its output: y > 0 exactly where input + skip > 0.
            Residual.Backward(gradient, output, default(Relu), inputGradient, accumulateInput: false, skipGradient, accumulateSkip: true);
        });

        var positive = 0;
        for (int i = 0; i < length; i++)
        {
            var sum = input[i] + skip[i];
            var passed = sum > 0f ? gradient[i] : 0f;
            positive += sum > 0f ? 1 : 0;
            Assert.Equal(Math.Max(sum, 0f), output[i]);
            Assert.Equal(passed, inputGradient[i]);
            Assert.Equal(skipBefore[i] + passed, skipGradient[i]);
        }

        // Both sides of the ReLU were exercised.
        Assert.InRange(positive, 1, length - 1);
    }

    [Theory]
    [MemberData(nameof(LengthsAndThreads))]
    public void StoredSumForAnActivationThatNeedsIt(int length, int threads)
    {
        var input = TestUtil.Random(length, 6);
        var skip = TestUtil.Random(length, 7);
        var gradient = TestUtil.Random(length, 8);
        var preActivation = new float[length];
        var output = new float[length];
        var inputGradient = TestUtil.Random(length, 9);
        var inputBefore = (float[])inputGradient.Clone();
        var skipGradient = TestUtil.Random(length, 10);
        TestUtil.With(threads, Gemm.Isa, () =>
        {
            Residual.Forward(input, skip, preActivation, output, default(Tanh));
            Residual.Backward(gradient, preActivation, default(Tanh), inputGradient, accumulateInput: true, skipGradient, accumulateSkip: false);
        });

        for (int i = 0; i < length; i++)
        {
            var sum = input[i] + skip[i];
            var passed = gradient[i] * (1 - Math.Tanh(sum) * Math.Tanh(sum));
            Assert.Equal(sum, preActivation[i]);
            // The vector and scalar tanh differ in the last bits.
            TestUtil.Close(Math.Tanh(sum), output[i], 1e-6, 1e-7, $"tanh[{i}]");
            TestUtil.Close(inputBefore[i] + passed, inputGradient[i], 1e-6, 1e-6, $"input gradient[{i}]");
            TestUtil.Close(passed, skipGradient[i], 1e-6, 1e-6, $"skip gradient[{i}]");
        }
    }

    [Fact]
    public void APlainAddPassesTheGradientToBothOperands()
    {
        // Without an activation the generated code hands the gradient itself as where f' (= 1) is read.
        var gradient = TestUtil.Random(100, 11);
        var inputGradient = new float[100];
        var skipGradient = new float[100];
        Residual.Backward(gradient, gradient, default(Identity), inputGradient, accumulateInput: false, skipGradient, accumulateSkip: false);
        Assert.Equal(gradient, inputGradient);
        Assert.Equal(gradient, skipGradient);
    }

    [Fact]
    public void MismatchedLengthsAreRejected()
    {
        var values = new float[8];
        Assert.Throws<ArgumentException>(() => Residual.Forward(values, new float[7], Span<float>.Empty, new float[8], default(Relu)));
        Assert.Throws<ArgumentException>(() =>
            Residual.Backward(values, values, default(Relu), new float[7], accumulateInput: false, new float[8], accumulateSkip: false));
        // Both operands of an Add have gradients: an empty target is refused, not skipped.
        Assert.Throws<ArgumentException>(() =>
            Residual.Backward(values, values, default(Relu), new float[8], accumulateInput: false, Span<float>.Empty, accumulateSkip: false));
    }
}
