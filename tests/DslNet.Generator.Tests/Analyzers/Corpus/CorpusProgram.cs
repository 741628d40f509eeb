using Microsoft.CodeAnalysis.Text;

namespace DslNet.Generator.Tests.Analyzers.Corpus;

/// <summary>
/// One realistic training program of the analyzer corpus, modelled on a public bug report or Q&amp;A thread
/// (<see cref="Reference"/>). Expected diagnostics are marked in the source as <c>{|DSL1002:text|}</c>; a program with
/// no mark is correct and must stay silent.
/// </summary>
public sealed record CorpusProgram(string Name, string Reference, string MarkedSource)
{
    public (string Text, IReadOnlyList<(string Id, TextSpan Span)> Expected) Parse()
    {
        var text = new System.Text.StringBuilder();
        var expected = new List<(string, TextSpan)>();
        var open = new Stack<(string Id, int Start)>();
        for (var i = 0; i < MarkedSource.Length; i++)
        {
            if (MarkedSource[i] == '{' && i + 1 < MarkedSource.Length && MarkedSource[i + 1] == '|')
            {
                var colon = MarkedSource.IndexOf(':', i);
                open.Push((MarkedSource.Substring(i + 2, colon - i - 2), text.Length));
                i = colon;
                continue;
            }
            if (MarkedSource[i] == '|' && i + 1 < MarkedSource.Length && MarkedSource[i + 1] == '}' && open.Count > 0)
            {
                var (id, start) = open.Pop();
                expected.Add((id, new TextSpan(start, text.Length - start)));
                i++;
                continue;
            }
            text.Append(MarkedSource[i]);
        }
        if (open.Count > 0) throw new ArgumentException($"Unclosed mark in corpus program {Name}.");
        return (text.ToString(), expected);
    }

    public bool IsCorrect => !MarkedSource.Contains("{|", StringComparison.Ordinal);
}
