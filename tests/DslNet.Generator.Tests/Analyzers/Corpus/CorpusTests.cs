using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace DslNet.Generator.Tests.Analyzers.Corpus;

/// <summary>
/// The analyzer corpus: every program compiled together (one namespace each) with the generator and the analyzers,
/// recall and precision computed per rule from the marked expectations, and the table in docs/diagnostics.md checked
/// against the computed one (set DSLNET_UPDATE_DIAGNOSTICS_TABLE=1 to rewrite it).
/// </summary>
public sealed class CorpusTests
{
    public static IReadOnlyList<CorpusProgram> All { get; } =
        SchedulerCorpus.Programs().Concat(StructureCorpus.Programs()).Concat(OptimizerCorpus.Programs()).Concat(ValueCorpus.Programs()).ToList();

    private const string GlobalUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.Linq;
        global using DslNet;
        """;

    internal static Lazy<CorpusResult> Result { get; } = new(Evaluate);

    [Fact]
    public void Corpus_is_large_varied_and_referenced()
    {
        Assert.True(All.Count >= 80, $"The corpus has {All.Count} programs; the issue asks for at least 80.");
        Assert.True(All.Count(p => p.IsCorrect) * 3 >= All.Count, "At least a third of the corpus must be correct programs.");
        Assert.Equal(All.Count, All.Select(p => p.Name).Distinct().Count());
        Assert.All(All, p => Assert.False(string.IsNullOrWhiteSpace(p.Reference), p.Name + " names no bug report or thread."));
    }

    [Fact]
    public void Corpus_compiles_and_the_analyzer_never_throws()
    {
        var result = Result.Value;
        Assert.Empty(result.Run.Exceptions);
        Assert.DoesNotContain(result.Run.Diagnostics, d => d.Id.StartsWith("AD", StringComparison.Ordinal));
        var errors = result.Run.Generator.OutputDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "The corpus does not compile:" + Environment.NewLine + GeneratorHarness.Describe(errors));
    }

    [Fact]
    public void Recall_and_precision_meet_the_bar()
    {
        var result = Result.Value;
        var detail = string.Join(Environment.NewLine, result.Misses.Concat(result.FalseAlarms));
        Assert.True(result.Overall.Recall >= 0.9, $"Recall {result.Overall.Recall:F3} < 0.9:{Environment.NewLine}{detail}");
        Assert.True(result.Overall.Precision >= 0.98, $"Precision {result.Overall.Precision:F3} < 0.98:{Environment.NewLine}{detail}");
        if (Environment.GetEnvironmentVariable("DSLNET_CORPUS_DETAIL") == "1") Assert.Fail(detail);
    }

    [Fact]
    public void Correct_programs_stay_silent()
    {
        var result = Result.Value;
        var noisy = result.FalseAlarms.Where(f => All.First(p => f.StartsWith(p.Name + ":", StringComparison.Ordinal)).IsCorrect).ToList();
        Assert.True(noisy.Count <= 0, "Diagnostics on correct programs:" + Environment.NewLine + string.Join(Environment.NewLine, noisy));
    }

    [Fact]
    public void Docs_table_matches_the_corpus()
    {
        var table = Result.Value.Table();
        var path = Path.Combine(RepositoryRoot(), "docs", "diagnostics.md");
        var docs = File.ReadAllText(path);
        const string start = "<!-- corpus-table:start -->", end = "<!-- corpus-table:end -->";
        var from = docs.IndexOf(start, StringComparison.Ordinal);
        var to = docs.IndexOf(end, StringComparison.Ordinal);
        Assert.True(from >= 0 && to > from, "docs/diagnostics.md has no corpus table markers.");
        var current = docs.Substring(from + start.Length, to - from - start.Length).Trim();
        if (Environment.GetEnvironmentVariable("DSLNET_UPDATE_DIAGNOSTICS_TABLE") == "1" && current != table.Trim())
        {
            File.WriteAllText(path, docs.Substring(0, from + start.Length) + "\n" + table + docs.Substring(to));
            return;
        }
        Assert.Equal(table.Trim(), current);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "DslNet.sln"))) return directory.FullName;
        throw new InvalidOperationException("DslNet.sln not found above " + AppContext.BaseDirectory);
    }

    // ---------------------------------------------------------------- evaluation

    private static CorpusResult Evaluate()
    {
        var trees = new List<SyntaxTree> { CSharpSyntaxTree.ParseText(GlobalUsings, GeneratorHarness.ParseOptions, "GlobalUsings.cs") };
        var expected = new List<(string Program, string Id, string Path, TextSpan Span)>();
        for (var i = 0; i < All.Count; i++)
        {
            var program = All[i];
            var (text, marks) = program.Parse();
            var prefix = "namespace Corpus.P" + i.ToString("D3", CultureInfo.InvariantCulture) + "\n{\n";
            var source = prefix + text + "\n}\n";
            var path = "Corpus/" + program.Name + ".cs";
            trees.Add(CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, path));
            foreach (var (id, span) in marks) expected.Add((program.Name, id, path, new TextSpan(span.Start + prefix.Length, span.Length)));
        }
        trees.Add(CSharpSyntaxTree.ParseText(AnalyzerHarness.Model, GeneratorHarness.ParseOptions, "Model1.cs"));
        var compilation = CSharpCompilation.Create("Corpus", trees, GeneratorHarness.References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var run = AnalyzerHarness.Run(compilation);
        return new CorpusResult(run, expected);
    }

    internal sealed class CorpusResult
    {
        public CorpusResult(AnalyzerRun run, List<(string Program, string Id, string Path, TextSpan Span)> expected)
        {
            Run = run;
            var reported = run.Dsl.Where(d => d.Location.SourceTree?.FilePath.StartsWith("Corpus/", StringComparison.Ordinal) == true).ToList();
            var names = All.ToDictionary(p => "Corpus/" + p.Name + ".cs", p => p.Name);
            var ids = expected.Select(e => e.Id).Concat(reported.Select(d => d.Id)).Distinct().OrderBy(i => i, StringComparer.Ordinal);
            foreach (var id in ids)
            {
                var want = expected.Where(e => e.Id == id).ToList();
                var got = reported.Where(d => d.Id == id).ToList();
                var hits = want.Count(e => got.Any(d => d.Location.SourceTree!.FilePath == e.Path && d.Location.SourceSpan == e.Span));
                foreach (var miss in want.Where(e => !got.Any(d => d.Location.SourceTree!.FilePath == e.Path && d.Location.SourceSpan == e.Span)))
                    Misses.Add($"{miss.Program}: missed {id}");
                foreach (var extra in got.Where(d => !want.Any(e => d.Location.SourceTree!.FilePath == e.Path && d.Location.SourceSpan == e.Span)))
                    FalseAlarms.Add($"{names[extra.Location.SourceTree!.FilePath]}: unexpected {id} at '{extra.Location.SourceTree.GetText().ToString(extra.Location.SourceSpan)}': {extra.GetMessage(CultureInfo.InvariantCulture)}");
                Rows.Add(new Row(id, want.Count, got.Count, hits));
            }
            Overall = new Row("all", Rows.Sum(r => r.Expected), Rows.Sum(r => r.Reported), Rows.Sum(r => r.Hits));
        }

        public AnalyzerRun Run { get; }
        public List<Row> Rows { get; } = new();
        public Row Overall { get; }
        public List<string> Misses { get; } = new();
        public List<string> FalseAlarms { get; } = new();

        private static readonly (string Family, string[] Ids)[] Families =
        {
            ("Schedule horizon", new[] { "DSL1002", "DSL1003", "DSL1007" }),
            ("Schedule placement", new[] { "DSL1001", "DSL1004", "DSL1005", "DSL1006" }),
            ("Optimizer and gradients", new[] { "DSL2001", "DSL2002", "DSL2003", "DSL2004", "DSL2005", "DSL2006" }),
            ("Precision and Trainer", new[] { "DSL3001", "DSL3002", "DSL3003" }),
        };

        public string Table()
        {
            var text = new StringBuilder();
            var correct = All.Count(p => p.IsCorrect);
            text.AppendLine(CultureInfo.InvariantCulture, $"Corpus: {All.Count} programs ({All.Count - correct} with mistakes, {correct} correct that must stay silent).");
            text.AppendLine();
            text.AppendLine("| Rule family | IDs | Expected | Reported | Found | Recall | Precision |");
            text.AppendLine("|---|---|---:|---:|---:|---:|---:|");
            foreach (var (family, ids) in Families)
            {
                var rows = Rows.Where(r => ids.Contains(r.Id)).ToList();
                var sum = new Row(family, rows.Sum(r => r.Expected), rows.Sum(r => r.Reported), rows.Sum(r => r.Hits));
                text.AppendLine(CultureInfo.InvariantCulture, $"| {family} | {string.Join(", ", rows.Select(r => r.Id))} | {sum.Expected} | {sum.Reported} | {sum.Hits} | {Format(sum.Recall)} | {Format(sum.Precision)} |");
            }
            text.AppendLine(CultureInfo.InvariantCulture, $"| **Overall** | | {Overall.Expected} | {Overall.Reported} | {Overall.Hits} | {Format(Overall.Recall)} | {Format(Overall.Precision)} |");
            return text.ToString();
        }

        private static string Format(double value) => value.ToString("F2", CultureInfo.InvariantCulture);
    }

    internal sealed record Row(string Id, int Expected, int Reported, int Hits)
    {
        public double Recall => Expected == 0 ? 1 : (double)Hits / Expected;
        public double Precision => Reported == 0 ? 1 : (double)Hits / Reported;
    }
}
