using Microsoft.CodeAnalysis;
using static DslNet.Generator.Tests.Analyzers.AnalyzerHarness;
using static DslNet.Generator.Tests.Analyzers.TrainingSource;

namespace DslNet.Generator.Tests.Analyzers;

/// <summary>
/// DSL3001–DSL3003. Most tests declare stand-ins in namespace DslNet, which shadow the runtime's own, so that a device
/// lacking a precision can be written (the rules key on the metadata names <c>DslNet.Precision</c>,
/// <c>DslNet.Device</c> and <c>DslNet.SupportedPrecisionsAttribute</c>, and on a constant <c>precision:</c> argument).
/// The last ones use the runtime's real <c>Device.Cpu</c>, which runs every precision.
/// </summary>
public sealed class PrecisionRuleTests
{
    private const string Stubs = """
        namespace DslNet
        {
            public enum Precision { Fp32, Fp16, Bf16 }

            [System.AttributeUsage(System.AttributeTargets.Property | System.AttributeTargets.Field | System.AttributeTargets.Method)]
            public sealed class SupportedPrecisionsAttribute : System.Attribute
            {
                public SupportedPrecisionsAttribute(params Precision[] precisions) { }
            }

            public sealed class Device
            {
                [SupportedPrecisions(Precision.Fp32, Precision.Fp16, Precision.Bf16)] public static Device Cpu { get; } = new Device();
                [SupportedPrecisions(Precision.Fp32, Precision.Bf16)] public static Device Mobile { get; } = new Device();
                public static Device Cuda(int index) => new Device();
            }

            public static class Placement
            {
                public static void Use(INetwork model, Device device, Precision precision = Precision.Fp32) { }
            }
        }
        """;

    private static string Body(string body) => Method(body, extraMembers: "}\n" + Stubs.Replace("namespace DslNet\n{", "namespace DslNet {") + "\nclass Unused {");

    private const string TrainLoop = """
        foreach (var batch in train.Batches(512, shuffle: true))
        {
            model.TrainStep(batch.Features, batch.Labels);
            optimizer.Step();
        }
        """;

    [Fact]
    public void DSL3001_fp16_training_without_a_scaler() =>
        Single(Body("Placement.Use(model, Device.Cuda(0), {|precision: Precision.Fp16|});\n" + TrainLoop), "DSL3001");

    [Fact]
    public void DSL3001_not_with_a_scaler_or_without_training() =>
        None(Body("""
            Placement.Use(model, Device.Cuda(0), precision: Precision.Fp16);
            var scaler = new GradScaler();
            foreach (var batch in train.Batches(512, shuffle: true))
            {
                model.TrainStep(batch.Features, batch.Labels, scaler.Scale);
                scaler.Step(optimizer);
                scaler.Update();
            }
            """));

    [Fact]
    public void DSL3003_scaler_with_bf16() =>
        Single(Body("Placement.Use(model, Device.Cuda(0), precision: Precision.Bf16);\nvar scaler = {|new GradScaler()|};\n" + TrainLoop),
            "DSL3003", DiagnosticSeverity.Info);

    [Fact]
    public void DSL3002_precision_the_device_does_not_run()
    {
        var diagnostic = Single(Body("Placement.Use(model, Device.Mobile, {|precision: Precision.Fp16|});"), "DSL3002", DiagnosticSeverity.Error);
        Assert.Contains("Precision.Fp32, Precision.Bf16", diagnostic.GetMessage());
    }

    [Fact]
    public void DSL3002_through_a_local_device_variable() =>
        Single(Body("var device = Device.Mobile;\nPlacement.Use(model, device, {|precision: Precision.Fp16|});"), "DSL3002", DiagnosticSeverity.Error);

    [Fact]
    public void DSL3002_message_prints_the_device_and_the_precision_the_variables_hold()
    {
        var diagnostic = Single(Body("var device = Device.Mobile;\nvar mixed = Precision.Fp16;\nPlacement.Use(model, device, {|precision: mixed|});"),
            "DSL3002", DiagnosticSeverity.Error);
        var message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.StartsWith("Device.Mobile ('device') cannot run Precision.Fp16:", message, StringComparison.Ordinal);
        Assert.False(Corpus.MessageValueTests.IsBare(message, "mixed"), message);
    }

    [Fact]
    public void DSL3002_not_for_supported_or_undeclared_devices() =>
        None(Body("""
            Placement.Use(model, Device.Mobile, precision: Precision.Bf16);
            Placement.Use(model, Device.Cuda(0), precision: Precision.Fp16);
            """));

    [Theory]
    [InlineData("Fp16")]
    [InlineData("Bf16")]
    public void DSL3002_not_for_the_runtime_cpu_device(string precision) =>
        None(Method($"var onCpu = new Net(1, Device.Cpu, Precision.{precision});"));

    [Fact]
    public void DSL3001_still_for_fp16_training_on_the_runtime_cpu_device() =>
        Single(Method("var onCpu = new Net(1, Device.Cpu, {|Precision.Fp16|});\nonCpu.TrainStep(new float[4], new float[1]);"), "DSL3001");
}
