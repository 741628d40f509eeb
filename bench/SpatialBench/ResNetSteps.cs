using DslNet.Kernels.Cpu;
using DslNet.Kernels.Cpu.Spatial;

namespace DslNet.SpatialBench;

/// <summary>
/// One training step of samples/FashionMnist's FashionResNet at batch 128 as the generated code runs it, kernel by kernel
/// (the Dense head and the loss are left out: under 0.1 % of the work): stem 1→32 at 28×28, stage 1 two 32→32 convs with
/// an identity shortcut, stages 2 and 3 a stride-2 conv, a stride-1 conv and a 1×1 stride-2 projection with BatchNorm2d,
/// global average pooling. Each step carries its op class, so the profile can be summed per class.
/// </summary>
internal static class ResNetSteps
{
    public static BenchStep[] Build(int batch)
    {
        var random = new Random(1);
        float[] Rand(long n, float scale = 1f) => Enumerable.Range(0, checked((int)n)).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();
        var steps = new List<BenchStep>();
        var forward = new List<BenchStep>();
        var backward = new List<BenchStep>();

        var input = Rand((long)batch * 784);
        var stem = new ConvUnit("stem", Conv2dGeometry.Square(batch, 1, 28, 28, 32, 3, padding: 1), input, Rand);
        var s1a = new ConvUnit("stage1A", Conv2dGeometry.Square(batch, 32, 28, 28, 32, 3, padding: 1), stem.Output, Rand);
        var s1b = new ConvUnit("stage1B", Conv2dGeometry.Square(batch, 32, 28, 28, 32, 3, padding: 1), s1a.Output, Rand);
        var join1 = new Join("stage1 add+relu", s1b, stem.Output);
        var s2a = new ConvUnit("stage2A", Conv2dGeometry.Square(batch, 32, 28, 28, 64, 3, stride: 2, padding: 1), join1.Output, Rand);
        var s2b = new ConvUnit("stage2B", Conv2dGeometry.Square(batch, 64, 14, 14, 64, 3, padding: 1), s2a.Output, Rand);
        var p2 = new ConvUnit("stage2 projection", Conv2dGeometry.Square(batch, 32, 28, 28, 64, 1, stride: 2), join1.Output, Rand);
        var join2 = new Join("stage2 add+relu", s2b, p2.Output);
        var s3a = new ConvUnit("stage3A", Conv2dGeometry.Square(batch, 64, 14, 14, 128, 3, stride: 2, padding: 1), join2.Output, Rand);
        var s3b = new ConvUnit("stage3B", Conv2dGeometry.Square(batch, 128, 7, 7, 128, 3, padding: 1), s3a.Output, Rand);
        var p3 = new ConvUnit("stage3 projection", Conv2dGeometry.Square(batch, 64, 14, 14, 128, 1, stride: 2), join2.Output, Rand);
        var join3 = new Join("stage3 add+relu", s3b, p3.Output);
        var pooled = new float[batch * 128];
        var pooledGradient = Rand(batch * 128, 0.01f);

        // Forward, in the generated order.
        stem.Forward(steps, default(Relu));
        s1a.Forward(steps, default(Relu));
        s1b.Forward(steps, default(Identity));
        join1.Forward(steps);
        s2a.Forward(steps, default(Relu));
        s2b.Forward(steps, default(Identity));
        p2.Forward(steps, default(Identity));
        join2.Forward(steps);
        s3a.Forward(steps, default(Relu));
        s3b.Forward(steps, default(Identity));
        p3.Forward(steps, default(Identity));
        join3.Forward(steps);
        steps.Add(new("global avg pool forward", OpClass.Pooling, 0, () => Pool2d.GlobalAvgForward(join3.Output, pooled, batch, 49, 128)));

        // Backward: the reverse, a value read twice (a shortcut source) gets its second contribution added.
        steps.Add(new("global avg pool backward", OpClass.Pooling, 0, () => Pool2d.GlobalAvgBackward(pooledGradient, join3.OutputGradient, batch, 49, 128)));
        join3.Backward(steps, s3b.OutputGradient, p3.OutputGradient);
        p3.Backward(steps, join2.OutputGradient, accumulate: false);
        s3b.Backward(steps, s3a.OutputGradient, accumulate: false);
        s3a.Backward(steps, join2.OutputGradient, accumulate: true);
        join2.Backward(steps, s2b.OutputGradient, p2.OutputGradient);
        p2.Backward(steps, join1.OutputGradient, accumulate: false);
        s2b.Backward(steps, s2a.OutputGradient, accumulate: false);
        s2a.Backward(steps, join1.OutputGradient, accumulate: true);
        join1.Backward(steps, s1b.OutputGradient, stem.OutputGradient);
        s1b.Backward(steps, s1a.OutputGradient, accumulate: false);
        s1a.Backward(steps, stem.OutputGradient, accumulate: true);
        stem.Backward(steps, null, accumulate: false);
        return steps.ToArray();
    }

