using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using static DslNet.Generator.Tests.Analyzers.TrainingSource;

namespace DslNet.Generator.Tests.Analyzers;

/// <summary>
/// A corpus of malformed model classes and training loops: the generator and the analyzers report diagnostics (the
/// compiler's or their own) and never throw — no CS8785 (generator exception), no AD0001 (analyzer exception), and
/// the analyzer-exception callback of <see cref="Microsoft.CodeAnalysis.Diagnostics.CompilationWithAnalyzers"/> never runs.
/// </summary>
public sealed class AnalyzerRobustnessTests
{
    private static string Net(string body, string header = "[Network(Inputs = 4)]", string declaration = "public sealed partial class Bad") => $$"""
        using DslNet;
        {{header}}
        {{declaration}}
        {
            {{body}}
        }
        """;

    private const string Output = "[Dense(1)] public partial DenseBlock Output { get; }";

    /// <summary>Malformed models (compiled alone) and malformed training loops (compiled next to a valid model).</summary>
    public static readonly IReadOnlyDictionary<string, (string[] Sources, bool WithModel)> Corpus = new Dictionary<string, (string[], bool)>
    {
        // ---- models
        ["model: no attribute arguments"] = (new[] { Net(Output, header: "[Network]") }, false),
        ["model: Network on a struct"] = (new[] { Net(Output, declaration: "public partial struct Bad") }, false),
        ["model: Network on an interface"] = (new[] { Net("", declaration: "public partial interface Bad") }, false),
        ["model: Network on an enum"] = (new[] { "using DslNet; [Network(Inputs = 4)] public enum Bad { A }" }, false),
        ["model: static class"] = (new[] { Net(Output, declaration: "public static partial class Bad") }, false),
        ["model: abstract class"] = (new[] { Net(Output, declaration: "public abstract partial class Bad") }, false),
        ["model: generic with constraint"] = (new[] { Net(Output, declaration: "public partial class Bad<T> where T : struct") }, false),
        ["model: nested twice"] = (new[] { "using DslNet; public partial class A { public partial class B { [Network(Inputs = 2)] public partial class Bad { [Dense(1)] public partial DenseBlock O { get; } } } }" }, false),
        ["model: file-local class"] = (new[] { Net(Output, declaration: "file sealed partial class Bad") }, false),
        ["model: partial over three files"] = (new[] { Net("[Dense(4), Relu] public partial DenseBlock H1 { get; }"), "using DslNet; public sealed partial class Bad { [Dense(2)] public partial DenseBlock H2 { get; } }", "using DslNet; public sealed partial class Bad { " + Output + " }" }, false),
        ["model: duplicate block names across parts"] = (new[] { Net(Output), "using DslNet; public sealed partial class Bad { " + Output + " }" }, false),
        ["model: static block property"] = (new[] { Net("[Dense(1)] public static partial DenseBlock Output { get; }") }, false),
        ["model: indexer with layer attribute"] = (new[] { Net("[Dense(1)] public DenseBlock this[int i] => default!;") }, false),
        ["model: layer attribute on a field"] = (new[] { Net("[Dense(1)] public DenseBlock Output;") }, false),
        ["model: layer attribute on the class"] = (new[] { Net(Output, header: "[Network(Inputs = 4), Dense(3)]") }, false),
        ["model: Inputs as a string"] = (new[] { Net(Output, header: "[Network(Inputs = \"4\")]") }, false),
        ["model: Loss as an int"] = (new[] { Net(Output, header: "[Network(Inputs = 4, Loss = 3)]") }, false),
        ["model: unknown Loss member"] = (new[] { Net(Output, header: "[Network(Inputs = 4, Loss = Loss.Hinge)]") }, false),
        ["model: huge widths"] = (new[] { Net("[Dense(int.MaxValue)] public partial DenseBlock Output { get; }", header: "[Network(Inputs = int.MaxValue)]") }, false),
        ["model: Dense with too many arguments"] = (new[] { Net("[Dense(1, 2, 3)] public partial DenseBlock Output { get; }") }, false),
        ["model: Dropout NaN"] = (new[] { Net("[Dense(4), Dropout(double.NaN)] public partial DenseBlock H { get; }\n" + Output) }, false),
        ["model: GroupNorm zero"] = (new[] { Net("[Dense(4), GroupNorm(0)] public partial DenseBlock H { get; }\n" + Output) }, false),
        ["model: property with init accessor"] = (new[] { Net("[Dense(1)] public partial DenseBlock Output { get; init; }") }, false),
        ["model: property missing accessor list"] = (new[] { Net("[Dense(1)] public partial DenseBlock Output") }, false),
        ["model: class missing closing brace"] = (new[] { "using DslNet; [Network(Inputs = 4)] public sealed partial class Bad { " + Output }, false),
        ["model: attribute with a lambda argument"] = (new[] { Net("[Dense(() => 3)] public partial DenseBlock Output { get; }") }, false),
        ["model: 64 blocks with one broken"] = (new[] { Net(string.Join("\n", Enumerable.Range(0, 63).Select(i => $"[Dense(8), Relu] public partial DenseBlock H{i} {{ get; }}")) + "\n[Dense(0)] public partial DenseBlock Output { get; }") }, false),

        // ---- training loops (next to the valid model Net)
        ["loop: OneCycleLR without arguments"] = (new[] { Method("var s = new OneCycleLR(); s.Step();") }, true),
        ["loop: OneCycleLR with wrong argument types"] = (new[] { Method("var s = new OneCycleLR(\"opt\", maxLr: \"x\", totalSteps: 1.5); for (;;) { s.Step(); optimizer.Step(); }") }, true),
        ["loop: scheduler on an undeclared optimizer"] = (new[] { Method("var s = new OneCycleLR(missing, 1e-3, 100); for (var e = 0; e < epochs; e++) { foreach (var b in train.Batches(8, true)) { optimizer.Step(); } s.Step(); }") }, true),
        ["loop: Step on an undeclared scheduler"] = (new[] { Method("for (var e = 0; e < epochs; e++) { schedule.Step(); optimizer.Step(); }") }, true),
        ["loop: foreach over an undeclared collection"] = (new[] { Method("foreach (var b in nothing.Batches(8)) { model.TrainStep(b.Features, b.Labels); optimizer.Step(); }") }, true),
        ["loop: incomplete for"] = (new[] { Method("for (var e = 0; e < ; e++ { optimizer.Step();") }, true),
        ["loop: incomplete foreach"] = (new[] { Method("foreach (var b in train.Batches(") }, true),
        ["loop: while without condition"] = (new[] { Method("while () { model.TrainStep(train.Features, train.Labels); optimizer.Step(); }") }, true),
        ["loop: do-while with missing semicolon"] = (new[] { Method("do { optimizer.Step(); } while (false)") }, true),
        ["loop: for with a non-int counter"] = (new[] { Method("for (var e = 0.5; e < epochs; e += 0.5) { model.TrainStep(train.Features, train.Labels); optimizer.Step(); }") }, true),
        ["loop: for with many declarators"] = (new[] { Method("var s = new OneCycleLR(optimizer, 1e-3, 10); for (int i = 0, j = 0; i < 10; i++, j++) { model.TrainStep(train.Features, train.Labels); optimizer.Step(); s.Step(); }") }, true),
        ["loop: for with a decrementing counter"] = (new[] { Method("var s = new OneCycleLR(optimizer, 1e-3, 10); for (var i = 10; i > 0; i--) { model.TrainStep(train.Features, train.Labels); optimizer.Step(); s.Step(); }") }, true),
        ["loop: bound overflows"] = (new[] { Method("var s = new OneCycleLR(optimizer, 1e-3, totalSteps: 1); for (long i = 0; i < long.MaxValue; i++) for (long j = 0; j < long.MaxValue; j++) { model.TrainStep(train.Features, train.Labels); optimizer.Step(); s.Step(); }") }, true),
        ["loop: Adam with a string weight decay"] = (new[] { Method("var a = new Adam(model.Parameters, weightDecay: \"0.1\");") }, true),
        ["loop: Adam with a missing parameter buffer"] = (new[] { Method("var a = new Adam(weightDecay: 0.1);") }, true),
        ["loop: AdamW decay from a non-constant"] = (new[] { Method("var a = new AdamW(model.Parameters, weightDecay: double.Parse(\"1e-5\"));") }, true),
        ["loop: GradClip without arguments"] = (new[] { Method("foreach (var b in train.Batches(8, true)) { optimizer.Step(); GradClip.ByNorm(); }") }, true),
        ["loop: scaler Unscale without optimizer"] = (new[] { Method("var sc = new GradScaler(); foreach (var b in train.Batches(8, true)) { model.TrainStep(b.Features, b.Labels, sc.Scale); GradClip.ByNorm(model.Gradients, 1); sc.Unscale(); sc.Step(); }") }, true),
        ["loop: accumulator without steps"] = (new[] { Method("var acc = new GradientAccumulator(); var s = new OneCycleLR(optimizer, 1e-3, 10); foreach (var b in train.Batches(8, true)) { model.TrainStep(b.Features, b.Labels); s.Step(); if (!acc.Add()) continue; optimizer.Step(); }") }, true),
        ["loop: modulo by zero"] = (new[] { Method("var i = 0; var s = new OneCycleLR(optimizer, 1e-3, 10); foreach (var b in train.Batches(8, true)) { model.TrainStep(b.Features, b.Labels); if (++i % 0 == 0) optimizer.Step(); s.Step(); }") }, true),
        ["loop: TrainStep with wrong arguments"] = (new[] { Method("foreach (var b in val.Batches(8, false)) { model.TrainStep(1, 2, 3, 4); optimizer.Step(); }") }, true),
        ["loop: TrainStep on an undeclared model"] = (new[] { Method("foreach (var b in val.Batches(8, false)) { ghost.TrainStep(b.Features, b.Labels); optimizer.Step(); }") }, true),
        ["loop: loss sum of the wrong type"] = (new[] { Method("var acc = new GradientAccumulator(model.Parameters, 2); string loss = \"\"; foreach (var b in train.Batches(8, true)) { loss += model.TrainStep(b.Features, b.Labels); if (!acc.Add()) continue; optimizer.Step(); Console.WriteLine(loss); }") }, true),
        ["loop: schedule stepped inside a lambda"] = (new[] { Method("var s = new OneCycleLR(optimizer, 1e-3, 10); Action a = () => s.Step(); for (var e = 0; e < epochs; e++) { foreach (var b in train.Batches(8, true)) { model.TrainStep(b.Features, b.Labels); optimizer.Step(); } a(); }") }, true),
        ["loop: schedule stepped in a local function"] = (new[] { Method("var s = new OneCycleLR(optimizer, 1e-3, 10); for (var e = 0; e < epochs; e++) { foreach (var b in train.Batches(8, true)) { model.TrainStep(b.Features, b.Labels); optimizer.Step(); } Next(); } void Next() { s.Step(); for (;;) { s.Step(); } }") }, true),
        ["loop: goto and labels"] = (new[] { Method("var s = new OneCycleLR(optimizer, 1e-3, 10); again: foreach (var b in train.Batches(8, true)) { model.TrainStep(b.Features, b.Labels); optimizer.Step(); s.Step(); goto again; }") }, true),
        ["loop: schedule reassigned in the loop"] = (new[] { Method("OneCycleLR s = null!; for (var e = 0; e < epochs; e++) { s = new OneCycleLR(optimizer, 1e-3, e + 1); foreach (var b in train.Batches(8, true)) { model.TrainStep(b.Features, b.Labels); optimizer.Step(); } s.Step(); }") }, true),
        ["loop: scheduler field in an instance method"] = (new[] { "using DslNet; public class T { OneCycleLR? _s; Optimizer? _o; Net _m = new Net(1); public void Run(DataSet d) { for (var e = 0; e < 3; e++) { foreach (var b in d.Batches(8, true)) { _m.TrainStep(b.Features, b.Labels); _o!.Step(); } _s!.Step(); } } }" }, true),
        ["loop: top-level statements"] = (new[] { "using DslNet; var m = new Net(1); var o = new AdamW(m.Parameters); var s = new OneCycleLR(o, 1e-3, 5); for (var e = 0; e < 5; e++) { s.Step(); o.Step(); }" }, true),
        ["loop: precision argument that is not constant"] = (new[] { Method("Use(model, (Precision)Environment.TickCount); foreach (var b in train.Batches(8, true)) { model.TrainStep(b.Features, b.Labels); optimizer.Step(); }", extraMembers: "static void Use(Net n, Precision precision) { } } namespace DslNet { public enum Precision { Fp32, Fp16 } } class X {") }, true),
        ["loop: precision with an unknown member"] = (new[] { Method("Use(model, precision: Precision.Fp8); foreach (var b in train.Batches(8, true)) { model.TrainStep(b.Features, b.Labels); optimizer.Step(); }", extraMembers: "static void Use(Net n, Precision precision) { } } namespace DslNet { public enum Precision { Fp32, Fp16 } } class X {") }, true),
        ["loop: device with a malformed attribute"] = (new[] { Method("Use(Device.Cpu, precision: Precision.Fp16);", extraMembers: "static void Use(Device device, Precision precision) { } } namespace DslNet { public enum Precision { Fp32, Fp16 } public sealed class SupportedPrecisionsAttribute : System.Attribute { public SupportedPrecisionsAttribute(params Precision[] p) { } } public sealed class Device { [SupportedPrecisions(\"fp32\")] public static Device Cpu => new Device(); } } class X {") }, true),
        ["loop: syntax error in the middle of a training loop"] = (new[] { Method("var s = new OneCycleLR(optimizer, 1e-3, epochs); for (var e = 0; e < epochs; e++) { foreach (var b in train.Batches(8, true)) { model.TrainStep(b.Features b.Labels) optimizer.Step(); } s.Step() }") }, true),
        ["loop: attribute on a statement"] = (new[] { Method("[Dense(3)] optimizer.Step();") }, true),
    };

