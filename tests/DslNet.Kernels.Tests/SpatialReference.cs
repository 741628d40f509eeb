using System.Text.Json;
using DslNet.Kernels.Cpu.Spatial;

namespace DslNet.Kernels.Tests;

/// <summary>One case of spatial_layers.json, with its NCHW arrays turned channels-last as the kernels take them.</summary>
internal sealed class SpatialCase
{
    public SpatialCase(string file, string key, bool nested = true)
    {
        Root = nested ? Reference.Load(file, "layers").GetProperty(key) : Reference.Load(file, key);
        var shape = Root.TryGetProperty("input_shape", out var s) ? s : Root.GetProperty("shape");
        var input = shape.EnumerateArray().Select(e => e.GetInt32()).ToArray();
        (Batch, Channels, Height, Width) = (input[0], input[1], input[2], input[3]);
        if (Root.TryGetProperty("output_shape", out var o))
        {
            var output = o.EnumerateArray().Select(e => e.GetInt32()).ToArray();
            (OutChannels, OutHeight, OutWidth) = output.Length == 4 ? (output[1], output[2], output[3]) : (output[1], 1, 1);
        }
        else
        {
            (OutChannels, OutHeight, OutWidth) = (Channels, Height, Width);
        }
    }

    public JsonElement Root { get; }
    public int Batch { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int OutChannels { get; }
    public int OutHeight { get; }
    public int OutWidth { get; }

    public float[] Floats(string name) => Root.Floats(name);

    /// <summary>An input-shaped NCHW array, channels-last.</summary>
    public float[] InputNhwc(string name) => ToNhwc(Root.Floats(name), Channels, Height, Width);

    /// <summary>An output-shaped NCHW array, channels-last.</summary>
    public float[] OutputNhwc(string name) => ToNhwc(Root.Floats(name), OutChannels, OutHeight, OutWidth);

    /// <summary>The reference's input-shaped NCHW values in channels-last order, as doubles.</summary>
    public double[] ExpectedInput(string name) => ToNhwc(Root.Doubles(name), Channels, Height, Width);

    public double[] ExpectedOutput(string name) => ToNhwc(Root.Doubles(name), OutChannels, OutHeight, OutWidth);

    private float[] ToNhwc(float[] nchw, int c, int h, int w)
    {
        var nhwc = new float[nchw.Length];
        ChannelsLast.FromNchw(nchw, nhwc, Batch, c, h, w);
        return nhwc;
    }

    private double[] ToNhwc(double[] nchw, int c, int h, int w)
    {
        var nhwc = new double[nchw.Length];
        for (int n = 0; n < Batch; n++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                for (int p = 0; p < h * w; p++)
                {
                    nhwc[((long)n * h * w + p) * c + ch] = nchw[((long)n * c + ch) * h * w + p];
                }
            }
        }

        return nhwc;
    }
}