    /// <summary>Conv2d (no bias) → BatchNorm2d, optionally fused with ReLU, as one generated block.</summary>
    private sealed class ConvUnit
    {
        private readonly string name;
        private readonly Conv2dGeometry geometry;
        private readonly float[] input, weight, pre, gamma, beta, runningMean, runningVar, invStd, gammaGradient, betaGradient, weightGradient, scratch;
        private bool relu;

        public ConvUnit(string name, Conv2dGeometry geometry, float[] input, Func<long, float, float[]> rand)
        {
            this.name = name;
            this.geometry = geometry;
            this.input = input;
            int c = geometry.OutChannels;
            weight = rand(geometry.WeightLength, 1f / MathF.Sqrt(geometry.PatchLength));
            pre = new float[geometry.OutputLength];
            Output = new float[geometry.OutputLength];
            OutputGradient = rand(geometry.OutputLength, 0.01f);
            scratch = new float[geometry.InputLength];
            gamma = Enumerable.Repeat(1f, c).ToArray();
            beta = new float[c];
            runningMean = new float[c];
            runningVar = Enumerable.Repeat(1f, c).ToArray();
            invStd = new float[c];
            gammaGradient = new float[c];
            betaGradient = new float[c];
            weightGradient = new float[geometry.WeightLength];
        }

        public float[] Output { get; }

        public float[] OutputGradient { get; }

        private long Flops => 2 * geometry.MultiplyAdds;

        public void Forward<TAct>(List<BenchStep> steps, TAct activation)
            where TAct : struct, IActivation
        {
            relu = typeof(TAct) == typeof(Relu);
            var g = geometry;
            steps.Add(new($"{name} conv forward", OpClass.ConvForward, Flops,
                () => Conv2d.Forward(input, weight, ReadOnlySpan<float>.Empty, pre, Span<float>.Empty, g, default(Identity))));
            steps.Add(new($"{name} bn forward{(relu ? "+relu" : "")}", OpClass.BatchNormForward, 0,
                () => BatchNorm2d.ForwardTraining(pre, gamma, beta, runningMean, runningVar, invStd, Output,
                    g.OutputPixels, g.OutChannels, 0.1f, 1e-5f, activation)));
        }

        public void Backward(List<BenchStep> steps, float[]? inputGradient, bool accumulate)
        {
            var g = geometry;
            steps.Add(new($"{name} bn backward", OpClass.BatchNormBackward, 0, relu
                ? () => BatchNorm2d.Backward(OutputGradient, pre, gamma, beta, invStd, gammaGradient, betaGradient, g.OutputPixels, g.OutChannels, default(Relu))
                : () => BatchNorm2d.Backward(OutputGradient, pre, gamma, beta, invStd, gammaGradient, betaGradient, g.OutputPixels, g.OutChannels, default(Identity))));
            steps.Add(new($"{name} weight grad", OpClass.ConvWeightGradient, Flops,
                () => Conv2d.BackwardWeights(OutputGradient, input, weightGradient, Span<float>.Empty, g)));
            if (inputGradient is null)
            {
                return;
            }

            steps.Add(new($"{name} input grad", OpClass.ConvInputGradient, Flops,
                () => Conv2d.BackwardInput(OutputGradient, weight, accumulate ? scratch : inputGradient, g)));
            if (accumulate)
            {
                steps.Add(new($"{name} input grad accumulate", OpClass.AddRelu, 0, () => Residual.AccumulateGradient(scratch, inputGradient, accumulate: true)));
            }
        }
    }

    /// <summary>The generated Add step with the ReLU after it: relu(branch + shortcut), and one backward pass into both operands.</summary>
    private sealed class Join(string name, ConvUnit branch, float[] shortcut)
    {
        public float[] Output { get; } = new float[shortcut.Length];

        public float[] OutputGradient { get; } = new float[shortcut.Length];

        public void Forward(List<BenchStep> steps)
        {
            steps.Add(new(name, OpClass.AddRelu, 0,
                () => Residual.Forward(branch.Output, shortcut, Span<float>.Empty, Output, default(Relu))));
        }

        public void Backward(List<BenchStep> steps, float[] branchGradient, float[] shortcutGradient)
        {
            steps.Add(new($"{name} backward", OpClass.AddRelu, 0, () =>
                Residual.Backward(OutputGradient, Output, default(Relu), branchGradient, accumulateInput: false, shortcutGradient, accumulateSkip: false)));
        }
    }
}
