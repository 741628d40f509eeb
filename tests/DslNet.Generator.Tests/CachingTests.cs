using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Tests;

/// <summary>
/// The incremental pipeline caches: edits that do not touch a network leave the tracked steps' outputs Cached or
/// Unchanged and the generated text identical, so the IDE does not re-emit on every keystroke.
/// </summary>
public sealed class CachingTests
{
    private const string OtherClass = """
        namespace Models;

        public sealed class Helper
        {
            public int Twice(int value)
            {
                return value * 2;
            }
        }
        """;

    private static readonly string[] TrackedSteps = { TrackingNames.Spec, TrackingNames.Plan };

    [Fact]
    public void Adding_an_unrelated_file_leaves_every_tracked_output_cached()
    {
        var compilation = GeneratorHarness.Compilation(TestModels.StreamRec, OtherClass);
        var first = GeneratorHarness.Run(compilation);

        var edited = compilation.AddSyntaxTrees(GeneratorHarness.Parse("namespace Models; internal static class Unrelated { }", "Unrelated.cs"));
        var second = GeneratorHarness.Run(edited, first.Driver);

        AssertAllCachedOrUnchanged(second.Result);
        Assert.Equal(first.Sources.ToArray(), second.Sources.ToArray());
    }

    [Fact]
    public void Editing_a_method_body_in_another_class_leaves_every_tracked_output_cached()
    {
        var compilation = GeneratorHarness.Compilation(TestModels.StreamRec, OtherClass);
        var first = GeneratorHarness.Run(compilation);

        var helperTree = compilation.SyntaxTrees.Single(t => t.FilePath == "Model1.cs");
        var editedTree = GeneratorHarness.Parse(OtherClass.Replace("return value * 2;", "return value + value;"), "Model1.cs");
        var second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(helperTree, editedTree), first.Driver);

        AssertAllCachedOrUnchanged(second.Result);
        Assert.Equal(first.Sources.ToArray(), second.Sources.ToArray());
    }

    [Fact]
    public void Running_twice_on_the_same_compilation_leaves_all_outputs_cached()
    {
        var compilation = GeneratorHarness.Compilation(TestModels.StreamRec, TestModels.LayerKinds["GroupNorm"]);
        var first = GeneratorHarness.Run(compilation);
        var second = GeneratorHarness.Run(compilation, first.Driver);

        var result = second.Result.Results.Single();
        foreach (var name in TrackedSteps)
            Assert.All(Outputs(result, name), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.Equal(first.Sources.ToArray(), second.Sources.ToArray());
    }

    [Fact]
    public void Changing_a_network_reruns_its_plan_and_changes_the_output()
    {
        // The control for the tests above: the tracking does see a real change.
        var compilation = GeneratorHarness.Compilation(TestModels.StreamRec);
        var first = GeneratorHarness.Run(compilation);

        var tree = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(tree, GeneratorHarness.Parse(TestModels.StreamRec.Replace("Dense(64)", "Dense(32)"), "Model.cs"));
        var second = GeneratorHarness.Run(edited, first.Driver);

        var result = second.Result.Results.Single();
        Assert.Contains(Outputs(result, TrackingNames.Spec), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(Outputs(result, TrackingNames.Plan), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.NotEqual(first.Source(".Model.g.cs"), second.Source(".Model.g.cs"));
    }

    [Fact]
    public void Tracked_outputs_hold_no_Roslyn_objects()
    {
        // A symbol, syntax node or compilation in a spec would defeat caching and keep old compilations alive.
        var run = GeneratorHarness.Run(TestModels.StreamRec, TestModels.LayerKinds["NoBias"]);
        var result = run.Result.Results.Single();

        foreach (var name in TrackedSteps)
        {
            var outputs = Outputs(result, name);
            Assert.NotEmpty(outputs);
            foreach (var output in outputs) AssertNoRoslynObjects(output.Value, name, new HashSet<object>(ReferenceEqualityComparer.Instance));
        }
    }

    private static void AssertAllCachedOrUnchanged(GeneratorDriverRunResult runResult)
    {
        var result = runResult.Results.Single();
        foreach (var name in TrackedSteps)
        {
            var outputs = Outputs(result, name);
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.True(
                o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                $"An output of step {name} was {o.Reason}: {o.Value}"));
        }
    }

    private static List<(object Value, IncrementalStepRunReason Reason)> Outputs(GeneratorRunResult result, string stepName)
    {
        Assert.True(result.TrackedSteps.ContainsKey(stepName), $"No tracked step '{stepName}'. Steps: {string.Join(", ", result.TrackedSteps.Keys)}");
        return result.TrackedSteps[stepName].SelectMany(step => step.Outputs).ToList();
    }

    private static void AssertNoRoslynObjects(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum) return;
        if (!value.GetType().IsValueType && !seen.Add(value)) return;
        Assert.False(value is ISymbol or SyntaxNode or Compilation or SemanticModel or Location or SyntaxTree,
            $"{path} holds a {value.GetType().Name}");
        if (value is IEnumerable items)
        {
            var i = 0;
            foreach (var item in items) AssertNoRoslynObjects(item, $"{path}[{i++}]", seen);
            return;
        }
        if (value.GetType().Namespace?.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) == true) return; // TextSpan, LinePositionSpan
        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            if (property.GetIndexParameters().Length == 0)
                AssertNoRoslynObjects(property.GetValue(value), $"{path}.{property.Name}", seen);
    }
}
