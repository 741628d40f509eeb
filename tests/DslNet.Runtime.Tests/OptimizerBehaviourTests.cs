namespace DslNet.Runtime.Tests;

public sealed class OptimizerBehaviourTests
{
    private const int Length = 1003;   // leaves a scalar tail after the SIMD loop for every vector width

    [Fact]
    public void Adam_and_AdamW_agree_with_a_double_precision_model_on_every_element()
    {
        foreach (var decoupled in new[] { false, true })
        {
            var (parameters, grads) = Problem(seed: 1);
            Optimizer optimizer = decoupled
                ? new AdamW(parameters, lr: 0.01, weightDecay: 0.1)
                : new Adam(parameters, lr: 0.01, weightDecay: 0.1);
            var p = parameters.Data.Select(v => (double)v).ToArray();
            var m = new double[Length];
            var v = new double[Length];

            for (var t = 1; t <= 5; t++)
            {
                grads[t - 1].CopyTo(parameters.Gradients.Data, 0);
                optimizer.Step();
                for (var i = 0; i < Length; i++)
                {
                    if (decoupled) p[i] *= 1 - 0.01 * 0.1;
                    var g = grads[t - 1][i] + (decoupled ? 0 : 0.1 * p[i]);
                    m[i] = 0.9 * m[i] + 0.1 * g;
                    v[i] = 0.999 * v[i] + 0.001 * g * g;
                    var denominator = Math.Sqrt(v[i]) / Math.Sqrt(1 - Math.Pow(0.999, t)) + 1e-8;
                    p[i] -= 0.01 / (1 - Math.Pow(0.9, t)) * (m[i] / denominator);
                }
            }

            for (var i = 0; i < Length; i++)
                Assert.Equal(p[i], parameters.Data[i], 1e-5);
        }
    }

    [Fact]
    public void Sgd_nesterov_agrees_with_a_double_precision_model_on_every_element()
    {
        var (parameters, grads) = Problem(seed: 2);
        var optimizer = new Sgd(parameters, lr: 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: true);
        var p = parameters.Data.Select(v => (double)v).ToArray();
        var buffer = new double[Length];
        for (var t = 0; t < 5; t++)
        {
            grads[t].CopyTo(parameters.Gradients.Data, 0);
            optimizer.Step();
            for (var i = 0; i < Length; i++)
            {
                var g = grads[t][i] + 0.01 * p[i];
                buffer[i] = t == 0 ? g : 0.9 * buffer[i] + g;
                p[i] -= 0.05 * (g + 0.9 * buffer[i]);
            }
        }

        for (var i = 0; i < Length; i++)
            Assert.Equal(p[i], parameters.Data[i], 1e-5);
    }

    [Fact]
    public void Sgd_momentum_switched_on_later_starts_its_buffer_from_the_gradient()
    {
        var parameters = Buffers.Parameters(1f);
        var optimizer = new Sgd(parameters, lr: 0.1);
        parameters.Gradients.Data[0] = 2f;
        optimizer.Step();                      // plain: 1 − 0.2
        optimizer.Momentum = 0.5;
        optimizer.Step();                      // buffer = g = 2: 0.8 − 0.2
        optimizer.Step();                      // buffer = 0.5·2 + 2 = 3: 0.6 − 0.3
        Assert.Equal(0.3f, parameters.Data[0], 6);
        Assert.Equal(3f, optimizer.MomentumBuffer[0]);
        Assert.Equal(3, optimizer.StepCount);
    }

    [Fact]
    public void Momentum_is_sgd_momentum_or_adam_beta1()
    {
        var adam = new Adam(Buffers.Parameters(0f), beta1: 0.8);
        Assert.Equal(0.8, adam.Momentum);
        adam.Momentum = 0.9;
        Assert.Equal(0.9, adam.Beta1);
        var sgd = new Sgd(Buffers.Parameters(0f), lr: 0.1, momentum: 0.7);
        Assert.Equal(0.7, sgd.Momentum);
    }

    [Fact]
    public void ZeroGrad_clears_the_gradient_buffer()
    {
        var parameters = Buffers.Parameters(1f, 2f);
        parameters.Gradients.Data[1] = 5f;
        new AdamW(parameters).ZeroGrad();
        Assert.Equal([0f, 0f], parameters.Gradients.Data);
    }

    [Fact]
    public void Invalid_hyperparameters_are_rejected()
    {
        var parameters = Buffers.Parameters(0f);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(parameters, lr: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(parameters, beta1: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(parameters, beta2: -0.1));
        Assert.Throws<ArgumentException>(() => new Sgd(parameters, lr: 0.1, nesterov: true));
    }

    [Fact]
    public void A_training_step_of_optimizer_scheduler_and_clipping_allocates_nothing()
    {
        var (parameters, grads) = Problem(seed: 3);
        grads[0].CopyTo(parameters.Gradients.Data, 0);
        Optimizer[] optimizers =
        [
            new Sgd(parameters, lr: 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true),
            new Adam(parameters, weightDecay: 1e-4),
            new AdamW(parameters),
        ];
        foreach (var optimizer in optimizers)
        {
            var scheduler = new OneCycleLR(optimizer, maxLr: 1e-3, totalSteps: 200);
            void TrainingStep()
            {
                GradClip.ByNorm(parameters.Gradients, 1.0);
                GradClip.ByValue(parameters.Gradients, 10.0);
                optimizer.Step();
                scheduler.Step();
            }

            TrainingStep();   // first use: JIT, SGD's momentum buffer
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++) TrainingStep();
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated == 0, $"{optimizer.GetType().Name}: 100 steps allocated {allocated} bytes.");
        }
    }

    private static (ParameterBuffer Parameters, float[][] Grads) Problem(int seed)
    {
        var random = new Random(seed);
        var parameters = Buffers.Parameters(Enumerable.Range(0, Length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray());
        var grads = Enumerable.Range(0, 5)
            .Select(_ => Enumerable.Range(0, Length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray())
            .ToArray();
        return (parameters, grads);
    }
}
