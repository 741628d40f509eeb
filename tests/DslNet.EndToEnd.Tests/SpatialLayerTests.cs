using System.Text.Json;
using DslNet.EndToEnd.Tests.Models;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// Every case of tests/reference/spatial_layers.json through a generated one-layer model (Models/SpatialLayerModels.cs):
/// the forward pass (Predict), the input gradient and the parameter gradients (TrainStep), and BatchNorm2d's running
/// statistics, to 1e-5 relative (plus 1e-5 absolute, as the kernel tests).
/// </summary>
/// <remarks>
/// Two tricks reach what the surface does not show. The input gradient: a bias-free embedding convolution with a
/// 12 × 12 kernel over 17 × 16 images that are zero but for one pixel (row 5 + 6n, column 4 for image n) outputs
/// <c>z[n, c, y, x] = W[c, 0, 5 + 6n − y, 4 − x]</c>, so writing the case's input into W makes z that input exactly,
/// and W's gradient holds the layer's input gradient at the same places. The upstream gradient: with MSELoss (mean
/// over all M outputs) and targets <c>y − dy·M/2</c>, the loss's gradient at the layer's output is PyTorch's dy.
/// Not reachable: BatchNorm2d's eval-mode gradients (TrainStep always trains); the Kernels tests cover them.
/// </remarks>
public sealed class SpatialLayerTests
{
    private const double Relative = 1e-5;
    private const double Absolute = 1e-5;
    private const int EmbeddingKernel = 12;
    private const int ImageHeight = 17;
    private const int ImageWidth = 16;

    private static readonly Dictionary<string, Func<INetwork>> Models = new()
    {
        ["conv2d_k3_pad1"] = () => new SpatialConvK3Pad1(),
        ["conv2d_k3_stride2_nopad"] = () => new SpatialConvK3Stride2(),
        ["conv2d_k1_projection_stride2"] = () => new SpatialConvProjection(),
        ["conv2d_k3_dilation2_pad2"] = () => new SpatialConvDilated(),
        ["conv2d_depthwise_k3_pad1"] = () => new SpatialConvDepthwise(),
        ["conv2d_k5_pad2_stride2"] = () => new SpatialConvK5Stride2(),
        ["maxpool_k2_s2"] = () => new SpatialMaxPool2(),
        ["maxpool_k3_s2_p1"] = () => new SpatialMaxPool3(),
        ["avgpool_k2_s2"] = () => new SpatialAvgPool2(),
        ["avgpool_k3_s1_p1_include_pad"] = () => new SpatialAvgPool3(),
        ["global_avgpool"] = () => new SpatialGlobalAvgPool(),
        ["instancenorm2d_affine"] = () => new SpatialInstanceNormAffine(),
        ["instancenorm2d_plain"] = () => new SpatialInstanceNorm(),
        ["groupnorm_channels"] = () => new SpatialGroupNorm(),
        ["layernorm_chw"] = () => new SpatialLayerNorm(),
        ["flatten"] = () => new SpatialFlatten(),
    };

    [Theory]
    [InlineData("conv2d_k3_pad1")]
    [InlineData("conv2d_k3_stride2_nopad")]
    [InlineData("conv2d_k1_projection_stride2")]
    [InlineData("conv2d_k3_dilation2_pad2")]
    [InlineData("conv2d_depthwise_k3_pad1")]
    [InlineData("conv2d_k5_pad2_stride2")]
    [InlineData("maxpool_k2_s2")]
    [InlineData("maxpool_k3_s2_p1")]
    [InlineData("avgpool_k2_s2")]
    [InlineData("avgpool_k3_s1_p1_include_pad")]
    [InlineData("global_avgpool")]
    [InlineData("instancenorm2d_affine")]
    [InlineData("instancenorm2d_plain")]
    [InlineData("groupnorm_channels")]
    [InlineData("layernorm_chw")]
    [InlineData("flatten")]
    public void Forward_input_and_parameter_gradients_match_pytorch(string layer)
    {
        var reference = Case(layer);
        var model = Models[layer]();
        var inputs = Embed(reference, model);
        LoadLayerParameters(reference, model, layer);

        var outputs = new float[inputs.Length / model.InputSize * model.OutputSize];
        model.Predict(inputs, outputs);
        AssertClose(reference.GetProperty("y").Doubles(), outputs, $"{layer} forward");

        model.TrainStep(inputs, Targets(reference));
        AssertClose(reference.GetProperty("dx").Doubles(), InputGradient(reference, model), $"{layer} input gradient");
        AssertParameterGradients(reference, model, layer);
    }

