using System.Collections.Immutable;
using System.Diagnostics;
using DslNet.Generator.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
#pragma warning disable RS1041, RS1036

namespace DslNet.Benchmarks;

internal static class AnalyzerTiming
{
    public static int Run()
    {
        var bench = new AnalyzerBenchmarks();
        bench.Setup();
        var compilation = (Compilation)typeof(AnalyzerBenchmarks).GetField("_compilation", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(bench)!;
        for (var round = 0; round < 5; round++)
        {
            var own = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var n = 0;
            for (var k = 0; k < 10; k++) n = bench.DataFlowAndRules();
            var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / 10;
            Console.WriteLine($"data-flow view + rules alone: wall {own.Elapsed.TotalMilliseconds / 10:F1} ms, process CPU {cpuMs:F1} ms ({n} diagnostics)");
            var classes = (List<(INamedTypeSymbol Type, MemberBlock[] Blocks)>)typeof(AnalyzerBenchmarks).GetField("_classes", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(bench)!;
            var types = KnownTypes.Create(compilation)!;
            var viewCpu = Process.GetCurrentProcess().TotalProcessorTime;
            for (var k = 0; k < 10; k++) foreach (var (type, blocks) in classes) TrainingBody.Collect(types, type, blocks);
            Console.WriteLine($"data-flow view alone: process CPU {(Process.GetCurrentProcess().TotalProcessorTime - viewCpu).TotalMilliseconds / 10:F1} ms");
            var bindCpu = Process.GetCurrentProcess().TotalProcessorTime;
            var cb = compilation.Clone();
            foreach (var t in cb.SyntaxTrees) cb.GetSemanticModel(t).GetDiagnostics();
            Console.WriteLine($"bind all trees: process CPU {(Process.GetCurrentProcess().TotalProcessorTime - bindCpu).TotalMilliseconds:F1} ms");
            var sw = Stopwatch.StartNew();
            var c1 = compilation.Clone();
            foreach (var t in c1.SyntaxTrees) c1.GetSemanticModel(t).GetDiagnostics();
            var all = sw.ElapsedMilliseconds;
            sw.Restart();
            var c2 = compilation.Clone();
            var d = c2.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new TrainingLoopAnalyzer()), new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, true, true, false));
            var result = d.GetAnalysisResultAsync(CancellationToken.None).GetAwaiter().GetResult();
            var analyzer = sw.ElapsedMilliseconds;
            var info = d.GetAnalyzerTelemetryInfoAsync(d.Analyzers[0], CancellationToken.None).GetAwaiter().GetResult();
            sw.Restart();
            var c3 = compilation.Clone();
            var e = c3.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new EmptyAnalyzer()));
            e.GetAnalysisResultAsync(CancellationToken.None).GetAwaiter().GetResult();
            Console.WriteLine($"empty symbol-start + operation-block analyzer {sw.ElapsedMilliseconds} ms");
            Console.WriteLine($"bind all trees {all} ms; with analyzer {analyzer} ms; analyzer execution {info.ExecutionTime.TotalMilliseconds:F0} ms; trees {compilation.SyntaxTrees.Count()} lines {string.Join(",", compilation.SyntaxTrees.Select(t => t.GetText().Lines.Count))}");
        }
        return 0;
    }
}

[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class EmptyAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(new DiagnosticDescriptor("X0001", "x", "x", "x", DiagnosticSeverity.Warning, true));

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterSymbolStartAction(start =>
        {
            var count = 0;
            start.RegisterOperationBlockAction(block => { foreach (var root in block.OperationBlocks) count += root.Descendants().Count(); });
            start.RegisterSymbolEndAction(_ => GC.KeepAlive(count));
        }, SymbolKind.NamedType);
    }
}