    /// <summary>Unusual but valid code: only "no exception" is required (nothing provable to report).</summary>
    private static readonly HashSet<string> ValidButUnusual = new()
    {
        "model: partial over three files", "loop: AdamW decay from a non-constant", "loop: for with a non-int counter",
        "loop: for with many declarators", "loop: for with a decrementing counter", "loop: bound overflows",
        "loop: schedule stepped inside a lambda", "loop: schedule stepped in a local function", "loop: goto and labels",
        "loop: precision argument that is not constant",
    };

    public static IEnumerable<object[]> CaseNames => Corpus.Keys.Select(k => new object[] { k });

    [Fact]
    public void Corpus_has_at_least_fifty_cases() => Assert.True(Corpus.Count >= 50, $"{Corpus.Count} cases");

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Malformed_input_gives_diagnostics_and_no_exception(string name)
    {
        var (sources, withModel) = Corpus[name];
        var run = withModel ? AnalyzerHarness.Run(sources) : AnalyzerHarness.Run(GeneratorHarness.Compilation(sources));

        Assert.Empty(run.Generator.Exceptions);
        Assert.Empty(run.Exceptions);
        var all = run.Generator.GeneratorDiagnostics.Concat(run.Generator.OutputDiagnostics).Concat(run.Diagnostics).ToImmutableArray();
        Assert.DoesNotContain(all, d => d.Id is "CS8784" or "CS8785" || d.Id.StartsWith("AD", StringComparison.Ordinal));
        Assert.True(ValidButUnusual.Contains(name) || all.Any(d => d.Severity >= DiagnosticSeverity.Warning),
            $"No diagnostic for malformed input '{name}'.");
    }
}
