using DslNet.Kernels.Cpu;
using DslNet.Kernels.Cpu.Spatial;

namespace DslNet.Kernels.Tests;

/// <summary>BatchNorm2d, InstanceNorm2d, GroupNorm and LayerNorm([C, H, W]) on channels-last activations against PyTorch.</summary>
public class SpatialNormReferenceTests
{
    private const double Rel = 1e-5;
    private const double Abs = 1e-6;
    private const float Eps = 1e-5f;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void BatchNorm2dTrainingAndEvalMatchPyTorch(int threads)
    {
        var r = new SpatialCase("spatial_layers.json", "batchnorm2d_train");
        int pixels = r.Batch * r.Height * r.Width, c = r.Channels;
        var values = r.InputNhwc("x");
        var gamma = r.Floats("weight");
        var beta = r.Floats("bias");
        var runningMean = r.Floats("before_running_mean");
        var runningVar = r.Floats("before_running_var");
        var invStd = new float[c];
        var output = new float[values.Length];
        var gradient = r.InputNhwc("dy");
        var dGamma = new float[c];
        var dBeta = new float[c];
        TestUtil.With(threads, Gemm.Isa, () =>
        {
            BatchNorm2d.ForwardTraining(values, gamma, beta, runningMean, runningVar, invStd, output, pixels, c, 0.1f, Eps, default(Identity));
            BatchNorm2d.Backward(gradient, values, gamma, beta, invStd, dGamma, dBeta, pixels, c, default(Identity));
        });
        TestUtil.Close(r.ExpectedInput("y"), output, Rel, Abs, "y");
        TestUtil.Close(r.Root.Doubles("after_running_mean"), runningMean, Rel, Abs, "running_mean");
        TestUtil.Close(r.Root.Doubles("after_running_var"), runningVar, Rel, Abs, "running_var");
        TestUtil.Close(r.ExpectedInput("dx"), gradient, Rel, Abs, "dx");
        TestUtil.Close(r.Root.Doubles("dweight"), dGamma, Rel, Abs, "dweight");
        TestUtil.Close(r.Root.Doubles("dbias"), dBeta, Rel, Abs, "dbias");

        // Eval mode with the running statistics just updated: forward through the folded affine map, and its backward.
        var e = new SpatialCase("spatial_layers.json", "batchnorm2d_eval");
        var x = e.InputNhwc("x");
        var scale = new float[c];
        var shift = new float[c];
        BatchNorm.InferenceAffine(gamma, beta, runningMean, runningVar, Eps, scale, shift, c);
        var y = new float[x.Length];
        BatchNorm2d.Inference(x, scale, shift, y, pixels, c, default(Identity));
        TestUtil.Close(e.ExpectedInput("y"), y, Rel, Abs, "eval y");
        var evalGradient = e.InputNhwc("dy");
        var evalDGamma = new float[c];
        var evalDBeta = new float[c];
        BatchNorm2d.InferenceBackward(evalGradient, x, gamma, beta, runningMean, runningVar, Eps, evalDGamma, evalDBeta, pixels, c, default(Identity));
        TestUtil.Close(e.ExpectedInput("dx"), evalGradient, Rel, Abs, "eval dx");

        // The reference script did not zero the parameter gradients between the two steps: its eval dweight/dbias are
        // the training step's plus the eval step's (checked: the differences are exactly the training gradients).
        var trainDGamma = r.Root.Doubles("dweight");
        var trainDBeta = r.Root.Doubles("dbias");
        TestUtil.Close(e.Root.Doubles("dweight").Select((v, i) => v - trainDGamma[i]).ToArray(), evalDGamma, Rel, 1e-5, "eval dweight");
        TestUtil.Close(e.Root.Doubles("dbias").Select((v, i) => v - trainDBeta[i]).ToArray(), evalDBeta, Rel, 1e-5, "eval dbias");
    }

    [Fact]
    public void BatchNorm2dFromNormalizationFileMatchesPyTorch()
    {
        var r = new SpatialCase("normalization.json", "batchnorm2d_train", nested: false);
        int pixels = r.Batch * r.Height * r.Width, c = r.Channels;
        var values = r.InputNhwc("x");
        var gamma = r.Floats("gamma");
        var beta = r.Floats("beta");
        var runningMean = new float[c];
        var runningVar = Enumerable.Repeat(1f, c).ToArray();
        var invStd = new float[c];
        var output = new float[values.Length];
        BatchNorm2d.ForwardTraining(values, gamma, beta, runningMean, runningVar, invStd, output, pixels, c, 0.1f, Eps, default(Identity));
        TestUtil.Close(r.ExpectedInput("y"), output, Rel, Abs, "y");
        TestUtil.Close(r.Root.Doubles("running_mean_after"), runningMean, Rel, Abs, "running_mean");
        TestUtil.Close(r.Root.Doubles("running_var_after"), runningVar, Rel, Abs, "running_var");
        var gradient = r.InputNhwc("dy");
        var dGamma = new float[c];
        var dBeta = new float[c];
        BatchNorm2d.Backward(gradient, values, gamma, beta, invStd, dGamma, dBeta, pixels, c, default(Identity));
        TestUtil.Close(r.ExpectedInput("dx"), gradient, Rel, Abs, "dx");
        TestUtil.Close(r.Root.Doubles("dgamma"), dGamma, Rel, Abs, "dgamma");
        TestUtil.Close(r.Root.Doubles("dbeta"), dBeta, Rel, Abs, "dbeta");
    }