    [Fact]
    public void BatchNorm2d_trains_on_batch_statistics_updates_running_ones_and_predicts_with_them()
    {
        var train = Case("batchnorm2d_train");
        var model = new SpatialBatchNorm();
        var inputs = Embed(train, model);
        LoadLayerParameters(train, model, "batchnorm2d_train");
        model.RunningStatistics["Layer.RunningMean"].CopyFrom(train.GetProperty("before_running_mean").Floats());
        model.RunningStatistics["Layer.RunningVariance"].CopyFrom(train.GetProperty("before_running_var").Floats());

        model.TrainStep(inputs, Targets(train));

        AssertClose(train.GetProperty("dx").Doubles(), InputGradient(train, model), "train-mode input gradient");
        AssertParameterGradients(train, model, "batchnorm2d_train");
        AssertClose(train.GetProperty("after_running_mean").Doubles(), model.RunningStatistics["Layer.RunningMean"].ToArray(), "running mean");
        AssertClose(train.GetProperty("after_running_var").Doubles(), model.RunningStatistics["Layer.RunningVariance"].ToArray(),
            "running variance (unbiased batch variance)");

        // PyTorch's eval case is the same module after that step: Predict uses the updated running statistics.
        var outputs = new float[2 * SpatialBatchNorm.OutputSize];
        model.Predict(inputs, outputs);
        AssertClose(Case("batchnorm2d_eval").GetProperty("y").Doubles(), outputs, "eval-mode forward");
    }

    [Fact]
    public void Every_case_of_the_file_is_tested()
    {
        var cases = ReferenceData.Load("spatial_layers.json").GetProperty("layers").EnumerateObject().Select(p => p.Name);
        Assert.Equal(cases.Order(), Models.Keys.Append("batchnorm2d_train").Append("batchnorm2d_eval").Order());
    }

    private static JsonElement Case(string layer) => ReferenceData.Load("spatial_layers.json").GetProperty("layers").GetProperty(layer);

    private static (int Batch, int Channels, int Height, int Width) InputShape(JsonElement reference)
    {
        var shape = reference.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return (shape[0], shape[1], shape[2], shape[3]);
    }

    /// <summary>Index in the embedding's [C, 1, 12, 12] weight that becomes input pixel (n, c, y, x).</summary>
    private static int EmbeddingIndex(JsonElement reference, int n, int c, int y, int x)
    {
        var (_, _, height, width) = InputShape(reference);
        return (c * EmbeddingKernel + height - 1 + height * n - y) * EmbeddingKernel + width - 1 - x;
    }

    /// <summary>Writes the case's input into the embedding's weight; returns the one-pixel images that select it.</summary>
    private static float[] Embed(JsonElement reference, INetwork model)
    {
        var (batch, channels, height, width) = InputShape(reference);
        Assert.Equal(ImageHeight * ImageWidth, model.InputSize);
        Assert.True(batch * height <= EmbeddingKernel && width <= EmbeddingKernel, "the embedding kernel holds every image");
        var x = reference.GetProperty("x").Floats();
        var weight = model.Parameters["Embedding.Weight"];
        weight.Span.Clear();
        foreach (var (n, c, y, column) in Pixels(batch, channels, height, width))
            weight[EmbeddingIndex(reference, n, c, y, column)] = x[((n * channels + c) * height + y) * width + column];

        var inputs = new float[batch * model.InputSize];
        for (var n = 0; n < batch; n++)
            inputs[n * model.InputSize + (height - 1 + height * n) * ImageWidth + width - 1] = 1f;
        return inputs;
    }

    private static float[] InputGradient(JsonElement reference, INetwork model)
    {
        var (batch, channels, height, width) = InputShape(reference);
        var gradient = model.Gradients["Embedding.Weight"];
        return Pixels(batch, channels, height, width).Select(p => gradient[EmbeddingIndex(reference, p.N, p.C, p.Y, p.X)]).ToArray();
    }

    /// <summary>MSE targets whose loss gradient at the output is the case's dy: <c>2(y − t)/M = dy</c>.</summary>
    private static float[] Targets(JsonElement reference)
    {
        var y = reference.GetProperty("y").Doubles();
        var dy = reference.GetProperty("dy").Doubles();
        return y.Select((value, i) => (float)(value - dy[i] * y.Length / 2)).ToArray();
    }

    /// <summary>PyTorch's weight and bias: a convolution's own, a normalization's γ and β.</summary>
    private static IEnumerable<(string Torch, string Name)> LayerParameters(JsonElement reference, string layer)
    {
        var convolution = layer.StartsWith("conv2d", StringComparison.Ordinal);
        if (reference.TryGetProperty("weight", out _)) yield return ("weight", convolution ? "Layer.Weight" : "Layer.Gamma");
        if (reference.TryGetProperty("bias", out _)) yield return ("bias", convolution ? "Layer.Bias" : "Layer.Beta");
    }

    private static void LoadLayerParameters(JsonElement reference, INetwork model, string layer)
    {
        foreach (var (torch, name) in LayerParameters(reference, layer))
            model.Parameters[name].CopyFrom(reference.GetProperty(torch).Floats());
    }

    private static void AssertParameterGradients(JsonElement reference, INetwork model, string layer)
    {
        foreach (var (torch, name) in LayerParameters(reference, layer))
            AssertClose(reference.GetProperty("d" + torch).Doubles(), model.Gradients[name].ToArray(), $"{layer} gradient of {name}");
    }

    private static IEnumerable<(int N, int C, int Y, int X)> Pixels(int batch, int channels, int height, int width) =>
        from n in Enumerable.Range(0, batch)
        from c in Enumerable.Range(0, channels)
        from y in Enumerable.Range(0, height)
        from x in Enumerable.Range(0, width)
        select (n, c, y, x);

    private static void AssertClose(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var error = Math.Abs(actual[i] - expected[i]);
            Assert.True(error <= Absolute + Relative * Math.Abs(expected[i]),
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (error {error:G3})");
        }
    }
}
