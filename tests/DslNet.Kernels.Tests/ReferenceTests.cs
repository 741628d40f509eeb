using DslNet.Kernels.Cpu;

namespace DslNet.Kernels.Tests;

/// <summary>Forward and backward against PyTorch's own numbers in tests/reference.</summary>
public class ReferenceTests
{
    private const double Rel = 1e-5;
    private const double Abs = 1e-6;

    [Fact]
    public void BatchNormTrainingMatchesPyTorch()
    {
        var r = Reference.Load("normalization.json", "batchnorm1d_train");
        var shape = r.Doubles("shape");
        int rows = (int)shape[0], features = (int)shape[1];
        float eps = (float)r.GetProperty("eps").GetDouble(), momentum = (float)r.GetProperty("momentum").GetDouble();
        var values = r.Floats("x");
        var gamma = r.Floats("gamma");
        var beta = r.Floats("beta");
        var runningMean = new float[features];
        var runningVar = Enumerable.Repeat(1f, features).ToArray();
        var invStd = new float[features];
        var output = new float[rows * features];
        BatchNorm.ForwardTraining(values, gamma, beta, runningMean, runningVar, invStd, output, rows, features, momentum, eps, default(Identity), Dropout.None);
        TestUtil.Close(r.Doubles("y"), output, Rel, Abs, "y");
        TestUtil.Close(r.Doubles("running_mean_after"), runningMean, Rel, Abs, "running_mean");
        TestUtil.Close(r.Doubles("running_var_after"), runningVar, Rel, Abs, "running_var");

        var gradient = r.Floats("dy");
        var dGamma = new float[features];
        var dBeta = new float[features];
        BatchNorm.Backward(gradient, values, gamma, beta, invStd, dGamma, dBeta, rows, features, default(Identity), Dropout.None);
        TestUtil.Close(r.Doubles("dx"), gradient, Rel, Abs, "dx");
        TestUtil.Close(r.Doubles("dgamma"), dGamma, Rel, Abs, "dgamma");
        TestUtil.Close(r.Doubles("dbeta"), dBeta, Rel, Abs, "dbeta");

        // Eval mode uses the running statistics the training step just produced, folded into an affine map.
        var eval = Reference.Load("normalization.json", "batchnorm1d_eval");
        var x = eval.Floats("x");
        var scale = new float[features];
        var shift = new float[features];
        BatchNorm.InferenceAffine(gamma, beta, runningMean, runningVar, eps, scale, shift, features);
        var y = x.Select((v, i) => v * scale[i % features] + shift[i % features]).ToArray();
        TestUtil.Close(eval.Doubles("y"), y, Rel, Abs, "eval y");

        // The same map fused into a Dense epilogue: an identity weight passes x through.
        var identity = new float[features * features];
        for (int j = 0; j < features; j++)
        {
            identity[j * features + j] = 1f;
        }

        var fused = new float[x.Length];
        Dense.ForwardInference(x, identity, ReadOnlySpan<float>.Empty, scale, shift, fused, x.Length / features, features, features, default(Identity));
        TestUtil.Close(eval.Doubles("y"), fused, Rel, Abs, "fused eval y");
    }

    [Fact]
    public void BatchNormRejectsSingleRowBatches()
    {
        var ex = Assert.Throws<ArgumentException>(() => BatchNorm.ForwardTraining(new float[3], new float[3], new float[3], new float[3],
            new float[3], new float[3], new float[3], 1, 3, 0.1f, 1e-5f, default(Identity), Dropout.None));
        Assert.Contains("more than one row", ex.Message);
    }

    [Fact]
    public void LayerNormMatchesPyTorch()
    {
        var r = Reference.Load("normalization.json", "layernorm");
        var shape = r.Doubles("shape");
        int rows = (int)shape[0], features = (int)shape[1];
        var values = r.Floats("x");
        var gamma = r.Floats("gamma");
        var beta = r.Floats("beta");
        var invStd = new float[rows];
        var output = new float[rows * features];
        LayerNorm.Forward(values, gamma, beta, invStd, output, rows, features, (float)r.GetProperty("eps").GetDouble(), default(Identity), Dropout.None);
        TestUtil.Close(r.Doubles("y"), output, Rel, Abs, "y");
        var gradient = r.Floats("dy");
        var dGamma = new float[features];
        var dBeta = new float[features];
        LayerNorm.Backward(gradient, values, gamma, beta, invStd, dGamma, dBeta, rows, features, default(Identity), Dropout.None);
        TestUtil.Close(r.Doubles("dx"), gradient, Rel, Abs, "dx");
        TestUtil.Close(r.Doubles("dgamma"), dGamma, Rel, Abs, "dgamma");
        TestUtil.Close(r.Doubles("dbeta"), dBeta, Rel, Abs, "dbeta");
    }

