using DslNet.EndToEnd.Tests.Models;
using Xunit.Abstractions;

namespace DslNet.EndToEnd.Tests;

/// <summary>
/// fp16 and bf16 storage on the CPU path track the fp32 run of the same model, seed and batches to their precision,
/// and Predict returns values the storage format holds.
/// </summary>
/// <remarks>
/// A stored value is off by at most half a unit in the last place: 2^-11 ≈ 4.9e-4 relative in fp16 (10 stored
/// mantissa bits), 2^-8 ≈ 3.9e-3 in bf16 (7). Four blocks forward and back and 30 AdamW steps carry these along
/// (Adam's update is close to the gradient's sign, so rounding mostly moves elements whose gradient is near zero).
/// Observed, norm-wise on the parameters: 2.2e-3 (fp16) and 3.2e-3 (bf16); the worst step's loss 5.5e-4 and 8.8e-4.
/// The tolerances, 1e-2 and 3e-2, are a few units of each format's rounding, with room for another machine's GEMM
/// summation order. The errors must also be non-zero and ordered fp16 &lt; bf16, so a path that silently ran fp32,
/// or rounded to the wrong format, fails.
/// </remarks>
public sealed class ReducedPrecisionTrainingTests(ITestOutputHelper output)
{
    private const int Rows = 64;
    private const int Steps = 30;
    private const int Seed = 7;

    private sealed record Run(double[] Losses, float[] Parameters, float[] Logits);

    [Theory]
    [InlineData(Precision.Fp16, 1e-2)]
    [InlineData(Precision.Bf16, 3e-2)]
    public void Training_tracks_fp32_to_the_storage_precision(Precision precision, double tolerance)
    {
        var reference = Train(Precision.Fp32);
        var reduced = Train(precision);

        var lossError = Enumerable.Range(0, Steps).Max(s => Math.Abs(reduced.Losses[s] - reference.Losses[s]) / Math.Abs(reference.Losses[s]));
        var weightError = RelativeError(reduced.Parameters, reference.Parameters);
        var logitError = RelativeError(reduced.Logits, reference.Logits);
        output.WriteLine($"{precision}: loss {lossError:E2}, parameters {weightError:E2}, logits {logitError:E2} (relative, worst step / norm-wise)");

        Assert.True(lossError > 0 && weightError > 0, $"{precision} gave fp32's results bit for bit: nothing was rounded.");
        Assert.True(lossError < tolerance, $"{precision}: loss off by {lossError:E2} relative at worst (tolerance {tolerance:E0}).");
        Assert.True(weightError < tolerance, $"{precision}: parameters off by {weightError:E2} relative (tolerance {tolerance:E0}).");
        Assert.True(logitError < tolerance, $"{precision}: eval logits off by {logitError:E2} relative (tolerance {tolerance:E0}).");
        Assert.True(reduced.Losses[^1] < 0.8 * reduced.Losses[0], $"{precision} did not train: loss {reduced.Losses[0]:G4} → {reduced.Losses[^1]:G4}.");
    }

    [Fact]
    public void Bf16_rounds_more_coarsely_than_fp16()
    {
        var reference = Train(Precision.Fp32).Parameters;
        Assert.True(RelativeError(Train(Precision.Fp16).Parameters, reference) < RelativeError(Train(Precision.Bf16).Parameters, reference));
    }

    [Theory]
    [InlineData(Precision.Fp16)]
    [InlineData(Precision.Bf16)]
    public void Predictions_are_values_the_storage_format_holds(Precision precision)
    {
        float Stored(float v) => precision == Precision.Fp16 ? (float)(Half)v : Bf16(v);
        Assert.All(Train(precision).Logits, v => Assert.Equal(Stored(v), v));
        // Not true by accident: fp32's logits are not values of the format.
        Assert.Contains(Train(Precision.Fp32).Logits, v => Stored(v) != v);
    }

    [Fact]
    public void Fp32_on_the_cpu_device_is_the_default_path_bit_for_bit()
    {
        var viaDevice = Train(Precision.Fp32);
        var plain = Train(Precision.Fp32, new PrecisionMlp(Seed));
        Assert.Equal(plain.Losses, viaDevice.Losses);
        Assert.Equal(plain.Parameters, viaDevice.Parameters);
    }

    private static Run Train(Precision precision, PrecisionMlp? model = null)
    {
        model ??= new PrecisionMlp(Seed, Device.Cpu, precision);
        var optimizer = new AdamW(model.Parameters, lr: 1e-2);
        // fp16 trains with loss scaling, as it should; bf16 has fp32's range and needs none.
        var scaler = precision == Precision.Fp16 ? new GradScaler() : null;
        var losses = new double[Steps];
        for (var step = 0; step < Steps; step++)
        {
            var inputs = PrecisionData.Inputs(Rows, seed: step);
            var labels = PrecisionData.Labels(inputs);
            losses[step] = model.TrainStep(inputs, labels, scaler?.Scale ?? 1f);
            if (scaler is null)
            {
                optimizer.Step();
                continue;
            }

            Assert.True(scaler.Step(optimizer), $"fp16 step {step} overflowed at scale {scaler.Scale}.");
            scaler.Update();
        }

        var evalInputs = PrecisionData.Inputs(Rows, seed: 1000);
        var logits = new float[Rows];
        model.Predict(evalInputs, logits);
        return new Run(losses, model.Parameters.Span.ToArray(), logits);
    }

    private static double RelativeError(float[] actual, float[] expected)
    {
        double difference = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            difference += Math.Pow(actual[i] - expected[i], 2);
            norm += Math.Pow(expected[i], 2);
        }

        return Math.Sqrt(difference / norm);
    }

    // Round to nearest even on the top 16 bits (finite values only).
    private static float Bf16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        return BitConverter.UInt32BitsToSingle((bits + 0x7FFFu + ((bits >> 16) & 1u)) & 0xFFFF_0000u);
    }
}
