using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace DslNet.Generator.Tests;

/// <summary>
/// A test source with the expected diagnostic span marked as <c>{|text|}</c> (the markers are removed before
/// compiling), so a reader sees where a diagnostic belongs and the test checks it to the character.
/// </summary>
internal sealed record MarkedSource(string Text, TextSpan? Span)
{
    public static MarkedSource Parse(string marked)
    {
        var start = marked.IndexOf("{|", StringComparison.Ordinal);
        if (start < 0) return new MarkedSource(marked, null);
        var end = marked.IndexOf("|}", start, StringComparison.Ordinal);
        if (end < 0 || marked.IndexOf("{|", end, StringComparison.Ordinal) >= 0)
            throw new ArgumentException("Mark exactly one span as {|...|}.", nameof(marked));
        var text = marked.Remove(end, 2).Remove(start, 2);
        return new MarkedSource(text, new TextSpan(start, end - start - 2));
    }

    /// <summary>The marked span as 1-based line and column, the way the IDE and the build print it.</summary>
    public (int Line, int Column) Position
    {
        get
        {
            var position = SourceText.From(Text).Lines.GetLinePosition(Span!.Value.Start);
            return (position.Line + 1, position.Character + 1);
        }
    }
}

internal static class DiagnosticAssert
{
    /// <summary>A class that is not partial (DSL0001), a property of the wrong form (DSL0009), a class of an unsupported shape (DSL0010).</summary>
    private static readonly string[] FormDiagnostics = ["DSL0001", "DSL0009", "DSL0010"];

    /// <summary>
    /// Runs the generator on <paramref name="marked"/> and asserts that exactly one <paramref name="id"/> is reported,
    /// with the given severity, at the marked span, which starts at (<paramref name="line"/>, <paramref name="column"/>).
    /// </summary>
    public static Diagnostic Single(string marked, string id, DiagnosticSeverity severity, int line, int column)
    {
        var source = MarkedSource.Parse(marked);
        Assert.True(source.Span.HasValue, "The test source has no {|...|} mark.");
        Assert.Equal((line, column), source.Position);

        var run = GeneratorHarness.Run(source.Text);
        Assert.Empty(run.Exceptions);
        var matching = run.GeneratorDiagnostics.Where(d => d.Id == id).ToList();
        Assert.True(matching.Count == 1,
            $"Expected one {id}, got {matching.Count}. All generator diagnostics:{Environment.NewLine}{GeneratorHarness.Describe(run.GeneratorDiagnostics)}");

        var diagnostic = matching[0];
        Assert.Equal(severity, diagnostic.Severity);
        Assert.True(diagnostic.Location.IsInSource, $"{id} has no source location.");
        Assert.Equal("Model.cs", diagnostic.Location.SourceTree!.FilePath);
        var lineSpan = diagnostic.Location.GetLineSpan();
        Assert.Equal((line, column), (lineSpan.StartLinePosition.Line + 1, lineSpan.StartLinePosition.Character + 1));
        Assert.Equal(source.Text.Substring(source.Span!.Value.Start, source.Span.Value.Length),
            source.Text.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.Equal(source.Span.Value, diagnostic.Location.SourceSpan);

        // A model with an error generates no model, only the implementation parts of its partial properties
        // (bodies that throw), so the compiler adds no error of its own; warnings and infos leave the model generated.
        if (severity == DiagnosticSeverity.Error)
        {
            Assert.All(run.Sources, s => Assert.EndsWith(".Placeholder.g.cs", s.HintName));
            // The class and property form errors concern the very declaration a placeholder would have to match.
            var missingParts = run.OutputDiagnostics.Where(d => d.Id == "CS9248" && !FormDiagnostics.Contains(id)).ToList();
            Assert.True(missingParts.Count == 0, "CS9248 beside the DSL diagnostic:" + Environment.NewLine + GeneratorHarness.Describe(missingParts));
        }
        else Assert.Equal(2, run.Sources.Length);
        return diagnostic;
    }

    /// <summary>Runs the generator on correct code and asserts <paramref name="id"/> is not reported.</summary>
    public static GeneratorRun None(string source, string id)
    {
        var run = GeneratorHarness.Run(source);
        Assert.Empty(run.Exceptions);
        Assert.True(run.GeneratorDiagnostics.All(d => d.Id != id),
            $"{id} fired on correct code:{Environment.NewLine}{GeneratorHarness.Describe(run.GeneratorDiagnostics)}");
        return run;
    }
}
