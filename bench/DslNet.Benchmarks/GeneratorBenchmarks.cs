using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using DslNet.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DslNet.Benchmarks;

/// <summary>
/// Build-time cost of the generator on a 64-block model (the bar: under 100 ms).
/// <see cref="Generate64Blocks"/>: a fresh generator driver over an already bound compilation (what an edit to the
/// model costs the IDE); <see cref="Generate64BlocksColdCompilation"/>: a freshly parsed tree in a new compilation,
/// so attribute binding is included (what a build costs).
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);
    private string _source = "";
    private CSharpCompilation _compilation = null!;
    private ImmutableArray<MetadataReference> _references;

    [GlobalSetup]
    public void Setup()
    {
        var blocks = string.Join(Environment.NewLine, Enumerable.Range(0, 63).Select(i =>
            $"    [Dense({64 + i % 4 * 32}, Bias = false), BatchNorm, Relu, Dropout(0.1)] public partial DenseBlock Hidden{i} {{ get; }}"));
        _source = $$"""
            using DslNet;

            namespace Bench;

            [Network(Inputs = 128, Loss = Loss.BinaryCrossEntropyWithLogits)]
            public sealed partial class Deep64
            {
            {{blocks}}
                [Dense(1)] public partial DenseBlock Output { get; }
            }
            """;
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        _references = trusted
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Append(typeof(NetworkAttribute).Assembly.Location)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();
        _compilation = NewCompilation();
        if (Generate64Blocks() != 2) throw new InvalidOperationException("The 64-block model did not generate.");
    }

    private CSharpCompilation NewCompilation() =>
        CSharpCompilation.Create("Bench", new[] { CSharpSyntaxTree.ParseText(_source, ParseOptions) }, _references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    [Benchmark]
    public int Generate64Blocks() => Run(_compilation);

    [Benchmark]
    public int Generate64BlocksColdCompilation() => Run(NewCompilation());

    private static int Run(CSharpCompilation compilation)
    {
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new NetworkGenerator().AsSourceGenerator() }, parseOptions: ParseOptions);
        driver = driver.RunGenerators(compilation);
        var result = driver.GetRunResult();
        if (result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error)) throw new InvalidOperationException(result.Diagnostics.First().ToString());
        return result.GeneratedTrees.Length;
    }
}
