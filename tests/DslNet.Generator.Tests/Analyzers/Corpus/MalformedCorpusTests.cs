using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DslNet.Generator.Tests.Analyzers.Corpus;

/// <summary>
/// Malformed and pathological training code in the shapes the data-flow view follows (helpers, recursion, delegates,
/// collections, composed schedules, Trainer options, conditional creation): compiled together in one compilation,
/// the analyzer never throws (no AD0001, no exception callback).
/// </summary>
public sealed class MalformedCorpusTests
{
    private static readonly string[] Snippets =
    {
        // recursion and cycles through the class's own code
        "class A { void F(DataSet d) { G(d); } void G(DataSet d) { F(d); } }",
        "class B { void F(Net m, AdamW o, OneCycleLR s) { foreach (var b in new DataSet[0]) { F(m, o, s); s.Step(); o.Step(); } } }",
        "class C { void Run() { void Loop() { Loop(); } Loop(); } }",
        "class D { Action? a; void Run() { a = () => a!(); a(); } }",
        "class E { Action a; E() { a = Run; } void Run() { for (var i = 0; i < 3; i++) a(); } }",
        // incomplete code
        "class F { void Run(AdamW o) { var s = new OneCycleLR(o, 1e-3, ); for (var e = 0; e < ; e++) s?.Step(); } }",
        "class G { void Run(AdamW o) { ILearningRateScheduler? s = true ? new CosineAnnealingLR(o, tMax: ) : ; s?. } }",
        "class H { void Run(AdamW o) { foreach (var s in ) s.Step(); } }",
        "class I { void Run(AdamW o) { var list = new List<ILearningRateScheduler> { null!, new StepLR(o, 0) }; foreach (var s in list) s.Step(); } }",
        "class J { void Run(AdamW o, int epochs) { var seq = new SequentialLR(o, null!, null!); for (var e = 0; e < epochs; e++) foreach (var b in new DataSet[1][0].Batches(1, true)) seq.Step(); } }",
        "class K { void Run(AdamW o) { var seq = new SequentialLR(o, new ILearningRateScheduler[] { }, new int[] { 1, 2 }); while (true) { seq.Step(); break; } } }",
        "class L { void Run(AdamW o, int n) { var w = new LinearWarmup(o, n, then: new LinearWarmup(o, n, then: new LinearWarmup(o, n))); for (var i = 0; i < n; i++) w.Step(); } }",
        "class M { void Run(AdamW o) { var e = 0; while (e < 3) { e++; e++; o.Step(); } do { o.Step(); } while (e-- > 0); } }",
        "class N { void Run(AdamW o) { var e = 0; while (e < 10) { if (e > 3) e++; o.Step(); } } }",
        // Trainer options in odd shapes
        "class O { void Run(Net m) { new Trainer(m, new TrainerOptions { LossScaling = , Schedule = (o, c) => }); } }",
        "class P { void Run(Net m) { var t = new Trainer(m, new TrainerOptions { Schedule = (o, c) => { return c.Epochs > 1 ? new OneCycleLR(o, 1e-3, c.Epochs) : null; } }); } }",
        "class Q { void Run() { var m = new Net(1, Device.Cpu, (Precision)7); new Trainer(m, null).Fit(null!); } }",
        "class R { void Run() { var m = new Net(1, Device.Cpu, Precision.Fp16); new Trainer(m, new TrainerOptions { LossScaling = !false }); } }",
        // accumulation and zero-grad shapes
        "class S { void Run(Net m, AdamW o, GradientAccumulator a) { foreach (var b in new DataSet[1][0].Batches(2, true)) { var sync = a.Add(); sync = !sync; if (sync) o.Step(); } } }",
        "class T { void Run(Net m, AdamW o) { o.ZeroGrad(); o.Step(); m.Gradients.Clear(); o.Step(GradClip.NormCoefficient(m.Gradients, 1).Coefficient); } }",
        "class U { void Run(Net m, AdamW o, int k) { for (var i = 0; i < 4; i++) { if ((i + 1) % 0 == 0) o.Step(); if (i % k != 0) continue; o.Step(); } } }",
        // names, generics, partial classes, statics
        "class V<T> where T : ILearningRateScheduler { T? s; void Run(AdamW o) { for (var i = 0; i < 2; i++) { o.Step(); s?.Step(); } } }",
        "partial class W { OneCycleLR? s; } partial class W { void Run(AdamW o, int epochs) { s = new OneCycleLR(o, 1e-3, epochs); for (var e = 0; e < epochs; e++) s.Step(); } }",
        "static class X { static double Evaluate(Net m, DataSet val) => val.Batches(1, false).Sum(b => m.TrainStep(b.Features, b.Labels)); }",
        "class Y { int Epochs => Epochs; void Run(AdamW o) { var s = new OneCycleLR(o, 1e-3, Epochs); for (var e = 0; e < Epochs; e++) foreach (var b in new DataSet[1][0].Batches(Epochs, true)) s.Step(); } }",
        "class Z { void Run(AdamW o) { const int epochs = int.MaxValue; var s = new OneCycleLR(o, 1e-3, epochs * epochs * epochs); for (var e = 0; e < epochs; e++) for (var i = 0; i < epochs; i++) s.Step(); } }",
    };

    [Fact]
    public void Analyzer_never_throws_on_malformed_training_code()
    {
        var trees = new List<SyntaxTree>
        {
            CSharpSyntaxTree.ParseText("global using System; global using System.Collections.Generic; global using System.Linq; global using DslNet;", GeneratorHarness.ParseOptions, "GlobalUsings.cs"),
            CSharpSyntaxTree.ParseText(AnalyzerHarness.Model, GeneratorHarness.ParseOptions, "Model1.cs"),
        };
        for (var i = 0; i < Snippets.Length; i++)
            trees.Add(CSharpSyntaxTree.ParseText("namespace Malformed.M" + i.ToString(CultureInfo.InvariantCulture) + " { " + Snippets[i] + " }",
                GeneratorHarness.ParseOptions, "Malformed" + i.ToString(CultureInfo.InvariantCulture) + ".cs"));
        var compilation = CSharpCompilation.Create("Malformed", trees, GeneratorHarness.References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        var run = AnalyzerHarness.Run(compilation);

        Assert.Empty(run.Exceptions);
        Assert.Empty(run.Generator.Exceptions);
        Assert.DoesNotContain(run.Diagnostics, d => d.Id.StartsWith("AD", StringComparison.Ordinal));
        // The snippets really are malformed: the compiler reports errors in most of them.
        Assert.True(run.Generator.OutputDiagnostics.Count(d => d.Severity == DiagnosticSeverity.Error) >= 10);
    }
}