    [Theory]
    [InlineData("spatial_layers.json", "instancenorm2d_affine", true, "weight", "bias", "dweight", "dbias")]
    [InlineData("spatial_layers.json", "instancenorm2d_plain", false, "", "", "", "")]
    [InlineData("normalization.json", "instancenorm2d", true, "gamma", "beta", "dgamma", "dbeta")]
    public void InstanceNorm2dMatchesPyTorch(string file, string key, bool affine, string gammaName, string betaName, string dGammaName, string dBetaName)
    {
        var r = new SpatialCase(file, key, nested: file == "spatial_layers.json");
        int c = r.Channels, pixels = r.Height * r.Width;
        var values = r.InputNhwc("x");
        var gamma = affine ? r.Floats(gammaName) : [];
        var beta = affine ? r.Floats(betaName) : [];
        var invStd = new float[r.Batch * c];
        var output = new float[values.Length];
        InstanceNorm2d.Forward(values, gamma, beta, invStd, output, r.Batch, pixels, c, Eps, affine, default(Identity));
        TestUtil.Close(r.ExpectedInput("y"), output, Rel, Abs, "y");
        var gradient = r.InputNhwc("dy");
        var dGamma = new float[affine ? c : 0];
        var dBeta = new float[affine ? c : 0];
        InstanceNorm2d.Backward(gradient, values, gamma, beta, invStd, dGamma, dBeta, r.Batch, pixels, c, affine, default(Identity));
        TestUtil.Close(r.ExpectedInput("dx"), gradient, Rel, Abs, "dx");
        if (affine)
        {
            TestUtil.Close(r.Root.Doubles(dGammaName), dGamma, Rel, Abs, "dgamma");
            TestUtil.Close(r.Root.Doubles(dBetaName), dBeta, Rel, Abs, "dbeta");
        }
    }

    [Theory]
    [InlineData("spatial_layers.json", "groupnorm_channels", 2, "weight", "bias", "dweight", "dbias")]
    [InlineData("normalization.json", "groupnorm_nchw", 4, "gamma", "beta", "dgamma", "dbeta")]
    public void GroupNormOverChannelsMatchesPyTorch(string file, string key, int groups, string gammaName, string betaName, string dGammaName, string dBetaName)
    {
        var r = new SpatialCase(file, key, nested: file == "spatial_layers.json");
        if (r.Root.TryGetProperty("groups", out var g))
        {
            Assert.Equal(groups, g.GetInt32());
        }

        int c = r.Channels, pixels = r.Height * r.Width;
        var values = r.InputNhwc("x");
        var gamma = r.Floats(gammaName);
        var beta = r.Floats(betaName);
        var invStd = new float[r.Batch * groups];
        var output = new float[values.Length];
        GroupNorm2d.Forward(values, gamma, beta, invStd, output, r.Batch, pixels, c, groups, Eps, NormAffine.PerChannel, default(Identity));
        TestUtil.Close(r.ExpectedInput("y"), output, Rel, Abs, "y");
        var gradient = r.InputNhwc("dy");
        var dGamma = new float[c];
        var dBeta = new float[c];
        GroupNorm2d.Backward(gradient, values, gamma, beta, invStd, dGamma, dBeta, r.Batch, pixels, c, groups, NormAffine.PerChannel, default(Identity));
        TestUtil.Close(r.ExpectedInput("dx"), gradient, Rel, Abs, "dx");
        TestUtil.Close(r.Root.Doubles(dGammaName), dGamma, Rel, Abs, "dgamma");
        TestUtil.Close(r.Root.Doubles(dBetaName), dBeta, Rel, Abs, "dbeta");
    }

    [Fact]
    public void LayerNormOverChwMatchesPyTorch()
    {
        var r = new SpatialCase("spatial_layers.json", "layernorm_chw");
        int c = r.Channels, pixels = r.Height * r.Width;
        var values = r.InputNhwc("x");
        var gamma = r.Floats("weight");
        var beta = r.Floats("bias");
        var invStd = new float[r.Batch];
        var output = new float[values.Length];
        LayerNorm2d.Forward(values, gamma, beta, invStd, output, r.Batch, pixels, c, Eps, default(Identity));
        TestUtil.Close(r.ExpectedInput("y"), output, Rel, Abs, "y");
        var gradient = r.InputNhwc("dy");
        var dGamma = new float[gamma.Length];
        var dBeta = new float[beta.Length];
        LayerNorm2d.Backward(gradient, values, gamma, beta, invStd, dGamma, dBeta, r.Batch, pixels, c, default(Identity));
        TestUtil.Close(r.ExpectedInput("dx"), gradient, Rel, Abs, "dx");
        TestUtil.Close(r.Root.Doubles("dweight"), dGamma, Rel, Abs, "dweight");
        TestUtil.Close(r.Root.Doubles("dbias"), dBeta, Rel, Abs, "dbias");
    }
}