    [Fact]
    public void GroupNormMatchesPyTorch()
    {
        var r = Reference.Load("normalization.json", "groupnorm_features");
        var shape = r.Doubles("shape");
        int rows = (int)shape[0], features = (int)shape[1], groups = r.GetProperty("groups").GetInt32();
        var values = r.Floats("x");
        var gamma = r.Floats("gamma");
        var beta = r.Floats("beta");
        var invStd = new float[rows * groups];
        var output = new float[rows * features];
        GroupNorm.Forward(values, gamma, beta, invStd, output, rows, features, groups, (float)r.GetProperty("eps").GetDouble(), default(Identity), Dropout.None);
        TestUtil.Close(r.Doubles("y"), output, Rel, Abs, "y");
        var gradient = r.Floats("dy");
        var dGamma = new float[features];
        var dBeta = new float[features];
        GroupNorm.Backward(gradient, values, gamma, beta, invStd, dGamma, dBeta, rows, features, groups, default(Identity), Dropout.None);
        // Groups of two features make dx ∝ 1 - x̂², which float32 x̂ (what the API saves) only carries to ~1e-7
        // absolute before cancellation: the reference is float64, so only an absolute floor can be asked for here.
        TestUtil.Close(r.Doubles("dx"), gradient, Rel, 2e-5, "dx");
        TestUtil.Close(r.Doubles("dgamma"), dGamma, Rel, Abs, "dgamma");
        TestUtil.Close(r.Doubles("dbeta"), dBeta, Rel, Abs, "dbeta");
    }

    [Fact]
    public void BinaryCrossEntropyWithLogitsMatchesPyTorchAndStaysFinite()
    {
        var r = Reference.Load("losses.json", "bce_with_logits");
        var logits = r.Floats("logits");
        var gradient = new float[logits.Length];
        float loss = Losses.BinaryCrossEntropyWithLogits(logits, r.Floats("targets"), gradient);
        TestUtil.Close(r.GetProperty("loss").GetDouble(), loss, Rel, 0, "loss");
        TestUtil.Close(r.Doubles("dlogits"), gradient, Rel, 1e-12, "dlogits");
        Assert.All(gradient, g => Assert.True(float.IsFinite(g)));
        Assert.Equal(loss, Losses.BinaryCrossEntropyWithLogits(logits, r.Floats("targets"), Span<float>.Empty));
    }

    [Fact]
    public void CrossEntropyMatchesPyTorch()
    {
        var r = Reference.Load("losses.json", "cross_entropy");
        var shape = r.Doubles("shape");
        int rows = (int)shape[0], classes = (int)shape[1];
        var gradient = new float[rows * classes];
        float loss = Losses.CrossEntropy(r.Floats("logits"), r.Floats("targets"), gradient, rows, classes);
        TestUtil.Close(r.GetProperty("loss").GetDouble(), loss, Rel, 0, "loss");
        TestUtil.Close(r.Doubles("dlogits"), gradient, Rel, Abs, "dlogits");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void CrossEntropyWithLabelSmoothingMatchesPyTorch(int caseIndex)
    {
        var file = DslNet.Tests.Shared.ReferenceFiles.Load("label_smoothing.json");
        var shape = file.Doubles("shape");
        int rows = (int)shape[0], classes = (int)shape[1];
        var reference = file.GetProperty("cases")[caseIndex];
        float smoothing = (float)reference.GetProperty("label_smoothing").GetDouble();
        var gradient = new float[rows * classes];
        float loss = Losses.CrossEntropy(file.Floats("logits"), file.Floats("targets"), gradient, rows, classes, smoothing);
        TestUtil.Close(reference.GetProperty("loss").GetDouble(), loss, Rel, 0, "loss");
        TestUtil.Close(reference.Doubles("dlogits"), gradient, Rel, Abs, "dlogits");
        Assert.Equal(loss, Losses.CrossEntropy(file.Floats("logits"), file.Floats("targets"), Span<float>.Empty, rows, classes, smoothing));
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void CrossEntropyRejectsLabelSmoothingOutsideZeroToOne(float smoothing)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Losses.CrossEntropy(new float[10], [0f, 1f], new float[10], 2, 5, smoothing));
        Assert.Equal("labelSmoothing", ex.ParamName);
        Assert.Contains("[0, 1]", ex.Message);
    }

    [Theory]
    [InlineData(1.5f, "row 1")]
    [InlineData(5f, "row 1")]
    [InlineData(-1f, "row 1")]
    public void CrossEntropyRejectsBadTargets(float target, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => Losses.CrossEntropy(new float[10], [0f, target], new float[10], 2, 5));
        Assert.Contains(expected, ex.Message);
        Assert.Contains(target.ToString(System.Globalization.CultureInfo.CurrentCulture), ex.Message);
    }

    [Fact]
    public void MeanSquaredErrorMatchesPyTorch()
    {
        var r = Reference.Load("losses.json", "mse");
        var predictions = r.Floats("pred");
        var gradient = new float[predictions.Length];
        float loss = Losses.MeanSquaredError(predictions, r.Floats("target"), gradient);
        TestUtil.Close(r.GetProperty("loss").GetDouble(), loss, Rel, 0, "loss");
        TestUtil.Close(r.Doubles("dpred"), gradient, Rel, Abs, "dpred");
    }
}
